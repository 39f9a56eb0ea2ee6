"""``python -m tests.chaos``: a chaos run of any length (see the package
docstring).
"""

import argparse
import sys
import time

from tests.chaos import driver
from tests.chaos import run


def parse(argv):
    parser = argparse.ArgumentParser(
        prog='python -m tests.chaos',
        description='Create/restart/delete real MariaDB instances while '
                    'killing trove_lite\'s processes; print the figures.')
    parser.add_argument('--operations', type=int, default=100,
                        help='operations to run (default 100)')
    parser.add_argument('--minutes', type=float,
                        help='stop the operations after this long, even '
                             'if the budget is not spent')
    parser.add_argument('--seed', type=int,
                        help='seed of every random choice (default: a '
                             'random one, printed)')
    parser.add_argument('--taskmanagers', type=int, choices=(1, 2),
                        default=1)
    parser.add_argument('--settle', type=float, default=90,
                        help='seconds the instances get to come to rest '
                             'after the chaos (default 90)')
    parser.add_argument('--build-timeout', type=int,
                        help='[DEFAULT] build_timeout of the run')
    parser.add_argument('--restart-timeout', type=int,
                        help='[DEFAULT] restart_timeout of the run')
    parser.add_argument('--delete-timeout', type=int,
                        help='[DEFAULT] delete_timeout of the run')
    parser.add_argument('--targets', default=','.join(driver.TARGETS),
                        help='comma-separated kill targets (default: all '
                             'of %s)' % ', '.join(driver.TARGETS))
    parser.add_argument('--never-restart', action='append', default=[],
                        metavar='LABEL',
                        help='a service that stays dead once killed (e.g. '
                             'taskmanager-b with --taskmanagers 2: a host '
                             'that does not come back); repeatable')
    parser.add_argument('--keep-logs', metavar='DIR',
                        help='copy the run\'s logs here before clean-up')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    deadlines = {name: value for name, value in (
        ('build_timeout', args.build_timeout),
        ('restart_timeout', args.restart_timeout),
        ('delete_timeout', args.delete_timeout)) if value}
    targets = tuple(t.strip() for t in args.targets.split(',') if t.strip())
    unknown = set(targets) - set(driver.TARGETS)
    if unknown:
        sys.exit('unknown targets: %s' % ', '.join(sorted(unknown)))
    settings = driver.Settings(
        operations=args.operations, minutes=args.minutes, seed=args.seed,
        taskmanagers=args.taskmanagers, settle=args.settle,
        delete_settle=args.settle, deadlines=deadlines, targets=targets,
        never_restart=tuple(args.never_restart))
    started = time.monotonic()
    results, table = run.run(settings, keep_logs=args.keep_logs)
    print(table)
    print('wall time %.0f s' % (time.monotonic() - started))
    return 1 if failed(results) else 0


def failed(results):
    """Anything stuck or left behind; queues that expire on their own
    (the fanout and reply queues of killed services) do not count.
    """
    found = dict(results.leftovers)
    found['queues'] = [name for name in found.get('queues') or ()
                       if not name.endswith(' (x-expires)')]
    return bool(results.stuck or results.undeleted
                or any(found.values()))


if __name__ == '__main__':
    sys.exit(main())
