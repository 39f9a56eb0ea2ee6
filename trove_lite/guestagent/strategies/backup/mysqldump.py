"""Logical MySQL-family backups with ``mysqldump``: full only.

The dump is ``--all-databases`` in one consistent snapshot
(``--single-transaction``) with routines, events and triggers, as the
root account the agent uses on the instance's socket.

NOTE(mysqldump): ``--all-databases`` takes the ``mysql`` schema too, and
with it the accounts and grants (``mysql.global_priv``): a restore must
bring back the tenant's users, and the schema is the simplest complete
record of them. Its replay replaces the fresh instance's own accounts
with the source's, which have the same shape (``root@localhost``, reached
over the socket without a password, as ``admin.py`` sets up), and
``--flush-privileges`` makes the server load them at the end of the
replay. ``information_schema`` and ``performance_schema`` are never
dumped.

A restore (RESTORE_REPLAY) pipes the dump into the ``mariadb`` client on
the socket of the freshly initialised, running server.
"""

from trove_lite.common import exception
from trove_lite.guestagent.datastores import process
from trove_lite.guestagent.strategies.backup import base
from trove_lite.guestagent.strategies.backup import command

DUMP_BINARIES = ('mariadb-dump', 'mysqldump')
CLIENT_BINARIES = ('mariadb', 'mysql')


def find(names):
    """:raises: exception.GuestError when none of ``names`` is installed."""
    binary = process.find_binary(names, extra_dirs=('/usr/bin',))
    if binary is None:
        raise exception.GuestError(
            message='%s is not installed on this host (Debian package '
                    'mariadb-client).' % ' or '.join(names))
    return binary


class MySQLDump(base.BackupStrategy):
    """``mysqldump``: full logical backups, replayed on restore."""

    name = 'mysqldump'
    incremental = False
    restore_stage = base.RESTORE_REPLAY

    def _client_args(self):
        paths = self.manager.paths
        return ['--defaults-file=%s' % paths.my_cnf, '--user=root',
                '--socket=%s' % paths.socket]

    def backup(self, parent_metadata=None):
        self.refuse_parent(parent_metadata)
        args = [find(DUMP_BINARIES)] + self._client_args() + [
            '--all-databases', '--single-transaction', '--routines',
            '--events', '--triggers', '--flush-privileges',
            '--hex-blob', '--default-character-set=utf8mb4']
        return command.CommandStream(args, 'mysqldump',
                                     cwd=self.manager.paths.instance_dir)

    def restore(self, chain):
        if len(chain) != 1:
            raise exception.DatastoreOperationNotSupported(
                operation='restore of an incremental chain (mysqldump)',
                datastore=self.manager.info.datastore_manager)
        open_stream, _metadata = chain[0]
        args = [find(CLIENT_BINARIES)] + self._client_args() + [
            '--default-character-set=utf8mb4', '--binary-mode']
        with open_stream() as raw:
            command.run(args, 'mariadb (replaying the dump)', stdin=raw,
                        cwd=self.manager.paths.instance_dir)
