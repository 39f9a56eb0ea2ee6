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


def _text(value):
    if not isinstance(value, str):
        return None
    return value[:MAX_TEXT]


def _number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _position(value):
    """An int, or a list of ints (compared element by element)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, list) and len(value) <= MAX_POSITION_ITEMS and \
            all(isinstance(item, int) and not isinstance(item, bool)
                for item in value):
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
