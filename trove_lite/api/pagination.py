"""Upstream's pagination: ``limit``/``marker`` in, ``links`` next out.

A page is capped by the collection's page size; the marker is the id of
the last item of the page; a ``next`` link appears only when a further
page exists (we fetch one row more than the page to know).

Backups page differently, as upstream does: their marker is an integer
offset into the list, and the next marker (``offset + limit``) is given
whenever a page came back full, even when nothing follows.
"""

from urllib import parse

from trove_lite.common import exception

# NOTE(db): the largest offset every backend's OFFSET takes (MySQL's is
# unsigned 64-bit, SQLite's signed); no list is anywhere near it.
MAX_OFFSET = 2 ** 31 - 1


def page_limit(context, page_size):
    """The effective page size of a request.

    :raises BadValue: ``limit`` is not a positive integer.
    """
    if context.limit in (None, ''):
        return page_size
    try:
        limit = int(context.limit)
    except (TypeError, ValueError):
        raise exception.BadValue(msg='limit must be an integer, not %r'
                                 % context.limit)
    if limit < 1:
        raise exception.BadValue(msg='limit must be at least 1')
    return min(limit, page_size)


def page_offset(context):
    """The offset a backup list starts at (its ``marker``).

    :raises BadValue: the marker is not a non-negative integer.
    """
    if context.marker in (None, ''):
        return 0
    try:
        offset = int(context.marker)
    except (TypeError, ValueError):
        raise exception.BadValue(msg='marker must be an integer offset, '
                                     'not %r' % context.marker)
    if not 0 <= offset <= MAX_OFFSET:
        raise exception.BadValue(msg='marker must be an offset from 0 to '
                                     '%d' % MAX_OFFSET)
    return offset


def next_offset(rows, offset, limit):
    """The marker of the page after a backup page: upstream gives one
    whenever the page is full.
    """
    return offset + limit if len(rows) >= limit else None


def split_page(rows, limit):
    """(rows of this page, marker of the next page or None).

    :param rows: up to ``limit + 1`` rows fetched after the marker.
    """
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, rows[-1].id
    return rows, None


def next_link(req, marker):
    """Upstream's ``links`` list for the page after ``marker``."""
    params = [(key, value) for key, value in req.GET.items()
              if key != 'marker']
    params.append(('marker', marker))
    url = parse.urlsplit(req.path_url)
    href = parse.urlunsplit(('https', url.netloc, url.path,
                             parse.urlencode(params), ''))
    return [{'rel': 'next', 'href': href}]


def paginated(req, key, items, next_marker):
    """The body of a list response."""
    body = {key: items}
    if next_marker is not None:
        body['links'] = next_link(req, next_marker)
    return body
