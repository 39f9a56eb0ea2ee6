"""What a guest says about its replication, made safe to store and show.

A heartbeat's ``replication`` entry comes from the guest, which the
control plane does not trust: its shape is checked and its sizes are
bounded here, so that a broken or hostile agent can neither fill the
infrastructure database nor make the view or a failover choke on a
value of the wrong type. What is kept is the strategy's ``state``
(``guestagent/strategies/replication/base.py``).
"""

import json
import math

ROLES = ('source', 'replica')
MAX_TEXT = 255
MAX_POSITION_ITEMS = 64
# NOTE(bounds): GTID sequence numbers, LSNs and replication offsets are
# 64-bit; a JSON integer may have thousands of digits.
MAX_POSITION = 2 ** 64
MAX_PORT = 65535


def _text(value):
    if not isinstance(value, str):
        return None
    return value[:MAX_TEXT]


def _number(value):
    """A finite number that a float holds, or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        finite = math.isfinite(value)
    except OverflowError:
        # NOTE(bounds): an int too large for a float (10 ** 400).
        return None
    return value if finite else None


def _item(value):
    return isinstance(value, int) and not isinstance(value, bool) and \
        -MAX_POSITION < value < MAX_POSITION


def _position(value):
    """An int, or a list of ints (compared element by element)."""
    if _item(value):
        return value
    if isinstance(value, list) and len(value) <= MAX_POSITION_ITEMS and \
            all(_item(item) for item in value):
        return value
    return None


def clean(report):
    """The stored form of a guest's ``state``, or None when it is not a
    dict at all.
    """
    if not isinstance(report, dict):
        return None
    source = report.get('source')
    if isinstance(source, dict):
        port = _number(source.get('port'))
        if port is not None and not 0 <= port <= MAX_PORT:
            port = None
        source = {'host': _text(source.get('host')),
                  'port': int(port) if port is not None else None}
    else:
        source = None
    lag = _number(report.get('lag'))
    return {
        'role': report.get('role') if report.get('role') in ROLES else None,
        'source': source,
        'running': report.get('running') is True,
        'lag': max(float(lag), 0.0) if lag is not None else None,
        'position': _position(report.get('position')),
        'error': _text(report.get('error')),
    }


def dump(report):
    """``clean(report)`` as stored text, or None."""
    cleaned = clean(report)
    return json.dumps(cleaned, sort_keys=True) if cleaned else None


def load(text):
    """What ``dump`` stored, or None (also for damaged text)."""
    if not text:
        return None
    try:
        return clean(json.loads(text))
    except ValueError:
        return None


def position_key(report):
    """Sort key of a stored report's position: the most advanced replica
    sorts last; one without a position first.
    """
    position = (report or {}).get('position')
    if position is None:
        return (0, [])
    if isinstance(position, int):
        return (1, [position])
    return (1, list(position))
