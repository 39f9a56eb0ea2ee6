"""The datastores' own command-line clients, to prove what a server
enforces: who may log in, to which database, with which password.
"""

import os
import subprocess

# Datastores whose servers speak the MySQL protocol.
MYSQL_FAMILY = ('mysql', 'mariadb')


class Client:
    """Runs one statement as a user with the datastore's own client
    (``mysql`` or ``psql``) over TCP to ``address``.
    """

    def __init__(self, datastore, address):
        self.datastore = datastore
        self.address = address

    def run(self, user, password, database, sql):
        if self.datastore in MYSQL_FAMILY:
            argv = ['mysql', '-h', self.address, '-u', user,
                    '-p' + password, database, '-N', '-e', sql]
            env = None
        else:
            argv = ['psql', '-h', self.address, '-U', user, '-d', database,
                    '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql]
            env = dict(os.environ, PGPASSWORD=password, PGCONNECT_TIMEOUT='10')
        return subprocess.run(argv, capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL, env=env)

    def works(self, user, password, database, sql='SELECT 1'):
        result = self.run(user, password, database, sql)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def refused(self, user, password, database, sql='SELECT 1'):
        result = self.run(user, password, database, sql)
        assert result.returncode != 0, result.stdout
        return result.stderr


def redis_cli(address, password, *command):
    """``redis-cli`` as the tenant (``AUTH`` with ``password``) on
    ``address``: what it printed, errors included (``READONLY ...``).
    """
    result = subprocess.run(
        ['redis-cli', '-h', address, '--no-auth-warning', '-a', password]
        + list(command), capture_output=True, text=True, timeout=30,
        stdin=subprocess.DEVNULL)
    return (result.stdout + result.stderr).strip()
