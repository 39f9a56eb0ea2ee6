"""The chaos driver: operations on one side, kills on the other.

The main thread runs operations (create, restart, delete of real MariaDB
instances through the REST API) one after the other, a random gap apart.
A chaos thread meanwhile, at random moments, SIGKILLs the API, a
taskmanager or the conductor (each started again after a short random
delay), a guest agent or a datastore server of a random instance (never
started again by the driver: the system has to recover or report), or
severs the RabbitMQ proxy (refusing new connections for a few seconds
sometimes). Every random choice comes from RNGs seeded with the run's
seed; the threads' timing is not reproducible, the choices are.

When the budget is spent (operations or minutes), the driver stops the
chaos, brings every service back, lets the instances settle (up to a
bound), records how each ended, deletes them all and waits for 404, and
collects what was left behind (``leftovers``). ``report.format_table``
prints the result.
"""

import dataclasses
import random
import statistics
import threading
import time
import typing

import requests

from tests.chaos import harness
from tests.chaos import leftovers
from tests.chaos import monitor as monitor_mod
from tests import waiting

CREATE, RESTART, DELETE = 'create', 'restart', 'delete'
API, TASKMANAGER, CONDUCTOR = 'api', 'taskmanager', 'conductor'
AGENT, DATASTORE, RABBIT = 'guestagent', 'datastore', 'rabbit'
TARGETS = (API, TASKMANAGER, CONDUCTOR, AGENT, DATASTORE, RABBIT)
REQUEST_TIMEOUT = 30


@dataclasses.dataclass
class Settings:
    """What a run does. Times in seconds; ``(low, high)`` pairs are the
    bounds of a uniform draw.
    """

    operations: int = 30
    minutes: typing.Optional[float] = None
    seed: typing.Optional[int] = None
    taskmanagers: int = 1
    settle: float = 90.0
    delete_settle: float = 90.0
    leftover_grace: float = 15.0
    op_gap: tuple = (1.0, 4.0)
    chaos_gap: tuple = (4.0, 12.0)
    restart_delay: tuple = (1.0, 5.0)
    refuse: tuple = (0.0, 4.0)
    max_live: int = 3
    targets: tuple = TARGETS
    # Service labels (``taskmanager-b``) that stay dead once killed, to
    # the end of the run: a host that does not come back.
    never_restart: tuple = ()
    # ``[DEFAULT]`` deadline options (conf/instances.py) for the run;
    # unset ones keep the product's defaults.
    deadlines: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        if self.seed is None:
            self.seed = random.SystemRandom().randrange(1, 10 ** 6)


@dataclasses.dataclass
class Operation:
    kind: str
    instance_id: typing.Optional[str]
    sent: float
    # accepted, refused (4xx), 5xx, api down (connection refused), no
    # answer (reset or timed out: the API may have done it)
    outcome: str = 'no answer'
    code: typing.Optional[int] = None
    settle_seconds: typing.Optional[float] = None


@dataclasses.dataclass
class Kill:
    target: str
    at: float
    victim: str
    in_flight: list
    restarted: typing.Optional[bool] = None
    restarted_at: typing.Optional[float] = None
    # Seconds from the restart to when each instance in flight at the
    # kill was first seen at rest (None: never, within the run).
    recovery: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Results:
    settings: Settings
    operations: list = dataclasses.field(default_factory=list)
    kills: list = dataclasses.field(default_factory=list)
    # instance id -> 'deleted' | 'ACTIVE' | 'ERROR' | 'stuck'
    outcomes: dict = dataclasses.field(default_factory=dict)
    details: dict = dataclasses.field(default_factory=dict)
    faults: dict = dataclasses.field(default_factory=dict)
    chaos_seconds: float = 0.0
    settle_seconds: typing.Optional[float] = None
    delete_seconds: list = dataclasses.field(default_factory=list)
    undeleted: list = dataclasses.field(default_factory=list)
    leftovers: dict = dataclasses.field(default_factory=dict)
    leftovers_at_404: dict = dataclasses.field(default_factory=dict)
    restart_failures: list = dataclasses.field(default_factory=list)
    stop_codes: dict = dataclasses.field(default_factory=dict)
    total_seconds: float = 0.0

    def count(self, outcome):
        return sum(1 for o in self.outcomes.values() if o == outcome)

    @property
    def stuck(self):
        return sorted(i for i, o in self.outcomes.items() if o == 'stuck')

    def settle_stats(self, kind):
        values = [op.settle_seconds for op in self.operations
                  if op.kind == kind and op.settle_seconds is not None]
        if not values:
            return None
        return statistics.median(values), max(values)


