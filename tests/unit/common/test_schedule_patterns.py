"""Backup schedule patterns: cron of five fields, or ``@every <N><unit>``."""

import datetime

import pytest

from trove_lite.common import exception
from trove_lite.common import schedule_patterns

T = datetime.datetime(2026, 3, 10, 12, 0, 30, 123456)  # a Tuesday


@pytest.mark.parametrize('pattern,after', [
    ('@every 5s', datetime.datetime(2026, 3, 10, 12, 0, 35)),
    ('@every 90m', datetime.datetime(2026, 3, 10, 13, 30, 30)),
    ('@every 2h', datetime.datetime(2026, 3, 10, 14, 0, 30)),
    ('@every 1d', datetime.datetime(2026, 3, 11, 12, 0, 30)),
    ('  @every   7s  ', datetime.datetime(2026, 3, 10, 12, 0, 37)),
    ('*/15 * * * *', datetime.datetime(2026, 3, 10, 12, 15)),
    ('0 3 * * *', datetime.datetime(2026, 3, 11, 3, 0)),
    ('0 12 * * *', datetime.datetime(2026, 3, 11, 12, 0)),
    ('30 2 1 * *', datetime.datetime(2026, 4, 1, 2, 30)),
    ('0 0 * * SUN', datetime.datetime(2026, 3, 15, 0, 0)),
    (' 0  3 * *  * ', datetime.datetime(2026, 3, 11, 3, 0)),
])
def test_next_after(pattern, after):
    assert schedule_patterns.validate(pattern) == pattern.strip()
    assert schedule_patterns.next_after(pattern, T) == after


def test_next_after_is_strictly_after_a_run():
    run = datetime.datetime(2026, 3, 10, 3, 0)
    assert schedule_patterns.next_after('0 3 * * *', run) == \
        datetime.datetime(2026, 3, 11, 3, 0)


@pytest.mark.parametrize('pattern,why', [
    ('', 'it is empty'),
    ('   ', 'it is empty'),
    (None, 'it is empty'),
    (5, 'it is empty'),
    ('* * * *', 'has 5 fields, not 4'),
    ('* * * * * *', 'has 5 fields, not 6'),
    ('0 0 1 1 * 2030', 'has 5 fields, not 6'),
    ('60 * * * *', 'out of range'),
    ('a b c d e', 'not acceptable'),
    ('H * * * *', 'not valid'),
    ('0 0 31 2 *', 'it never runs'),
    ('@hourly', "the only '@' form"),
    ('@every', "the only '@' form"),
    ('@every 5', "the only '@' form"),
    ('@every -5s', "the only '@' form"),
    ('@every 5w', "the only '@' form"),
    ('@every 0s', 'shorter than the shortest allowed, 1 seconds'),
    ('@every 367d', 'longer than 366 days'),
    ('@every 999999999d', 'longer than 366 days'),
    ('* * * * \u2603', 'not valid'),
    ('\x00 * * * *', 'not valid'),
    ('x' * 65, 'longer than 64 characters'),
])
def test_bad_patterns_are_400s_that_say_what_to_write(pattern, why):
    with pytest.raises(exception.BadRequest) as caught:
        schedule_patterns.validate(pattern)
    message = str(caught.value)
    assert why in message
    assert "'@every 6h'" in message and "'0 3 * * *'" in message
    assert caught.value.code == 400


def test_the_shortest_period_is_configurable(override):
    override('min_schedule_period', 120, group='backup')
    assert schedule_patterns.validate('@every 2m') == '@every 2m'
    with pytest.raises(exception.BadRequest, match='119 seconds is shorter'):
        schedule_patterns.validate('@every 119s')
    # Cron: every minute is too often; so is a pair of runs a minute
    # apart once an hour.
    with pytest.raises(exception.BadRequest, match='60 seconds apart'):
        schedule_patterns.validate('* * * * *')
    with pytest.raises(exception.BadRequest, match='60 seconds apart'):
        schedule_patterns.validate('0,1 * * * *')
    assert schedule_patterns.validate('*/5 * * * *') == '*/5 * * * *'


def test_next_after_refuses_what_validate_refuses():
    with pytest.raises(exception.BadRequest):
        schedule_patterns.next_after('61 * * * *', T)
