"""A backup stream that is a tool's standard output.

Every real strategy runs one program that writes the backup to its
stdout (``pg_basebackup -D -``, ``redis-cli --rdb -``, ``mariabackup
--stream``, ``mysqldump``). ``CommandStream`` is that, written once, on
``streams.Tool`` (the process the runner's compressors are too): the
runner reads the pipe, ``finish`` waits for the tool and turns a failure
into a ``GuestError`` carrying the tail of what the tool printed on
stderr, and ``abort`` kills and reaps it when the stream could not be
stored. A subclass adds the backup's metadata (``metadata``, read once
the tool succeeded) and removes what the tool left behind (``cleanup``,
called once whatever happens).

The tool's stderr goes to an unnamed temporary file rather than a pipe:
nobody has to drain it while the runner drains stdout, so a chatty tool
can never block on a full stderr pipe. It holds messages, never backup
data. Its stdout is unbuffered (``io.FileIO``), so the runner hands the
pipe itself to the compressor instead of copying it through Python.
"""

import subprocess

from oslo_log import log as logging

from trove_lite.common import exception
from trove_lite.guestagent.datastores import process
from trove_lite.guestagent.strategies.backup import base
from trove_lite.guestagent import streams

LOG = logging.getLogger(__name__)

# How long an aborted tool may take to go after SIGKILL.
ABORT_TIMEOUT = 10


class CommandStream(base.BackupStream):
    """``command``'s stdout as a ``BackupStream``.

    A subclass sets what its ``metadata`` and ``cleanup`` need before it
    calls this constructor: a tool that cannot start is cleaned up too.

    :param command: the argument list.
    :param what: how messages name the tool (default: the program's
        name).
    :param popen_args: more ``subprocess.Popen`` arguments (``env``,
        ``cwd``...); stdin is /dev/null unless given.
    :raises: exception.GuestError when the tool cannot be started.
    """

    def __init__(self, command, what=None, **popen_args):
        popen_args.setdefault('stdin', subprocess.DEVNULL)
        try:
            #: The running ``streams.Tool``.
            self.tool = streams.Tool(command, what, stdout=subprocess.PIPE,
                                     bufsize=0, **popen_args)
        except BaseException:
            self.cleanup()
            raise
        LOG.debug('Started %s (pid %s)', self.tool.what,
                  self.tool.process.pid)

    @property
    def reader(self):
        return self.tool.stdout

    def metadata(self):
        """The metadata of a successful backup (a subclass's keys, e.g.
        from the tool's output); called by ``finish`` once the tool
        succeeded.

        :raises: exception.GuestError when the tool left no usable
            metadata.
        """
        return {}

    def cleanup(self):
        """Remove what the tool left beside its stream (a subclass's);
        called by ``finish``, ``abort`` and a failed start, so it may run
        twice (a cancelled backup is aborted again). Never raises.
        """

    def finish(self):
        try:
            self.tool.check()
            return self.metadata()
        finally:
            self.tool.close()
            self.cleanup()

    def abort(self):
        if self.tool.process.poll() is None:
            LOG.info('Stopping %s (pid %s): its backup is abandoned',
                     self.tool.what, self.tool.process.pid)
        self.tool.close(ABORT_TIMEOUT)
        self.cleanup()


def run(command, what=None, **popen_args):
    """Run a tool to its end (a restore's step), its stdout discarded
    unless given.

    :raises: exception.GuestError when it cannot start or fails (its
        exit code and the tail of its stderr).
    """
    popen_args.setdefault('stdout', subprocess.DEVNULL)
    tool = streams.Tool(command, what, **popen_args)
    try:
        tool.check()
    finally:
        tool.close()


def require_binary(find, name, package):
    """The path of the tool ``name`` found by ``find(name)``.

    :param package: what to install when it is missing (in the message).
    :raises: exception.GuestError when it is not installed.
    """
    binary = find(name)
    if binary is None:
        raise exception.GuestError(
            message='%s is not installed on this host (install %s).'
                    % (name, package))
    return binary


def find_on_path(name):
    """``name`` on PATH or in the sbin directories, or None."""
    return process.find_binary([name])
