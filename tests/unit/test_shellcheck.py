"""The shell the project ships passes shellcheck.

devstack sources the plugin's files into its own shell, where a quoting
slip breaks someone else's stack; the guest image script runs as root on
an operator's machine. ``.ci/run`` installs shellcheck, so this test runs
everywhere CI does.
"""

import pathlib
import shutil
import subprocess

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
SHELL_FILES = [
    'devstack/plugin.sh',
    'devstack/settings',
    *sorted(str(path.relative_to(REPO_ROOT))
            for path in (REPO_ROOT / 'devstack' / 'lib').iterdir()),
    'tools/guest-image/build-guest-image.sh',
    'tests/functional/devstack/functions-stub',
]


def test_shell_files_are_shellcheck_clean():
    shellcheck = shutil.which('shellcheck')
    assert shellcheck, ('shellcheck is not installed (apt-get install '
                        'shellcheck; .ci/run does)')
    result = subprocess.run([shellcheck, '--shell=bash', *SHELL_FILES],
                            cwd=REPO_ROOT, capture_output=True, text=True,
                            timeout=120)
    assert (result.returncode, result.stdout) == (0, ''), result.stdout
