"""Which datastores this host can run, read off its installed servers.

The local driver runs the host's own server binaries, so what can be
offered is exactly what is installed: a MariaDB server serves both the
``mysql`` and ``mariadb`` datastores, PostgreSQL's ``postgres`` the
``postgresql`` one, ``redis-server`` the ``redis`` one. Versions are the
servers' own major (PostgreSQL) or major.minor numbers.
"""

import collections
import glob
import os
import re
import shutil
import subprocess

HostDatastore = collections.namedtuple(
    'HostDatastore', 'datastore version manager binary')

_EXTRA_DIRS = ('/usr/sbin', '/usr/local/sbin', '/usr/local/bin')


def find_binary(*names, extra_globs=()):
    """Absolute path of the first of ``names`` found, or None."""
    search = os.pathsep.join([os.environ.get('PATH', '')] +
                             list(_EXTRA_DIRS))
    for name in names:
        found = shutil.which(name, path=search)
        if found:
            return found
    for pattern in extra_globs:
        matches = sorted(glob.glob(pattern), reverse=True)
        if matches:
            return matches[0]
    return None


def _version_of(binary, pattern):
    try:
        out = subprocess.run([binary, '--version'], capture_output=True,
                             text=True, timeout=20, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(pattern, out)
    return match.group(1) if match else None


def _mariadb():
    binary = find_binary('mariadbd', 'mysqld')
    version = binary and _version_of(binary, r'Ver (\d+\.\d+)\.\d+')
    if not version:
        return []
    return [HostDatastore('mysql', version, 'mysql', binary),
            HostDatastore('mariadb', version, 'mariadb', binary)]


def _postgresql():
    binary = find_binary(
        'postgres', extra_globs=('/usr/lib/postgresql/*/bin/postgres',))
    version = binary and _version_of(binary, r'\(PostgreSQL\) (\d+)')
    if not version:
        return []
    return [HostDatastore('postgresql', version, 'postgresql', binary)]


def _redis():
    binary = find_binary('redis-server')
    version = binary and _version_of(binary, r'v=(\d+\.\d+)')
    if not version:
        return []
    return [HostDatastore('redis', version, 'redis', binary)]


def detect():
    """Every datastore this host can serve, as ``HostDatastore`` tuples."""
    return _mariadb() + _postgresql() + _redis()
