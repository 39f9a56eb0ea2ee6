"""Shapes of guest logs (upstream's GuestLogView).

What a guest says of its logs is checked before it is shown: a guest is
not trusted to put arbitrary fields or text into a response.
"""

from trove_lite.common import guest_logs as vocabulary

_STATUSES = frozenset([
    vocabulary.DISABLED, vocabulary.ENABLED, vocabulary.UNAVAILABLE,
    vocabulary.READY, vocabulary.PUBLISHED, vocabulary.PARTIAL,
    vocabulary.ROTATED, vocabulary.RESTART_REQUIRED])


def _count(value):
    return value if isinstance(value, int) and value >= 0 else 0


def log(shown, log_type, container, prefix, metafile):
    """One log: the guest's ``shown`` with the API's own names.

    :param log_type: the type the manifest declares (the guest's is not
        taken).
    :param container: where it is published; shown, as upstream, only
        once something is (``None`` as text before).
    """
    published = _count(shown.get('published'))
    status = shown.get('status')
    return {
        'name': shown['name'],
        'type': log_type,
        'status': status if status in _STATUSES else vocabulary.UNAVAILABLE,
        'published': published,
        'pending': _count(shown.get('pending')),
        'container': container if published else 'None',
        'prefix': prefix if published else 'None',
        'metafile': metafile,
    }
