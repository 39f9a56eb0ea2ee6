"""The ``openstack`` CLI kept warm: a fork server for many commands.

Every ``openstack`` command pays a Python start-up (2-3 s on a busy
2-core machine) before it sends a request; a suite that runs a hundred
of them spends most of its time importing. Run as a module, this is a
fork server: it imports the client once, then for each JSON argv list
read from stdin forks a child that runs it through
``openstackclient.shell.main`` (what the ``openstack`` script runs) with
its stdout and stderr captured, and answers one JSON line
``{"returncode", "stdout", "stderr"}``. Each command gets a process of
its own, as from the shell: run one after another in a single process,
commands left global state behind that made later ones fail with 400s.
Its environment is the openrc it was started with, nothing else;
``Worker`` drives it.
"""

import importlib
import importlib.metadata
import io
import json
import os
import pathlib
import subprocess
import sys

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]


class Worker:
    """A warm ``openstack`` CLI with the environment ``env``."""

    def __init__(self, env):
        self.popen = subprocess.Popen(
            [sys.executable, '-m', 'tests.functional.cli_worker'],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env=env, cwd=REPO_ROOT)

    def run(self, argv):
        """``openstack <argv>``; a ``CompletedProcess``.

        :raises AssertionError: when the worker died.
        """
        self.popen.stdin.write(json.dumps(list(argv)) + '\n')
        self.popen.stdin.flush()
        line = self.popen.stdout.readline()
        assert line, 'the CLI worker exited with %s' % self.popen.poll()
        answer = json.loads(line)
        return subprocess.CompletedProcess(
            ['openstack'] + list(argv), answer['returncode'],
            answer['stdout'], answer['stderr'])

    def close(self):
        self.popen.stdin.close()
        try:
            self.popen.wait(20)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
        self.popen.stdout.close()


def _run(shell, argv):
    out, err = io.StringIO(), io.StringIO()
    real = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = shell.main(argv)
    except SystemExit as exit_:
        # argparse's usage errors, as the script would exit.
        code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        sys.stdout, sys.stderr = real
    return {'returncode': code, 'stdout': out.getvalue(),
            'stderr': err.getvalue()}


def _fork_and_run(shell, argv):
    """Run ``argv`` in a child; its answer."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            answer = json.dumps(_run(shell, argv)).encode()
            with os.fdopen(write_end, 'wb') as pipe:
                pipe.write(answer)
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, 'rb') as pipe:
        answer = pipe.read()
    os.waitpid(pid, 0)
    if not answer:
        return {'returncode': -1, 'stdout': '',
                'stderr': 'the CLI worker child died'}
    return json.loads(answer)


def _serve():
    # NOTE(import): only the worker process loads the client; what its
    # commands use is imported before the first fork (the trove client
    # module imports eventlet: 0.6 s a command otherwise).
    from openstackclient import shell
    for group in ('openstack.cli.extension', 'openstack.database.v1'):
        for point in importlib.metadata.entry_points(group=group):
            point.load()
    importlib.import_module('troveclient.v1.client')
    shell.OpenStackShell()
    channel = sys.stdout
    sys.stdin = open(os.devnull)
    for line in sys.__stdin__:
        channel.write(json.dumps(_fork_and_run(shell, json.loads(line)))
                      + '\n')
        channel.flush()


if __name__ == '__main__':
    _serve()
