"""What a run left behind after every instance was deleted.

Each check looks where a leak would be, from outside the services and
without their code (a bug in the local driver's own process finding
must not hide its own leaks):

* processes: anything whose command line names the instances directory
  (``pgrep -f``), i.e. guest agents and datastore servers;
* directories: entries left in ``[local] instances_path``;
* rows: live ``instances`` rows, ``local_servers`` rows (address
  reservations) and rows of any resource kind whose lock is still held,
  read with SQL from the infrastructure database;
* queues and broker users: this run's RabbitMQ queues that name one of
  its instances (guest queues) or belong to its exchange and have no
  consumer while every service runs, and guest broker users
  (``trove-guest-<id>``) of its instances, read with ``rabbitmqctl``.
"""

import os
import subprocess

import sqlalchemy as sa

LOCKED_TABLES = ('instances', 'backups', 'clusters')
GUEST_USER_PREFIX = 'trove-guest-'


def processes(cloud):
    """``[(pid, command line)]`` of processes naming the instances path."""
    return sorted(cloud.processes_under().items())


def directories(cloud):
    """``['<id> (<what is in it>)']`` left in the instances directory."""
    try:
        names = sorted(os.listdir(cloud.instances_path))
    except FileNotFoundError:
        return []
    found = []
    for name in names:
        path = os.path.join(cloud.instances_path, name)
        try:
            inside = ','.join(sorted(os.listdir(path)))
        except OSError:
            inside = '?'
        found.append('%s (%s)' % (name, inside))
    return found


def rows(db_url):
    """``{'instances': [ids], 'local_servers': [instance ids],
    'locks': ['<table> <id> <holder>']}``.
    """
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            live = [r[0] for r in conn.execute(sa.text(
                'SELECT id FROM instances WHERE deleted = 0'))]
            servers = [r[0] for r in conn.execute(sa.text(
                'SELECT instance_id FROM local_servers'))]
            locks = []
            for table in LOCKED_TABLES:
                locks += ['%s %s %s' % (table, r[0], r[1])
                          for r in conn.execute(sa.text(
                              'SELECT id, lock_holder FROM %s WHERE '
                              'lock_holder IS NOT NULL' % table))]
    finally:
        engine.dispose()
    return {'instances': live, 'local_servers': servers, 'locks': locks}


def _rabbitmqctl(*args):
    result = subprocess.run(['rabbitmqctl', '--quiet'] + list(args),
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError('rabbitmqctl %s failed: %s' % (
            ' '.join(args), result.stderr.strip()))
    return [line.split('\t') for line in result.stdout.splitlines()
            if line.strip()]


def run_queues(exchange, instance_ids):
    """``[(name, consumers, expires)]`` of the queues of this run: its
    exchange's (named after it, see ``fixtures.unique_bus``) and its
    guests'. ``expires``: the queue has an ``x-expires`` (oslo.messaging
    gives one to fanout and reply queues, ``rabbit_transient_queues_ttl``),
    so RabbitMQ removes it once unused for that long.
    """
    found = []
    for fields in _rabbitmqctl('list_queues', 'name', 'consumers',
                               'arguments'):
        name = fields[0]
        consumers = int(fields[1]) if len(fields) > 1 and \
            fields[1].isdigit() else 0
        expires = len(fields) > 2 and 'x-expires' in fields[2]
        if name.startswith(exchange) or \
                any(i in name for i in instance_ids):
            found.append((name, consumers, expires))
    return found


def queues(exchange, instance_ids):
    """Orphaned queues: a guest's queue after its instance was deleted,
    or one of the run's queues nobody consumes while every service runs
    (the fanout queue of a process that was killed). Expiring ones are
    named with `` (x-expires)`` after them.
    """
    return sorted(name + (' (x-expires)' if expires else '')
                  for name, consumers, expires in run_queues(exchange,
                                                             instance_ids)
                  if consumers == 0 or any(i in name for i in instance_ids))


def broker_users(instance_ids):
    """Guest broker users of this run's instances still on RabbitMQ."""
    wanted = {GUEST_USER_PREFIX + i for i in instance_ids}
    return sorted(fields[0] for fields in _rabbitmqctl('list_users')
                  if fields[0] in wanted)


def remove_broker_objects(exchange, instance_ids):
    """Delete this run's queues and its guests' users from RabbitMQ (the
    run's own objects only, never the broker's others).

    :returns: ``(queues removed, users removed)``.
    """
    names = [name for name, _, _ in run_queues(exchange, instance_ids)]
    for name in names:
        _rabbitmqctl('delete_queue', name)
    users = broker_users(instance_ids)
    for user in users:
        _rabbitmqctl('delete_user', user)
    return len(names), len(users)
