"""Redis backups as an RDB snapshot from ``redis-cli --rdb -`` (full only).

A backup is ``redis-cli --rdb -`` over the instance's unix socket, logged
in as the agent's own ACL user (``os_admin``; its password reaches
redis-cli through ``REDISCLI_AUTH``, never its command line). redis-cli
asks the server for a replica's full sync of the snapshot only (``REPLCONF
rdb-only``); with ``repl-diskless-sync`` (Redis 7's default) the server's
forked child writes the snapshot straight into the socket, so nothing is
staged on disk on either side.

NOTE(redis-cli): in diskless mode the server ends the snapshot with a
40-character EOF marker instead of announcing its length, and redis-cli
truncates the marker away only when it writes to a file: on stdout
(``-``) the marker follows the RDB. ``TrailerTrimmingReader`` holds back
the last 40 bytes of the stream and drops them when they are such a
marker. An RDB cannot end that way (its last nine bytes are the EOF
opcode 0xFF and a checksum), so a snapshot with a length, which has no
marker, is passed whole.

A restore (RESTORE_FILES) writes the RDB as the data directory's dump
file (``dbfilename`` of the instance's ``redis.conf``) before the server
starts. With ``appendonly yes`` (our default) Redis loads the AOF and
ignores the dump file, so the restore also makes the RDB the AOF's base:
on Redis 7 a hard link in ``appenddirname`` named by a manifest of that
one base file, on Redis 6 a hard link as ``appendfilename`` (an AOF may
start with an RDB preamble). The server then starts from the snapshot
and appends to it. The instance's own ``users.acl`` is not part of the
snapshot, so its accounts stay its own.
"""

import os
import re
import shlex

from trove_lite.common import exception
from trove_lite.guestagent.datastores import process
from trove_lite.guestagent.datastores.redis import config as redis_config
from trove_lite.guestagent.datastores.redis import manager as redis_manager
from trove_lite.guestagent.datastores import server
from trove_lite.guestagent.strategies.backup import base
from trove_lite.guestagent.strategies.backup import command
from trove_lite.guestagent.strategies.backup import files

BINARY = 'redis-cli'
TOOL_PACKAGE = 'redis-tools'
AUTH_ENV = 'REDISCLI_AUTH'
EOF_MARKER_SIZE = 40
_EOF_MARKER = re.compile(rb'^[0-9a-f]{40}$')
RDB_MAGIC = b'REDIS'
WRITE_CHUNK = 1024 * 1024
FILE_MODE = 0o600
# Redis's defaults for what redis.conf may leave unset.
DEFAULT_DBFILENAME = 'dump.rdb'
DEFAULT_APPENDFILENAME = 'appendonly.aof'
DEFAULT_APPENDDIRNAME = 'appendonlydir'
# Redis 7 keeps the AOF as files named by a manifest in a directory.
MULTI_PART_AOF = (7, 0)


def backup_command(binary, socket):
    """The ``redis-cli`` command line that writes the RDB to stdout."""
    return [binary, '-s', socket, '--user', redis_config.ADMIN_USER,
            '--no-auth-warning', '--rdb', '-']


def is_eof_marker(tail):
    """Whether ``tail`` (the stream's last 40 bytes) is a diskless
    transfer's EOF marker rather than the end of an RDB.
    """
    return bool(_EOF_MARKER.match(tail))


class TrailerTrimmingReader:
    """A reader of ``raw`` that holds back its last ``size`` bytes and,
    at the end, drops them when ``is_trailer(held)`` says they are not
    data.
    """

    def __init__(self, raw, size, is_trailer):
        self._raw = raw
        self._size = size
        self._is_trailer = is_trailer
        self._held = b''
        self._ended = False
        #: The trailer dropped at the end (None until then, or when the
        #: end was data).
        self.trimmed = None

    def read(self, size=-1):
        if size is None or size < 0:
            size = -1
        elif size == 0:
            return b''
        while not self._ended:
            chunk = self._raw.read(size)
            if not chunk:
                self._ended = True
                if (len(self._held) == self._size and
                        self._is_trailer(self._held)):
                    self.trimmed, self._held = self._held, b''
                break
            data = self._held + chunk
            if len(data) > self._size:
                self._held = data[-self._size:]
                return data[:-self._size]
            self._held = data
        # The end: what was held is data, served as asked.
        if size < 0:
            size = len(self._held)
        out, self._held = self._held[:size], self._held[size:]
        return out

    def close(self):
        self._raw.close()


