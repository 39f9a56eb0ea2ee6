"""When a backup schedule runs: the two kinds of pattern it may have.

A schedule's ``pattern`` is either

- a cron expression of five fields (minute, hour, day of month, month,
  day of week), read by ``croniter`` in UTC: ``0 3 * * *`` runs at three
  every morning, ``*/15 * * * *`` every quarter of an hour; or
- a fixed period, ``@every <N><unit>`` with the unit ``s``, ``m``, ``h``
  or ``d``: ``@every 6h``. Cron cannot say "every 5 seconds", and a
  test (or an impatient operator) needs that.

No period may be shorter than ``[backup] min_schedule_period`` seconds.
For a cron expression that is checked on its next runs, since its gaps
need not be equal (``0,1 * * * *``).

Every moment here is a naive datetime in UTC, as the database stores
them; a schedule's runs fall on whole seconds.
"""

import datetime
import re

import croniter

from trove_lite.common import exception
from trove_lite import conf

CONF = conf.CONF

EVERY = re.compile(r'^@every\s+([0-9]{1,9})\s*([smhd])$')
UNIT_SECONDS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400}
CRON_FIELDS = 5
# The gaps of a cron expression checked against the shortest period.
SAMPLED_RUNS = 8
# What the API's schema and the column allow.
MAX_LENGTH = 64
# The longest fixed period: a schedule that runs less often than yearly
# is a mistake (and past some size a period no longer fits a datetime).
LONGEST_PERIOD = 366 * 86400

HELP = ("use a cron expression of five fields (minute hour day-of-month "
        "month day-of-week, in UTC, e.g. '0 3 * * *') or '@every <N>' with "
        "a unit s, m, h or d (e.g. '@every 6h')")


def _bad(pattern, why):
    return exception.BadRequest(
        'Backup schedule pattern %r is not valid: %s; %s.'
        % (pattern, why, HELP))


def _period(pattern):
    """The seconds of an ``@every`` pattern, or None for a cron one."""
    match = EVERY.match(pattern.strip())
    if match is None:
        return None
    return int(match.group(1)) * UNIT_SECONDS[match.group(2)]


def _cron(pattern, moment):
    # NOTE(croniter): croniter reads an expression of six or seven fields
    # as one with seconds (and years); a schedule's has five.
    fields = pattern.split()
    if len(fields) != CRON_FIELDS:
        raise _bad(pattern, 'a cron expression has %d fields, not %d'
                   % (CRON_FIELDS, len(fields)))
    try:
        return croniter.croniter(' '.join(fields), moment)
    # NOTE(croniter): its parse errors are ValueErrors, but odd input has
    # been seen to end in KeyError or IndexError inside it; whatever it
    # raises, the pattern is the tenant's and the answer is a 400.
    except Exception as error:
        raise _bad(pattern, error)


def _next_cron(pattern, iterator):
    try:
        return iterator.get_next(datetime.datetime)
    except Exception as error:
        # NOTE(croniter): e.g. "0 0 31 2 *", a day that never comes.
        raise _bad(pattern, 'it never runs (%s)' % error)


def _shortest_period():
    return CONF.backup.min_schedule_period


def validate(pattern):
    """Check that ``pattern`` is a schedule pattern we can run.

    :returns: the pattern, stripped of surrounding blanks.
    :raises BadRequest: not a pattern, one that never runs, or one
        whose period is shorter than ``[backup] min_schedule_period``;
        the message says what to write instead.
    """
    if not isinstance(pattern, str) or not pattern.strip():
        raise _bad(pattern, 'it is empty')
    pattern = pattern.strip()
    if len(pattern) > MAX_LENGTH:
        raise _bad(pattern, 'it is longer than %d characters' % MAX_LENGTH)
    shortest = _shortest_period()
    if pattern.startswith('@'):
        period = _period(pattern)
        if period is None:
            raise _bad(pattern, "the only '@' form is '@every <N><unit>'")
        if period > LONGEST_PERIOD:
            raise _bad(pattern, 'its period is longer than %d days'
                       % (LONGEST_PERIOD // 86400))
        if period < shortest:
            raise _bad(pattern, 'its period of %d seconds is shorter than '
                       'the shortest allowed, %d seconds' % (period,
                                                             shortest))
        return pattern
    iterator = _cron(pattern, _whole(_now()))
    runs = [_next_cron(pattern, iterator) for _ in range(SAMPLED_RUNS)]
    gaps = [(later - earlier).total_seconds()
            for earlier, later in zip(runs, runs[1:])]
    if min(gaps) < shortest:
        raise _bad(pattern, 'it runs %d seconds apart, more often than the '
                   'shortest period allowed, %d seconds' % (min(gaps),
                                                            shortest))
    return pattern


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def _whole(moment):
    return moment.replace(microsecond=0)


def next_after(pattern, moment):
    """The first run of ``pattern`` strictly after ``moment``.

    :param pattern: a pattern ``validate`` accepted.
    :param moment: naive UTC.
    :returns: naive UTC, on a whole second.
    :raises BadRequest: the pattern is not valid (see ``validate``).
    """
    pattern = pattern.strip()
    period = _period(pattern)
    if period is not None:
        return _whole(moment) + datetime.timedelta(seconds=period)
    return _whole(_next_cron(pattern, _cron(pattern, _whole(moment))))
