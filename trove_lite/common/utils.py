"""Small helpers with no better home, shared by several layers."""

import secrets
import string
import subprocess

_PASSWORD_ALPHABET = string.ascii_letters + string.digits


def generate_password(length):
    """A random password of ``length`` letters and digits.

    Letters and digits only, as upstream generates them: every datastore
    and every shell accepts them unquoted.
    """
    return ''.join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


def changed_keys(old, new):
    """The keys whose value differs between the mappings ``old`` and
    ``new`` (a key in only one of them counts), sorted.
    """
    return sorted(key for key in set(old) | set(new)
                  if old.get(key) != new.get(key))


def run_command(argv, timeout=600):
    """Run ``argv`` to its end: ``(exit code, its stdout and stderr)``.

    A program that is not installed exits 127 and one that runs longer
    than ``timeout`` seconds -1 (it is killed), so that callers have one
    thing to look at.
    """
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True,
                              timeout=timeout)
    except FileNotFoundError as err:
        return 127, str(err)
    except subprocess.TimeoutExpired:
        return -1, '%s ran longer than %s seconds' % (argv[0], timeout)
    return done.returncode, (done.stdout + done.stderr).strip()
