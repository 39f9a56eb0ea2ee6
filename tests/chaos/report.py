"""The table a chaos run prints (see the package docstring for what each
figure means).
"""

import re

from tests.chaos import driver

KINDS = (driver.CREATE, driver.RESTART, driver.DELETE)
# The expiry messages of the instance's deadlines (state_machine).
DEADLINE = re.compile(r'within \d+ seconds')
ENDINGS = ('ACTIVE', 'ERROR', 'stuck', 'deleted')


def _stats(pair):
    return '-' if pair is None else '%.1f / %.1f' % pair


def _seconds(values):
    if not values:
        return '-'
    values = sorted(values)
    return '%.1f / %.1f' % (values[len(values) // 2], values[-1])


def _operations(results):
    lines = ['Operations   attempted accepted refused 5xx api-down '
             'no-answer  settle s (median / max)']
    for kind in KINDS:
        ops = [op for op in results.operations if op.kind == kind]
        count = {o: sum(1 for op in ops if op.outcome == o)
                 for o in ('accepted', 'refused', '5xx', 'api down',
                           'no answer')}
        lines.append('  %-10s %9d %8d %7d %3d %8d %9d  %s' % (
            kind, len(ops), count['accepted'], count['refused'],
            count['5xx'], count['api down'], count['no answer'],
            _stats(results.settle_stats(kind))))
    return lines


def _kills(results):
    lines = ['Kills        count  restarted  | instances in flight then: '
             'ending ACTIVE / ERROR / stuck / deleted; at rest s after '
             'the (re)start, max']
    for target in driver.TARGETS:
        kills = [k for k in results.kills if k.target == target]
        flights = [i for k in kills for i in k.in_flight]
        recovery = [v for k in kills for v in k.recovery.values()]
        if target in (driver.AGENT, driver.DATASTORE):
            # The victim itself is what the kill is about.
            flights = [k.victim for k in kills]
        endings = [results.outcomes.get(i) for i in flights]
        restarted = '-' if target in (driver.AGENT, driver.DATASTORE,
                                      driver.RABBIT) else \
            str(sum(1 for k in kills if k.restarted))
        settled = [max(v, 0.0) for v in recovery if v is not None]
        lines.append('  %-16s %3d  %9s  | %3d: %s; %s%s' % (
            target, len(kills), restarted, len(flights),
            ' / '.join(str(endings.count(e)) for e in ENDINGS),
            '%.1f' % max(settled) if settled else '-',
            ' (%d never)' % (len(recovery) - len(settled))
            if len(settled) < len(recovery) else ''))
    return lines


def _instances(results):
    outcomes = results.outcomes
    active = [i for i, o in outcomes.items() if o == 'ACTIVE']
    healthy = sum(1 for i in active if results.details.get(i) == 'HEALTHY')
    unhealthy = sorted({results.details.get(i) or '?' for i in active
                        if results.details.get(i) != 'HEALTHY'})
    errors = [i for i, o in outcomes.items() if o == 'ERROR']
    with_fault = sum(1 for i in errors if results.details.get(i))
    stuck = results.stuck
    settle = results.settle_seconds
    lines = [
        'Instances    %d seen' % len(outcomes),
        '  deleted during the run            %d' % results.count('deleted'),
        '  ACTIVE, datastore HEALTHY         %d' % healthy,
        '  ACTIVE, datastore not healthy     %d %s' % (
            len(active) - healthy, ', '.join(unhealthy)),
        '  ERROR with a fault (reason)       %d' % with_fault,
        '  ERROR without a fault             %d' % (len(errors) - with_fault),
        '  stuck at the settle bound         %d %s' % (
            len(stuck), ', '.join('%s %s' % (i[:8], results.details[i])
                                  for i in stuck)),
        '  time to settle after the chaos    %s' % (
            'not within %.0f s' % results.settings.settle if settle is None
            else '%.1f s (bound %.0f s)' % (settle,
                                            results.settings.settle)),
    ]
    expired = sum(count for message, count in results.faults.items()
                  if DEADLINE.search(message))
    lines.append('    of the faults, deadline expiries  %d' % expired)
    for message, count in sorted(results.faults.items(),
                                 key=lambda item: -item[1]):
        lines.append('    fault x%d: %s' % (count, message[:110]))
    return lines


def _leftovers(results):
    found = results.leftovers
    lines = ['After deleting all: time to 404 (median / max) %s s; not '
             'gone within %.0f s: %d' % (_seconds(results.delete_seconds),
                                         results.settings.delete_settle,
                                         len(results.undeleted)),
             'Orphans (after a grace of %.0f s when something was left at '
             'the 404; "[n at 404]" when that differs)'
             % results.settings.leftover_grace]
    for key in ('processes', 'directories', 'instances', 'local_servers',
                'locks', 'queues', 'broker users', 'service processes'):
        items = found.get(key, [])
        label = {'instances': 'rows: live instances',
                 'local_servers': 'rows: local_servers',
                 'locks': 'rows: locks held'}.get(key, key)
        if key == 'queues':
            items_text = _queues(items)
        else:
            items_text = '; '.join(items)[:300]
        early = results.leftovers_at_404.get(key)
        lines.append('  %-24s %d%s %s' % (
            label, len(items),
            ' [%d at 404]' % early if early not in (None, len(items))
            else '', items_text))
    return lines


def _queues(names):
    expiring = [n for n in names if n.endswith(' (x-expires)')]
    guests = {n.split('.')[1] for n in names
              if n.startswith('guestagent.') and n not in expiring}
    others = [n for n in names if not n.startswith('guestagent.') and
              n not in expiring]
    text = []
    if guests:
        text.append('guestagent.<id>[.<id>] of %d deleted instance(s)'
                    % len(guests))
    if expiring:
        text.append('%d expiring (fanout/reply, x-expires)' % len(expiring))
    return '; '.join(text + others)


def format_table(results):
    """The run's figures as text lines joined by newlines."""
    settings = results.settings
    head = ('chaos run: seed %d, %d operation(s) (budget %d%s), '
            '%d taskmanager(s), deadlines %s; chaos %.0f s, total %.0f s'
            % (settings.seed, len(results.operations), settings.operations,
               ', %.1f min' % settings.minutes if settings.minutes else '',
               settings.taskmanagers,
               ', '.join('%s=%s' % kv for kv in sorted(
                   settings.deadlines.items())) or 'default',
               results.chaos_seconds, results.total_seconds))
    if settings.never_restart:
        head += '; never restarted: %s' % ', '.join(settings.never_restart)
    lines = [head] + _operations(results) + _kills(results) + \
        _instances(results) + _leftovers(results)
    if results.restart_failures:
        lines.append('Service restarts that failed: %d' %
                     len(results.restart_failures))
        lines += ['  ' + f.splitlines()[0][:200]
                  for f in results.restart_failures]
    bad = {k: v for k, v in results.stop_codes.items()
           if v != 0 and k not in settings.never_restart}
    if bad:
        lines.append('Services that did not stop cleanly: %s' % bad)
    return '\n'.join(lines)
