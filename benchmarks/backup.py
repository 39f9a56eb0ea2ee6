"""Backup and restore throughput of a MySQL instance against the raw tools.

Starts one real ``mariadbd`` through the MySQL manager (as the guest agent
does) in a temporary directory under /tmp, on a loopback address and port
of its own, and fills it with ``--size-mb`` of InnoDB data: ``--tables``
tables of ~1 KB rows, half random bytes and half random hex, so the data
compresses about as well as real data does (neither zeros nor noise).
Filling runs with the binary log off for its sessions, two at a time.

Then, best of ``--repeat`` wall times each, the two orders alternating:

backup, floor
    ``mariabackup --backup --stream=xbstream ... | zstd ... > raw.zst``
    in the storage directory: the command the mariabackup strategy builds
    (``MariaBackup.backup_command``) and the compressor command of
    ``streams.COMPRESSORS``, piped straight into each other and into the
    file by the kernel, with no checksum and no fsync.
backup, ours
    ``backups.take_backup``: the same tools through the runner
    (``streams.CompressedStream``: md5 and size of the compressed stream on
    the fly) into the ``local`` storage plugin in the same directory
    (written to a temporary file, fsync'ed, renamed).
restore, floor
    ``zstd -d -c raw.zst | mbstream -x -C <work>``, then the strategy's
    own ``restore_commands`` (``mariabackup --prepare``, ``--move-back``
    into the second instance's emptied data directory), then the work
    directory removed.
restore, ours
    ``backups.restore`` into the same stopped instance's emptied data
    directory: the stored object read, md5- and size-checked by a pump
    thread into ``zstd -d``, whose output ``mbstream -x`` reads; then the
    same prepare and move-back. Starting the server is excluded from both
    (it is the same afterwards); so is giving the files to the ``mysql``
    user, which ``prepare(restore_info=...)`` does and the floor would
    need as well.

Throughput is the data size (the ``.ibd`` files of the filled tables) over
the seconds; the ratio is ours over the floor's throughput (1.0: as fast
as the raw tools; the aim is 0.9). After the runs the restored instance is
started and its tables' checksums compared with the source's.

    python benchmarks/backup.py [--size-mb 1024] [--repeat 2]
"""

import argparse
import os
import pwd
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from oslo_config import cfg
import pymysql

from trove_lite import conf  # noqa: F401  (registers the options)
from trove_lite.guestagent import backups
from trove_lite.guestagent.datastores.mysql import manager as mysql_manager
from trove_lite.guestagent.datastores import process as ds_process
from trove_lite.guestagent import info as guest_info
from trove_lite.guestagent.strategies.backup import mariabackup
from trove_lite.guestagent import streams

MB = 1024 * 1024
SCHEMA = 'bench'
BATCH_ROWS = 20000
RANDOM_BYTES = 400      # incompressible part of a row
RANDOM_HEX_BYTES = 200  # its hex (400 characters) compresses ~2:1
MARIADB = 'mariadbd .*%s'


def free_address():
    """A random 127.77.x.y and a free port on it."""
    for _ in range(50):
        address = '127.77.%d.%d' % (random.randint(0, 255),
                                    random.randint(2, 254))
        with socket.socket() as sock:
            try:
                sock.bind((address, 0))
            except OSError:
                continue
            return address, sock.getsockname()[1]
    raise SystemExit('no free loopback address in 127.77.0.0/16')


def new_manager(workdir, name):
    instance_dir = os.path.join(workdir, name)
    os.mkdir(instance_dir)
    os.chmod(instance_dir, 0o755)
    address, port = free_address()
    return mysql_manager.Manager(guest_info.GuestInfo(
        guest_id=str(uuid.uuid4()), datastore_manager='mariadb',
        datastore_version='10.11', instance_dir=instance_dir,
        bind_host=address, port=port))


def connect(manager):
    # NOTE(bench): no read timeout: one INSERT of a batch may take a while.
    return pymysql.connect(unix_socket=manager.paths.socket, user='root',
                           ssl_disabled=True, autocommit=True)