class RdbStream(command.CommandStream):
    """redis-cli's stdout without the diskless transfer's EOF marker."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._reader = TrailerTrimmingReader(
            self.tool.stdout, EOF_MARKER_SIZE, is_eof_marker)

    @property
    def reader(self):
        return self._reader


def read_config(path):
    """``{directive: value}`` of a ``redis.conf`` (the last of repeated
    directives; their first argument).
    """
    directives = {}
    with open(path) as handle:
        for line in handle:
            words = shlex.split(line, comments=True)
            if len(words) >= 2:
                directives[words[0].lower()] = words[1]
    return directives


def aof_links(directives, version):
    """Where the RDB must also be linked so that a server with
    ``directives`` (its redis.conf) loads it: ``(directory, [(name,
    text)], base)``, relative to the data directory. ``directory`` is
    None when the AOF is a single file; ``[(name, text)]`` are files to
    write beside ``base`` (the manifest). None when the AOF is off.

    :param version: the server's ``(major, minor, patch)``.
    """
    if directives.get('appendonly', 'no').lower() != 'yes':
        return None
    name = directives.get('appendfilename', DEFAULT_APPENDFILENAME)
    if version is not None and version[:2] < MULTI_PART_AOF:
        return None, [], name
    directory = directives.get('appenddirname', DEFAULT_APPENDDIRNAME)
    base_name = '%s.1.base.rdb' % name
    manifest = 'file %s seq 1 type b\n' % base_name
    return directory, [('%s.manifest' % name, manifest)], base_name


class RedisRdb(base.BackupStrategy):
    """``redis-cli --rdb -`` to an RDB stream, and back."""

    name = 'redis_rdb'
    incremental = False
    restore_stage = base.RESTORE_FILES

    def backup(self, parent_metadata=None):
        self.refuse_parent(parent_metadata)
        manager = self.manager
        binary = command.require_binary(command.find_on_path, BINARY,
                                        TOOL_PACKAGE)
        secret = manager._read_secret()
        if not secret:
            raise exception.GuestError(
                message='Instance %s has no agent password; prepare it '
                        'first.' % manager.info.guest_id)
        env = dict(os.environ)
        env[AUTH_ENV] = secret
        return RdbStream(backup_command(binary, manager.paths.socket),
                         BINARY, env=env, cwd=manager.paths.instance_dir)

    def restore(self, chain):
        open_stream, _ = files.single_full(chain, self.name)
        manager = self.manager
        files.require_stopped(manager, self.name)
        directives = read_config(manager.paths.conf)
        datadir = directives.get('dir', manager.paths.datadir)
        run_as = manager._run_as()
        target = os.path.join(datadir, directives.get('dbfilename',
                                                      DEFAULT_DBFILENAME))
        links = aof_links(directives, redis_manager.server_version(
            manager._server_binary()))
        self._remove_aof(datadir, links)
        with open_stream() as reader:
            self._write(reader, target, run_as)
        if links is not None:
            self._link_aof(datadir, target, links, run_as)

    def _write(self, reader, target, run_as):
        """Write the RDB read from ``reader`` to ``target`` (replaced
        whole, only once it is all there).

        :raises: exception.GuestError when the stream is not an RDB.
        """
        temporary = target + '.restoring'
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                     FILE_MODE)
        try:
            with os.fdopen(fd, 'wb') as out:
                first = reader.read(WRITE_CHUNK)
                if not first.startswith(RDB_MAGIC):
                    raise exception.GuestError(
                        message='The backup of instance %s is not a Redis '
                                'RDB snapshot (it starts with %r).' % (
                                    self.manager.info.guest_id, first[:9]))
                out.write(first)
                while True:
                    chunk = reader.read(WRITE_CHUNK)
                    if not chunk:
                        break
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if run_as is not None:
                os.chown(temporary, run_as.pw_uid, run_as.pw_gid)
            os.replace(temporary, target)
        except BaseException:
            process.remove(temporary)
            raise

    @staticmethod
    def _remove_aof(datadir, links):
        """Remove an AOF left by an earlier attempt (it would be loaded
        instead of the snapshot).
        """
        if links is None:
            return
        directory, _, base_name = links
        if directory is None:
            process.remove(os.path.join(datadir, base_name))
            return
        path = os.path.join(datadir, directory)
        if os.path.isdir(path):
            process.empty_directory(path)

    def _link_aof(self, datadir, target, links, run_as):
        directory, extra, base_name = links
        where = datadir
        if directory is not None:
            where = os.path.join(datadir, directory)
            os.makedirs(where, mode=self.manager.DIR_MODE, exist_ok=True)
            if run_as is not None:
                os.chown(where, run_as.pw_uid, run_as.pw_gid)
        os.link(target, os.path.join(where, base_name))
        for name, text in extra:
            server.write_file(os.path.join(where, name), text, FILE_MODE,
                              run_as)
