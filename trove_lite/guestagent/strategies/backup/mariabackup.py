"""Physical MySQL-family backups with ``mariabackup --stream=xbstream``.

A backup streams the running server's files (``--backup``), as the root
account the agent itself uses on the instance's socket; the tool copies
InnoDB's redo log alongside, so the copy is consistent once prepared. It
writes its checkpoints (``from_lsn``/``to_lsn``) to an ``--extra-lsndir``
under the instance's run directory as well, where they are read once the
stream ends: ``to_lsn`` is what an incremental backup on top of this one
starts from (``--incremental-lsn``). Its ``xtrabackup_info`` there names
the binary log's GTID position that the copy is consistent with
(``gtid``, when the binary log is on): where a replica seeded from the
backup starts replicating.

A restore (RESTORE_FILES: the server is stopped, the data directory
empty) extracts each backup of the chain with ``mbstream -x`` into a work
directory beside the data directory (the same filesystem, so the final
move is a rename), prepares the full one, applies each incremental to it
in order, and moves the result into the data directory
(``--move-back``, with the instance's ``my.cnf``). The work directories
go, whatever happens.
"""

import os
import re
import shutil
import subprocess
import tempfile

from oslo_log import log as logging

from trove_lite.common import exception
from trove_lite.guestagent.datastores import process
from trove_lite.guestagent.strategies.backup import base
from trove_lite.guestagent.strategies.backup import command

LOG = logging.getLogger(__name__)

BACKUP_BINARIES = ('mariadb-backup', 'mariabackup')
MBSTREAM_BINARIES = ('mbstream',)
CHECKPOINTS = 'xtrabackup_checkpoints'
INFO = 'xtrabackup_info'
# ``binlog_pos = filename 'mysql-bin.000001', position '1107', GTID of the
# last change '0-1-5'`` (a list of GTIDs, one per domain, when there are
# several; empty when nothing was ever logged).
_BINLOG_GTID = re.compile(r"^binlog_pos\s*=.*GTID of the last change "
                          r"'([0-9,\- ]*)'", re.MULTILINE)
WORK_DIR = 'restore-work'


def find(names):
    """The path of the first of ``names`` installed.

    :raises: exception.GuestError when none is.
    """
    binary = process.find_binary(names, extra_dirs=('/usr/bin',)
                                 + process.SBIN_DIRS)
    if binary is None:
        raise exception.GuestError(
            message='%s is not installed on this host (Debian package '
                    'mariadb-backup).' % ' or '.join(names))
    return binary


def read_checkpoints(path):
    """The ``key = value`` pairs of an ``xtrabackup_checkpoints`` file.

    :raises: exception.GuestError when it is missing.
    """
    try:
        with open(path) as handle:
            lines = handle.read().splitlines()
    except OSError as err:
        raise exception.GuestError(
            message='mariabackup left no checkpoints: %s' % err)
    values = {}
    for line in lines:
        key, sep, value = line.partition('=')
        if sep:
            values[key.strip()] = value.strip()
    return values


def read_gtid(path):
    """The GTID position an ``xtrabackup_info`` file records (``''`` for
    a server that never logged a transaction), or None when it records
    none (the binary log was off).
    """
    try:
        with open(path) as handle:
            text = handle.read()
    except OSError:
        return None
    found = _BINLOG_GTID.search(text)
    return found.group(1).replace(' ', '') if found else None


class MariaBackupStream(command.CommandStream):
    """A running ``mariabackup --backup``; its checkpoints, written to
    ``lsn_dir``, are the backup's metadata.
    """

    def __init__(self, args, lsn_dir, **popen_args):
        self._lsn_dir = lsn_dir
        super().__init__(args, 'mariabackup --backup', **popen_args)

    def metadata(self):
        checkpoints = read_checkpoints(
            os.path.join(self._lsn_dir, CHECKPOINTS))
        if 'to_lsn' not in checkpoints:
            raise exception.GuestError(
                message='mariabackup recorded no to_lsn.')
        metadata = {'from_lsn': checkpoints.get('from_lsn'),
                    'to_lsn': checkpoints['to_lsn'],
                    'backup_type': checkpoints.get('backup_type')}
        gtid = read_gtid(os.path.join(self._lsn_dir, INFO))
        if gtid is not None:
            metadata['gtid'] = gtid
        return metadata

    def cleanup(self):
        shutil.rmtree(self._lsn_dir, ignore_errors=True)