def sql(manager, *statements):
    conn = connect(manager)
    try:
        with conn.cursor() as cursor:
            results = []
            for statement in statements:
                cursor.execute(statement)
                results.append(cursor.fetchall())
            return results
    finally:
        conn.close()


def data_bytes(manager, tables):
    return sum(os.path.getsize(os.path.join(
        manager.paths.datadir, SCHEMA, '%s.ibd' % table)) for table in tables)


def tree_bytes(path):
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _dirs, files in os.walk(path) for name in files)


def fill(manager, size_mb, table_count):
    """Fill ``size_mb`` of InnoDB tables; returns (seconds, tables)."""
    tables = ['t%d' % number for number in range(table_count)]
    sql(manager, *['CREATE TABLE %s.%s (id BIGINT NOT NULL AUTO_INCREMENT '
                   'PRIMARY KEY, k INT NOT NULL, a VARBINARY(%d), '
                   'b VARCHAR(%d)) ENGINE=InnoDB'
                   % (SCHEMA, table, RANDOM_BYTES, 2 * RANDOM_HEX_BYTES)
                   for table in tables])
    target = size_mb * MB
    errors = []
    # NOTE(bench): seq_1_to_<n> is MariaDB's Sequence engine.
    insert = ('INSERT INTO %%s.%%s (k, a, b) SELECT seq, RANDOM_BYTES(%d), '
              'HEX(RANDOM_BYTES(%d)) FROM %%s.seq_1_to_%d'
              % (RANDOM_BYTES, RANDOM_HEX_BYTES, BATCH_ROWS))

    def worker(mine):
        conn = connect(manager)
        try:
            with conn.cursor() as cursor:
                # NOTE(bench): the binary log would write every row twice.
                cursor.execute('SET SESSION sql_log_bin = 0')
                while data_bytes(manager, tables) < target:
                    for table in mine:
                        cursor.execute(insert % (SCHEMA, table, SCHEMA))
        except Exception as err:
            errors.append(err)
        finally:
            conn.close()

    began = time.monotonic()
    workers = [threading.Thread(target=worker, args=(tables[start::2],))
               for start in range(2)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    if errors:
        raise errors[0]
    return time.monotonic() - began, tables


class Bench:
    """The source instance, the restore target and the storage directory.
    """

    def __init__(self, workdir, memory_mb):
        self.workdir = workdir
        self.memory_mb = memory_mb
        self.storage = {'driver': 'local',
                        'path': os.path.join(workdir, 'storage')}
        os.mkdir(self.storage['path'])
        self.source = new_manager(workdir, 'source')
        self.target = new_manager(workdir, 'target')
        self.raw_file = os.path.join(self.storage['path'], 'raw.zst')
        self.ours = None
        self.backups = 0

    # -- backups -------------------------------------------------------------

    def raw_backup(self):
        """The floor: mariabackup | zstd > file; (seconds, bytes)."""
        _name, strategy = backups.backup_strategy(self.source)
        compress = streams.COMPRESSORS[cfg.CONF.backup.compressor][0]
        lsn_dir = tempfile.mkdtemp(prefix='backup-lsn-',
                                   dir=self.source.paths.rundir)
        began = time.monotonic()
        try:
            with open(self.raw_file, 'wb') as out, \
                    open(os.devnull, 'wb') as null:
                producer = subprocess.Popen(
                    strategy.backup_command(lsn_dir), stdout=subprocess.PIPE,
                    stderr=null, stdin=subprocess.DEVNULL,
                    cwd=self.source.paths.instance_dir)
                compressor = subprocess.Popen(
                    compress, stdin=producer.stdout, stdout=out,
                    stderr=null)
                producer.stdout.close()
                codes = compressor.wait(), producer.wait()
            seconds = time.monotonic() - began
            if codes != (0, 0):
                raise SystemExit('raw backup failed: exit codes %s (zstd, '
                                 'mariabackup)' % (codes,))
        finally:
            shutil.rmtree(lsn_dir, ignore_errors=True)
        return seconds, os.path.getsize(self.raw_file)

    def our_backup(self):
        """take_backup into the local storage; (seconds, bytes)."""
        if self.ours is not None:
            os.remove(self.ours['location'])
            self.ours = None
        self.backups += 1
        backup_id = 'bench-%d' % self.backups
        began = time.monotonic()
        result = backups.take_backup(self.source, {
            'id': backup_id, 'instance_id': self.source.info.guest_id,
            'backup_type': 'full', 'storage': self.storage, 'parent': None})
        seconds = time.monotonic() - began
        self.ours = dict(result, id=backup_id, storage=self.storage)
        return seconds, result['size']

    # -- restores ------------------------------------------------------------

    def _empty_target(self):
        ds_process.empty_directory(self.target.volume.path)

    def raw_restore(self):
        """The floor: zstd -d | mbstream -x; prepare; move back."""
        self._empty_target()
        strategy = backups.restore_strategy(self.target, [self.ours])
        decompress = streams.COMPRESSORS[cfg.CONF.backup.compressor][1]
        work = os.path.join(self.target.paths.instance_dir,
                            mariabackup.WORK_DIR)
        extracted = os.path.join(work, '0')
        began = time.monotonic()
        os.makedirs(extracted, mode=0o700)
        try:
            with open(os.devnull, 'wb') as null:
                reader = subprocess.Popen(
                    decompress + [self.raw_file], stdout=subprocess.PIPE,
                    stderr=null, stdin=subprocess.DEVNULL)
                extract = subprocess.Popen(
                    strategy.extract_command(extracted), stdin=reader.stdout,
                    stdout=null, stderr=null,
                    cwd=self.target.paths.instance_dir)
                reader.stdout.close()
                codes = extract.wait(), reader.wait()
                if codes != (0, 0):
                    raise SystemExit('raw extract failed: exit codes %s '
                                     '(mbstream, zstd)' % (codes,))
                for command, what in strategy.restore_commands([extracted]):
                    subprocess.run(command, check=True, stdout=null,
                                   stderr=null, stdin=subprocess.DEVNULL,
                                   cwd=self.target.paths.instance_dir)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return time.monotonic() - began, None

    def our_restore(self):
        """backups.restore into the stopped target's empty data dir."""
        self._empty_target()
        began = time.monotonic()
        backups.restore(self.target, {'chain': [self.ours]})
        return time.monotonic() - began, None

    def check_restored(self, tables):
        """Start the target on the last restore and compare checksums."""
        run_as = (pwd.getpwnam(self.target.SERVER_USER)
                  if os.geteuid() == 0 else None)
        if run_as is not None:
            for root, dirs, files in os.walk(self.target.volume.path):
                for name in dirs + files:
                    os.lchown(os.path.join(root, name), run_as.pw_uid,
                              run_as.pw_gid)
        self.target.start_db()
        statement = 'CHECKSUM TABLE %s' % ', '.join(
            '%s.%s' % (SCHEMA, table) for table in tables)
        return sql(self.source, statement) == sql(self.target, statement)

    def close(self):
        for manager in (self.target, self.source):
            try:
                manager.stop_db()
            except Exception as err:
                print('could not stop %s: %s' % (manager.info.instance_dir,
                                                 err))
            # NOTE(bench): whatever happened, no server of ours survives.
            result = subprocess.run(
                ['pgrep', '-f', MARIADB % manager.info.instance_dir],
                capture_output=True, text=True)
            for pid in result.stdout.split():
                if int(pid) != os.getpid():
                    try:
                        os.kill(int(pid), 9)
                    except ProcessLookupError:
                        pass


def best_of(repeat, floor, ours):
    """Best seconds of each over ``repeat`` rounds, alternating which
    goes first (ours last in the last round); each call returns (seconds,
    result). Returns (floor seconds, ours seconds, floor result, our
    result), the results of the last round.
    """
    floors, ourss = [], []
    for number in range(repeat):
        pair = [(floor, floors), (ours, ourss)]
        if (repeat - 1 - number) % 2:
            pair.reverse()
        for call, seconds in pair:
            # NOTE(bench): the dirty pages of the previous run would be
            # written back during this one.
            os.sync()
            seconds.append(call())
        print('  round %d: floor %.2fs, ours %.2fs' % (
            number + 1, floors[-1][0], ourss[-1][0]), flush=True)
    return min(floors)[0], min(ourss)[0], floors[-1][1], ourss[-1][1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--size-mb', type=int, default=1024,
                        help='InnoDB data to fill (default 1024)')
    parser.add_argument('--repeat', type=int, default=2,
                        help='runs of each operation; the best counts')
    parser.add_argument('--tables', type=int, default=4)
    parser.add_argument('--memory-mb', type=int, default=2048,
                        help="the instance's flavor RAM (the buffer pool "
                             'is half)')
    args = parser.parse_args()
    cfg.CONF([], project='trove-lite', default_config_files=[])
    for binaries in (mysql_manager.SERVER_BINARIES,
                     mariabackup.BACKUP_BINARIES,
                     mariabackup.MBSTREAM_BINARIES, ('zstd',)):
        if ds_process.find_binary(binaries) is None:
            raise SystemExit('%s is not installed' % ' or '.join(binaries))
    # NOTE(local): the mysql user must enter it; a socket path is short.
    workdir = tempfile.mkdtemp(prefix='tl-bench-backup-', dir='/tmp')
    os.chmod(workdir, 0o755)
    bench = Bench(workdir, args.memory_mb)
    started = time.monotonic()
    try:
        bench.source.prepare(args.memory_mb, [{'name': SCHEMA}], [])
        bench.target.prepare(args.memory_mb, [], [])
        bench.target.stop_db()
        seconds, tables = fill(bench.source, args.size_mb, args.tables)
        size = data_bytes(bench.source, tables)
        print('filled %d tables with %.0f MB of InnoDB data in %.1fs '
              '(data directory %.0f MB)' % (
                  len(tables), size / MB, seconds,
                  tree_bytes(bench.source.paths.datadir) / MB), flush=True)

        print('backup (best of %d):' % args.repeat, flush=True)
        raw_b, our_b, raw_stored, our_stored = best_of(
            args.repeat, bench.raw_backup, bench.our_backup)
        print('restore (best of %d):' % args.repeat, flush=True)
        raw_r, our_r, _, _ = best_of(
            args.repeat, bench.raw_restore, bench.our_restore)
        matches = bench.check_restored(tables)
    finally:
        bench.close()
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print('%-16s %10s %10s %8s %8s %7s' % (
        'operation', 'data MB', 'stored MB', 'seconds', 'MB/s', 'ratio'))
    rows = (('backup', 'raw tools', raw_b, raw_stored, None),
            ('backup', 'ours', our_b, our_stored, raw_b),
            ('restore', 'raw tools', raw_r, raw_stored, None),
            ('restore', 'ours', our_r, our_stored, raw_r))
    for operation, who, seconds, stored, floor in rows:
        ratio = '' if floor is None else '%7.2f' % (floor / seconds)
        print('%-16s %10.0f %10.0f %8.2f %8.1f %7s' % (
            '%s, %s' % (operation, who), size / MB, stored / MB, seconds,
            size / MB / seconds, ratio))
    print()
    print('backup: %.2f of the raw tool (aim >= 0.9)' % (raw_b / our_b))
    print('restore: %.2f of the raw tool (aim >= 0.9)' % (raw_r / our_r))
    print('restored tables match the source: %s'
          % ('yes' if matches else 'NO'))
    print('(whole run %.0fs; restores exclude starting the server)'
          % (time.monotonic() - started))
    return 0 if matches else 1


if __name__ == '__main__':
    sys.exit(main())
