"""Time from ``POST /instances`` to ACTIVE/HEALTHY of a real MariaDB.

Starts ``trove-lite-all`` (embedded shape: SQLite, in-process RPC, the
local compute driver, guest agents as threads) with its defaults on a free
port, then for each repetition creates a MySQL instance through the real
REST API, polls ``GET /instances/<id>`` until it shows ACTIVE and HEALTHY,
and deletes it again.

The floor is what no control plane can beat on this machine: the same
server configuration (the guest's ``my.cnf``), ``mariadb-install-db`` into
a fresh data directory with the guest's options, then ``mariadbd`` started
on a free loopback port until it accepts a TCP connection (as the mysql
user when run as root, as the guest does). Both are polled every 20 ms.

Medians are printed with their ratio, followed by where the time of the
median create went, read from the service's log.

    python benchmarks/create_instance.py [--repeat 3]
"""

import argparse
import datetime
import json
import os
import pwd
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import pymysql
import requests

from trove_lite.guestagent.datastores.mysql import config
from trove_lite.guestagent.datastores.mysql import manager
from trove_lite.guestagent.datastores import process as ds_process

BIN = os.path.dirname(sys.executable)
PROJECT = 'bench'
POLL = 0.02
DEADLINE = 300
FLAVOR_RAM_MB = 512  # m1.tiny, the flavor the instances are created with

# (label, pattern of the log line that ends the step); the breakdown prints
# the time from the previous step's end to the first line matching each.
STEPS = (
    ('API answered POST', None),
    ('taskmanager claims the row', r'Creating instance %(id)s'),
    ('server + agent started', r'Guest agent of instance %(id)s started'),
    ('prepare received', r'Preparing instance %(id)s'),
    ('mariadb-install-db', r'Started mariadbd for instance %(id)s'),
    ('mariadbd accepts, SQL setup', r'Instance %(id)s prepared'),
    ('healthy heartbeat stored', r'Instance %(id)s reports healthy'),
    ('flow finished (ACTIVE)', r'Instance %(id)s: build_done'),
)
_STAMP = re.compile(r'^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) ')


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _accepts(host, port):
    try:
        # NOTE(bench): without ssl_disabled PyMySQL 1.2 loads the CA
        # bundle (~20 ms) on every try, which is not the server's time.
        conn = pymysql.connect(host=host, port=port, user='nobody',
                               password='x', connect_timeout=1,
                               ssl_disabled=True)
    except pymysql.err.OperationalError as err:
        # Access denied (1045) is an answer: the server accepts.
        return err.args[0] == 1045
    except OSError:
        return False
    conn.close()
    return True


