"""A backup stream that is a tool's standard output.

Most strategies run one program that writes the backup to its stdout
(``pg_basebackup -D -``, ``redis-cli --rdb -``, ``mariabackup --stream``,
``mysqldump``). ``CommandStream`` is that, written once: the runner reads
the pipe, ``finish`` waits for the tool and turns a failure into a
``GuestError`` carrying the tail of what the tool printed on stderr, and
``abort`` ends it when the stream could not be stored.

The tool's stderr goes to an unnamed temporary file rather than a pipe:
nobody has to drain it while the runner drains stdout, so a chatty tool
can never block on a full stderr pipe. It holds messages, never backup
data.
"""

import subprocess
import tempfile

from oslo_log import log as logging

from trove_lite.common import exception
from trove_lite.guestagent.datastores import process
from trove_lite.guestagent.strategies.backup import base

LOG = logging.getLogger(__name__)

# How much of the tool's stderr a failure's message carries.
ERROR_TAIL_BYTES = 4096
ABORT_TIMEOUT = 10


class CommandStream(base.BackupStream):
    """``command``'s stdout as a ``BackupStream``.

    :param command: the argument list.
    :param tool: the tool's name, in messages.
    :param env: its environment (None: the agent's).
    :param cwd: its working directory.
    :raises: exception.GuestError when the tool cannot be started.
    """

    def __init__(self, command, tool, env=None, cwd=None):
        self.tool = tool
        self._errors = tempfile.TemporaryFile()
        try:
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=self._errors, env=env, cwd=cwd, close_fds=True)
        except OSError as err:
            self._errors.close()
            raise exception.GuestError(
                message='%s could not be started: %s' % (tool, err))
        LOG.debug('Started %s (pid %s)', tool, self._process.pid)

    @property
    def reader(self):
        return self._process.stdout

    @property
    def pid(self):
        return self._process.pid

    def errors(self):
        """What the tool printed on stderr so far (its tail)."""
        self._errors.flush()
        size = self._errors.seek(0, 2)
        self._errors.seek(max(0, size - ERROR_TAIL_BYTES))
        return self._errors.read().decode('utf-8', 'replace').strip()

    def metadata(self):
        """The metadata of a successful backup (a subclass's keys, from
        the tool's output); called by ``finish``.
        """
        return {}

    def wait(self):
        """Wait for the tool to exit; its exit code."""
        return self._process.wait()

    def finish(self):
        code = self.wait()
        self._process.stdout.close()
        try:
            if code != 0:
                raise exception.GuestError(
                    message='%s failed with exit code %s:\n%s' % (
                        self.tool, code, self.errors()))
            return self.metadata()
        finally:
            self._errors.close()

    def abort(self):
        if self._process.poll() is None:
            LOG.info('Stopping %s (pid %s): its backup is abandoned',
                     self.tool, self._process.pid)
            self._process.kill()
        try:
            self._process.wait(ABORT_TIMEOUT)
        except subprocess.TimeoutExpired:
            LOG.warning('%s (pid %s) did not exit after SIGKILL', self.tool,
                        self._process.pid)
        self._process.stdout.close()
        self._errors.close()


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