class Driver:
    """One chaos run against a started ``harness.Cloud``."""

    def __init__(self, cloud, settings, log=print):
        self.cloud = cloud
        self.settings = settings
        self.log = log
        self.ops_rng = random.Random(settings.seed)
        self.chaos_rng = random.Random(settings.seed * 7919 + 1)
        self.monitor = monitor_mod.Monitor(cloud.v1)
        self.results = Results(settings)
        self._chaos_stop = threading.Event()
        self._restarting = set()
        self._restart_threads = []
        self._lock = threading.Lock()
        self._deleting = set()
        self._names = 0

    # -- operations ---------------------------------------------------------

    def _request(self, op, method, path, body=None):
        try:
            resp = requests.request(method, self.cloud.v1 + path, json=body,
                                    timeout=REQUEST_TIMEOUT)
        except requests.ConnectionError as err:
            # NOTE(chaos): refused means the request never reached an
            # API; anything else (reset, timeout) may have been done.
            op.outcome = 'api down' if 'refused' in str(err) else \
                'no answer'
            return None
        except requests.RequestException:
            op.outcome = 'no answer'
            return None
        op.code = resp.status_code
        if resp.status_code < 300:
            op.outcome = 'accepted'
        elif resp.status_code >= 500:
            op.outcome = '5xx'
        else:
            op.outcome = 'refused'
        return resp

    def _candidates(self):
        return {i: s for i, (s, _) in self.monitor.current().items()
                if s != monitor_mod.GONE and i not in self._deleting}

    def _choose(self):
        live = self._candidates()
        if not live:
            return CREATE, None
        active = [i for i, s in live.items() if s == 'ACTIVE']
        if len(live) >= self.settings.max_live:
            kind = self.ops_rng.choice([RESTART, DELETE])
        else:
            kind = self.ops_rng.choices([CREATE, RESTART, DELETE],
                                        [0.4, 0.35, 0.25])[0]
        if kind == CREATE:
            return kind, None
        pool = active if kind == RESTART and active else list(live)
        return kind, self.ops_rng.choice(sorted(pool))

    def operate(self):
        kind, instance_id = self._choose()
        op = Operation(kind, instance_id, time.monotonic())
        if kind == CREATE:
            self._names += 1
            resp = self._request(op, 'POST', '/instances', {'instance': {
                'name': 'chaos-%d' % self._names, 'flavorRef': '1',
                'volume': {'size': 1},
                'datastore': {'type': 'mysql'}}})
            if op.outcome == 'accepted':
                op.instance_id = resp.json()['instance']['id']
                self.monitor.track(op.instance_id, 'BUILD', op.sent)
        elif kind == RESTART:
            self._request(op, 'POST', '/instances/%s/action' % instance_id,
                          {'restart': {}})
        else:
            self._request(op, 'DELETE', '/instances/%s' % instance_id)
            if op.outcome == 'accepted':
                self._deleting.add(instance_id)
        self.results.operations.append(op)
        self.log('op %-7s %-36s %s%s' % (kind, op.instance_id or '-',
                                         op.outcome,
                                         ' %s' % op.code if op.code else ''))
        return op

    # -- chaos --------------------------------------------------------------

    def _service_labels(self, target):
        if target == TASKMANAGER:
            return [label for label in self.cloud.services
                    if label.startswith('taskmanager')]
        return [target]

    def _instance_victims(self, kind):
        victims = []
        for instance_id in sorted(self._candidates()):
            pids = self.cloud.instance_processes(instance_id)[kind]
            if pids:
                victims.append((instance_id, pids))
        return victims

    def _available(self):
        available = []
        for target in self.settings.targets:
            if target in (AGENT, DATASTORE):
                kind = 'agent' if target == AGENT else 'datastore'
                if self._instance_victims(kind):
                    available.append(target)
            elif target == RABBIT:
                available.append(target)
            else:
                with self._lock:
                    if any(label not in self._restarting
                           for label in self._service_labels(target)):
                        available.append(target)
        return available

    def strike(self):
        """Kill one random target now; the ``Kill``, or None."""
        available = self._available()
        if not available:
            return None
        target = self.chaos_rng.choice(available)
        in_flight = self.monitor.in_flight()
        now = time.monotonic()
        if target == RABBIT:
            refuse = self.chaos_rng.choice(
                [0.0, self.chaos_rng.uniform(*self.settings.refuse)])
            cut = self.cloud.proxy.sever(refuse_seconds=refuse)
            kill = Kill(target, now, '%d connections, refusing %.1fs'
                        % (cut, refuse), in_flight)
        elif target in (AGENT, DATASTORE):
            kind = 'agent' if target == AGENT else 'datastore'
            instance_id, pids = self.chaos_rng.choice(
                self._instance_victims(kind))
            harness.kill_pids(pids)
            kill = Kill(target, now, instance_id, in_flight)
        else:
            with self._lock:
                labels = [label for label in self._service_labels(target)
                          if label not in self._restarting]
                label = self.chaos_rng.choice(labels)
                self._restarting.add(label)
            self.cloud.services[label].kill()
            kill = Kill(target, now, label, in_flight)
            if label in self.settings.never_restart:
                kill.restarted = False
                self.results.kills.append(kill)
                self.log('kill %-16s %s, for good (in flight: %d)' % (
                    target, label, len(in_flight)))
                return kill
            delay = self.chaos_rng.uniform(*self.settings.restart_delay)
            thread = threading.Thread(target=self._restart_later,
                                      args=(kill, label, delay),
                                      name='chaos-restart', daemon=True)
            self._restart_threads.append(thread)
            thread.start()
        self.results.kills.append(kill)
        self.log('kill %-16s %s (in flight: %d)' % (target, kill.victim,
                                                    len(in_flight)))
        return kill

    def _restart_later(self, kill, label, delay):
        time.sleep(delay)
        try:
            self.cloud.restart(label)
            kill.restarted = True
            kill.restarted_at = time.monotonic()
        except AssertionError as err:
            kill.restarted = False
            self.results.restart_failures.append('%s: %s' % (
                label, str(err)[:2000]))
        finally:
            with self._lock:
                self._restarting.discard(label)

    def _chaos_loop(self):
        while not self._chaos_stop.wait(
                self.chaos_rng.uniform(*self.settings.chaos_gap)):
            self.strike()

    def _recover(self):
        """Stop the chaos and bring every service back."""
        self._chaos_stop.set()
        for thread in self._restart_threads:
            thread.join()
        for label, service in self.cloud.services.items():
            if not service.alive() and \
                    label not in self.settings.never_restart:
                self.log('%s is down at the end of chaos (exit %s); '
                         'starting it' % (label,
                                          service.process.popen.returncode))
                self.results.restart_failures.append(
                    '%s died by itself' % label)
                self.cloud.restart(label)

    # -- the end ------------------------------------------------------------

    def _settle(self):
        """Wait (bounded) until every instance rests; record outcomes."""
        start = time.monotonic()
        end = start + self.settings.settle
        while True:
            self.monitor.poll()
            if not self.monitor.in_flight() or time.monotonic() >= end:
                break
            time.sleep(1)
        if not self.monitor.in_flight():
            self.results.settle_seconds = time.monotonic() - start
            # NOTE(race): a restart's flow ends (ACTIVE) before the
            # conductor stores the guest's healthy heartbeat.
            waiting.wait_for(lambda: all(
                o == 'HEALTHY' for s, o in self.monitor.current().values()
                if s == 'ACTIVE'), timeout=10, interval=0.5)
        for op in self.results.operations:
            if op.outcome == 'accepted' and op.instance_id:
                settled = self.monitor.settled_at(op.instance_id, op.sent)
                if settled is not None:
                    op.settle_seconds = settled - op.sent
        for kill in self.results.kills:
            for instance_id in kill.in_flight:
                settled = self.monitor.settled_at(instance_id, kill.at)
                kill.recovery[instance_id] = None if settled is None else \
                    settled - (kill.restarted_at or kill.at)
        self._classify()

    def _classify(self):
        for instance_id, (status, operating) in sorted(
                self.monitor.current().items()):
            if status == monitor_mod.GONE:
                self.results.outcomes[instance_id] = 'deleted'
                continue
            if status not in monitor_mod.RESTING:
                self.results.outcomes[instance_id] = 'stuck'
                self.results.details[instance_id] = status
                continue
            self.results.outcomes[instance_id] = status
            if status == 'ACTIVE':
                self.results.details[instance_id] = operating
            elif status == 'ERROR':
                fault = self._fault(instance_id)
                self.results.details[instance_id] = fault
                if fault:
                    self.results.faults[fault] = \
                        self.results.faults.get(fault, 0) + 1

    def _fault(self, instance_id):
        resp = requests.get('%s/instances/%s' % (self.cloud.v1, instance_id),
                            timeout=REQUEST_TIMEOUT)
        if not resp.ok:
            return None
        return (resp.json()['instance'].get('fault') or {}).get('message')

    def _delete_all(self):
        """Delete every instance left; wait (bounded) for them to go."""
        remaining = {i: 0 for i, (s, _) in self.monitor.current().items()
                     if s != monitor_mod.GONE}
        start = time.monotonic()
        end = start + self.settings.delete_settle
        sent = {}
        while remaining and time.monotonic() < end:
            current = self.monitor.current()
            for instance_id in list(remaining):
                status = current.get(instance_id, (None,))[0]
                if status == monitor_mod.GONE:
                    del remaining[instance_id]
                    self.results.delete_seconds.append(
                        time.monotonic() - start)
                    continue
                # A first delete, or again after a failed one (ERROR).
                if instance_id not in sent or (
                        status == 'ERROR' and remaining[instance_id] < 3 and
                        time.monotonic() - sent[instance_id] > 5):
                    op = Operation(DELETE, instance_id, time.monotonic())
                    self._request(op, 'DELETE', '/instances/%s'
                                  % instance_id)
                    if op.outcome in ('accepted', 'refused'):
                        sent[instance_id] = op.sent
                        remaining[instance_id] += 1
            time.sleep(1)
            self.monitor.poll()
        self.results.undeleted = sorted(remaining)

    def _local_leftovers(self):
        found = {
            'processes': ['%d %s' % (pid, args[:120]) for pid, args
                          in leftovers.processes(self.cloud)],
            'directories': leftovers.directories(self.cloud),
        }
        found.update(leftovers.rows(self.cloud.db_url))
        return found

    def _leftovers(self):
        """What is left once every instance answers 404, and again after
        ``leftover_grace`` seconds if anything was: a flow still undoing
        its work at the 404 is late, not an orphan, and the table says
        both.
        """
        found = self._local_leftovers()
        self.results.leftovers_at_404 = {k: len(v) for k, v in found.items()}
        if any(found.values()):
            waiting.wait_for(lambda: not any(self._local_leftovers().values()),
                             timeout=self.settings.leftover_grace,
                             interval=1)
            found = self._local_leftovers()
        ids = self.monitor.ids()
        found['queues'] = leftovers.queues(self.cloud.exchange, ids)
        found['broker users'] = leftovers.broker_users(ids)
        self.results.leftovers = found

    def run(self):
        """The whole run; returns the ``Results``."""
        settings = self.settings
        started = time.monotonic()
        self.log('chaos seed %d' % settings.seed)
        self.monitor.start()
        chaos = threading.Thread(target=self._chaos_loop, name='chaos',
                                 daemon=True)
        chaos.start()
        deadline = started + settings.minutes * 60 if settings.minutes \
            else None
        try:
            for _ in range(settings.operations):
                if deadline and time.monotonic() >= deadline:
                    break
                self.operate()
                time.sleep(self.ops_rng.uniform(*settings.op_gap))
        finally:
            self._chaos_stop.set()
            chaos.join()
            self._recover()
        self.results.chaos_seconds = time.monotonic() - started
        self.log('chaos over after %.0fs; settling' %
                 self.results.chaos_seconds)
        self._settle()
        self.log('deleting everything')
        self._delete_all()
        self.monitor.stop()
        self._leftovers()
        self.results.total_seconds = time.monotonic() - started
        return self.results
