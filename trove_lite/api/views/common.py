"""Helpers every view uses: links and timestamps as upstream writes them."""


def links(req, resource_path, resource_id):
    """Upstream's self and bookmark links (scheme forced to https)."""
    host = req.host
    project = req.environ['trove_lite.context'].project_id
    return [
        {'href': 'https://%s/v1.0/%s/%s/%s' % (host, project,
                                               resource_path, resource_id),
         'rel': 'self'},
        {'href': 'https://%s/%s/%s' % (host, resource_path, resource_id),
         'rel': 'bookmark'},
    ]


def timestamp(value):
    """Naive ISO 8601 without microseconds, or None."""
    if value is None:
        return None
    return value.replace(microsecond=0).isoformat()