def floor_once(workdir):
    """Seconds to install and start a bare mariadbd until it accepts."""
    base = tempfile.mkdtemp(prefix='floor-', dir=workdir)
    os.chmod(base, 0o755)
    paths = manager.Paths(base)
    run_as = pwd.getpwnam('mysql') if os.geteuid() == 0 else None
    for directory in (paths.datadir, paths.rundir, paths.logdir,
                      paths.tmpdir, paths.files_dir):
        os.makedirs(directory, mode=0o750)
        if run_as:
            os.chown(directory, run_as.pw_uid, run_as.pw_gid)
    port = free_port()
    with open(paths.my_cnf, 'w') as handle:
        handle.write(config.render(config.settings(
            paths, '127.0.0.1', port, FLAVOR_RAM_MB,
            user=run_as.pw_name if run_as else None, instance_id=base)))
    os.chmod(paths.my_cnf, 0o644)
    install = ds_process.find_binary(manager.INSTALL_BINARIES, ('/usr/bin',))
    server = ds_process.find_binary(manager.SERVER_BINARIES)
    began = time.monotonic()
    command = [install, '--defaults-file=%s' % paths.my_cnf,
               '--auth-root-authentication-method=normal', '--skip-test-db',
               '--datadir=%s' % paths.datadir]
    if run_as:
        command.append('--user=%s' % run_as.pw_name)
    subprocess.run(command, check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    process = subprocess.Popen(
        [server, '--defaults-file=%s' % paths.my_cnf],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        while not _accepts('127.0.0.1', port):
            if process.poll() is not None or (
                    time.monotonic() - began > DEADLINE):
                raise SystemExit('floor mariadbd did not start; see %s'
                                 % paths.log_error)
            time.sleep(POLL)
        return time.monotonic() - began
    finally:
        process.terminate()
        process.wait()
        shutil.rmtree(base, ignore_errors=True)


class Service:
    """``trove-lite-all`` on a free port with a state directory of its own."""

    def __init__(self, workdir):
        state = os.path.join(workdir, 'state')
        self.port = free_port()
        conf = os.path.join(workdir, 'trove-lite.conf')
        with open(conf, 'w') as handle:
            handle.write('[DEFAULT]\nbind_host = 127.0.0.1\nbind_port = %d\n'
                         'state_path = %s\n'
                         '# polled every POLL seconds\n'
                         'http_get_rate = 1000000\n' % (self.port, state))
        self.log_path = os.path.join(workdir, 'all.log')
        self._log = open(self.log_path, 'w')
        self.process = subprocess.Popen(
            [os.path.join(BIN, 'trove-lite-all'), '--config-file', conf],
            stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
        self.url = 'http://127.0.0.1:%d/v1.0/%s' % (self.port, PROJECT)
        self.http = requests.Session()
        self.created = []
        end = time.monotonic() + 60
        while True:
            try:
                self.http.get(self.url + '/flavors', timeout=2)
                break
            except requests.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > end:
                    raise SystemExit('trove-lite-all did not start; see %s'
                                     % self.log_path)
                time.sleep(0.2)

    def create_once(self, number):
        """(seconds to ACTIVE/HEALTHY, instance id, POST wall clock)."""
        posted = datetime.datetime.now()
        began = time.monotonic()
        response = self.http.post(self.url + '/instances', json={'instance': {
            'name': 'bench%d' % number, 'flavorRef': '1',
            'volume': {'size': 1}, 'datastore': {'type': 'mysql'},
            'databases': [{'name': 'app'}],
            'users': [{'name': 'app', 'password': 'secret',
                       'databases': [{'name': 'app'}]}]}}, timeout=30)
        assert response.status_code == 200, response.text
        instance_id = response.json()['instance']['id']
        self.created.append(instance_id)
        answered = time.monotonic() - began
        while True:
            shown = self.http.get('%s/instances/%s' % (self.url, instance_id),
                                  timeout=30).json()['instance']
            if shown['status'] == 'ACTIVE' and (
                    shown['operating_status'] == 'HEALTHY'):
                return (time.monotonic() - began, instance_id, posted,
                        answered)
            if shown['status'] == 'ERROR' or time.monotonic() - began > (
                    DEADLINE):
                raise SystemExit('instance %s: %s; see %s' % (
                    instance_id, json.dumps(shown), self.log_path))
            time.sleep(POLL)

    def delete(self, instance_id):
        self.http.delete('%s/instances/%s' % (self.url, instance_id),
                         timeout=30)
        end = time.monotonic() + 120
        while self.http.get('%s/instances/%s' % (self.url, instance_id),
                            timeout=30).status_code != 404:
            if time.monotonic() > end:
                raise SystemExit('instance %s was not deleted' % instance_id)
            time.sleep(0.2)

    def breakdown(self, instance_id, posted, answered):
        """[(step, seconds)] of one create, from the log."""
        with open(self.log_path) as handle:
            lines = handle.read().splitlines()
        result = [(STEPS[0][0], answered)]
        previous = answered
        for label, pattern in STEPS[1:]:
            regex = re.compile(pattern % {'id': instance_id}, re.IGNORECASE)
            for line in lines:
                stamp = _STAMP.match(line)
                if stamp and regex.search(line):
                    at = (datetime.datetime.strptime(
                        stamp.group(1), '%Y-%m-%d %H:%M:%S.%f')
                        - posted).total_seconds()
                    result.append((label, at - previous))
                    previous = at
                    break
            else:
                result.append((label, None))
        return result, previous

    def stop(self):
        # NOTE(local): mariadbd outlives trove-lite-all by design; a run
        # that failed half-way must not leave one behind.
        for instance_id in self.created:
            try:
                self.delete(instance_id)
            except Exception as err:
                print('could not delete %s: %s' % (instance_id, err))
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeat', type=int, default=3)
    args = parser.parse_args()
    # NOTE(local): the mysql user must enter it; a socket path is short.
    workdir = tempfile.mkdtemp(prefix='tl-bench-', dir='/tmp')
    os.chmod(workdir, 0o755)
    service = Service(workdir)
    creates, floors, runs = [], [], []
    try:
        for number in range(args.repeat):
            floors.append(floor_once(workdir))
            seconds, instance_id, posted, answered = service.create_once(
                number)
            creates.append(seconds)
            runs.append((seconds, service.breakdown(instance_id, posted,
                                                    answered)))
            service.delete(instance_id)
            service.created.remove(instance_id)
            print('run %d: create %.2fs, floor %.2fs'
                  % (number + 1, seconds, floors[-1]), flush=True)
    finally:
        service.stop()
    create, floor = statistics.median(creates), statistics.median(floors)
    print('create -> ACTIVE/HEALTHY, median of %d' % args.repeat)
    print('%-12s %10s %10s %8s' % ('', 'create s', 'floor s', 'ratio'))
    print('%-12s %10.2f %10.2f %8.2f' % ('mysql', create, floor,
                                         create / floor))
    seconds, (steps, logged_end) = sorted(runs)[len(runs) // 2]
    print('breakdown of the median create (%.2fs):' % seconds)
    for label, step in steps:
        shown = '   n/a' if step is None else '%6.2fs' % step
        print('  %-32s %s' % (label, shown))
    print('  %-32s %6.2fs' % ('ACTIVE seen by the poller',
                              seconds - logged_end))
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    main()