class MariaBackup(base.BackupStrategy):
    """``mariabackup``: full and incremental, restored as files."""

    name = 'mariabackup'
    incremental = True
    restore_stage = base.RESTORE_FILES

    @property
    def paths(self):
        return self.manager.paths

    def _defaults(self):
        # NOTE(defaults): --defaults-file must come first; it names the
        # instance's datadir, socket and InnoDB sizes (never the host's
        # /etc/mysql).
        return ['--defaults-file=%s' % self.paths.my_cnf]

    def backup_command(self, lsn_dir, parent_metadata=None):
        """The ``mariabackup --backup`` argument list of a backup whose
        checkpoints go to ``lsn_dir`` (also what ``benchmarks/backup.py``
        runs as its floor).

        :raises: exception.GuestError when mariabackup is not installed;
            exception.DatastoreOperationNotSupported for a parent
            without ``to_lsn``.
        """
        args = [find(BACKUP_BINARIES)] + self._defaults() + [
            '--backup', '--stream=xbstream', '--user=root',
            '--socket=%s' % self.paths.socket]
        if parent_metadata is not None:
            lsn = parent_metadata.get('to_lsn')
            if not lsn:
                raise exception.DatastoreOperationNotSupported(
                    operation='incremental backup on a parent without '
                              'to_lsn', datastore='mariabackup')
            args.append('--incremental-lsn=%s' % lsn)
        return args + ['--extra-lsndir=%s' % lsn_dir,
                       '--target-dir=%s' % lsn_dir]

    def backup(self, parent_metadata=None):
        lsn_dir = tempfile.mkdtemp(prefix='backup-lsn-',
                                   dir=self.paths.rundir)
        try:
            args = self.backup_command(lsn_dir, parent_metadata)
        except Exception:
            shutil.rmtree(lsn_dir, ignore_errors=True)
            raise
        return MariaBackupStream(args, lsn_dir, cwd=self.paths.instance_dir)

    def restore(self, chain):
        work = os.path.join(self.paths.instance_dir, WORK_DIR)
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work, mode=0o700)
        try:
            targets = []
            for index, (open_stream, _metadata) in enumerate(chain):
                target = os.path.join(work, str(index))
                os.mkdir(target)
                self._extract(open_stream, target)
                targets.append(target)
            for args, what in self.restore_commands(targets):
                self._run(args, what)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def restore_commands(self, targets):
        """``[(argument list, what)]`` that turn the extracted chain in
        ``targets`` (the full backup first) into the data directory:
        prepare the full one, apply each incremental, move the result
        back (also what ``benchmarks/backup.py`` runs as its floor).

        :raises: exception.GuestError when mariabackup is not installed.
        """
        binary = find(BACKUP_BINARIES)
        full = targets[0]
        commands = [([binary, '--no-defaults', '--prepare',
                      '--target-dir=%s' % full], 'mariabackup --prepare')]
        for incremental in targets[1:]:
            commands.append(([binary, '--no-defaults', '--prepare',
                              '--target-dir=%s' % full,
                              '--incremental-dir=%s' % incremental],
                             'mariabackup --prepare (incremental)'))
        commands.append(([binary] + self._defaults() + [
            '--move-back', '--target-dir=%s' % full,
            '--datadir=%s' % self.paths.datadir], 'mariabackup --move-back'))
        return commands

    def extract_command(self, target):
        """The ``mbstream -x`` argument list that unpacks a raw stream
        (its stdin) into ``target``.
        """
        return [find(MBSTREAM_BINARIES), '-x', '-C', target]

    def _extract(self, open_stream, target):
        with open_stream() as raw:
            self._run(self.extract_command(target), 'mbstream -x',
                      stdin=raw)

    def _run(self, args, what, stdin=subprocess.DEVNULL):
        command.run(args, what, stdin=stdin, cwd=self.paths.instance_dir)
