"""A guest's replication state, cleaned before it is stored or shown:
the guest is not trusted with types or sizes.
"""

import json

import pytest

from trove_lite.common import replication_reports


def _short(value):
    """A test id that does not spell out 4,000 digits."""
    return repr(value)[:24]


GOOD = {'role': 'replica', 'source': {'host': '127.0.0.2', 'port': 3306},
        'running': True, 'lag': 1.5, 'position': [0, 1, 42],
        'error': None}


def test_a_good_report_is_kept_as_it_is():
    assert replication_reports.clean(GOOD) == GOOD


def test_unknown_keys_are_dropped_and_missing_ones_filled():
    cleaned = replication_reports.clean({'role': 'source', 'secret': 'pw',
                                         'source': None})
    assert cleaned == {'role': 'source', 'source': None, 'running': False,
                       'lag': None, 'position': None, 'error': None}


@pytest.mark.parametrize('report', [None, [], 'replica', 42, True])
def test_what_is_not_a_dict_is_nothing(report):
    assert replication_reports.clean(report) is None
    assert replication_reports.dump(report) is None


@pytest.mark.parametrize('key, value, kept', [
    ('role', 'primary', None),
    ('role', ['replica'], None),
    ('role', {'replica': 1}, None),
    ('running', 'yes', False),
    ('running', 1, False),
    ('lag', True, None),
    ('lag', '1.5', None),
    ('lag', float('nan'), None),
    ('lag', float('inf'), None),
    ('lag', -3, 0.0),
    ('lag', 2, 2.0),
    # NOTE(bounds): an integer no float holds made the conductor's
    # heartbeat handler raise OverflowError (the heartbeat was lost).
    ('lag', 10 ** 400, None),
    ('position', True, None),
    ('position', 1.5, None),
    ('position', '0-1-42', None),
    ('position', [1, 'a'], None),
    ('position', [1, True], None),
    ('position', [[1]], None),
    ('position', list(range(65)), None),
    ('position', list(range(64)), list(range(64))),
    ('position', 2 ** 64 - 1, 2 ** 64 - 1),
    # NOTE(bounds): positions are 64-bit; a JSON integer of 4,000
    # digits, 64 times, would not fit a MySQL TEXT column.
    ('position', 2 ** 64, None),
    ('position', [10 ** 4000], None),
    ('error', 'x' * 1000, 'x' * 255),
    ('error', {'why': 'no'}, None),
], ids=_short)
def test_each_value_is_checked(key, value, kept):
    report = dict(GOOD, **{key: value})
    assert replication_reports.clean(report)[key] == kept


@pytest.mark.parametrize('source, kept', [
    ('127.0.0.2:3306', None),
    ({'host': 'h', 'port': 3306.0}, {'host': 'h', 'port': 3306}),
    ({'host': 'h' * 300, 'port': 1}, {'host': 'h' * 255, 'port': 1}),
    ({'host': 5, 'port': '3306'}, {'host': None, 'port': None}),
    ({'host': 'h', 'port': 10 ** 400}, {'host': 'h', 'port': None}),
    ({'host': 'h', 'port': 70000}, {'host': 'h', 'port': None}),
    ({'host': 'h', 'port': -1}, {'host': 'h', 'port': None}),
    ({'host': 'h', 'port': float('nan')}, {'host': 'h', 'port': None}),
    ({}, {'host': None, 'port': None}),
], ids=_short)
def test_the_source_is_a_host_and_a_port(source, kept):
    report = dict(GOOD, source=source)
    assert replication_reports.clean(report)['source'] == kept


def test_a_hostile_report_stays_small():
    hostile = {'role': 'x' * 10 ** 6, 'source': {'host': 'h' * 10 ** 6,
                                                 'port': 10 ** 400,
                                                 'extra': 'e' * 10 ** 6},
               'running': True, 'lag': 10 ** 400,
               'position': [2 ** 64 - 1] * 64, 'error': 'e' * 10 ** 6,
               'junk': ['j'] * 10 ** 5}
    stored = replication_reports.dump(hostile)
    assert len(stored) < 4096  # a MySQL TEXT holds 65,535 bytes
    assert replication_reports.load(stored)['position'] == [2 ** 64 - 1] * 64


def test_dump_and_load_round_trip():
    stored = replication_reports.dump(GOOD)
    assert json.loads(stored) == GOOD
    assert replication_reports.load(stored) == GOOD


@pytest.mark.parametrize('text', [None, '', '{', 'null', '[1]', '"x"'])
def test_damaged_stored_text_loads_as_nothing(text):
    assert replication_reports.load(text) is None


def test_load_cleans_again():
    # Text stored by an older release, or edited by hand.
    text = json.dumps({'role': 'boss', 'lag': 'high', 'position': 7})
    assert replication_reports.load(text) == {
        'role': None, 'source': None, 'running': False, 'lag': None,
        'position': 7, 'error': None}


def _key(position):
    return replication_reports.position_key({'position': position})


def test_positions_sort_the_most_advanced_last():
    ordered = [None, 0, 5, [5, 1], [6], [6, 0, 0], [7]]
    keys = [_key(position) for position in ordered]
    assert keys == sorted(keys)
    assert _key(5) == _key([5])
    # One without a position, or no report at all, sorts first.
    assert replication_reports.position_key(None) == _key(None) < _key(0)
    assert replication_reports.position_key({}) == _key(None)
