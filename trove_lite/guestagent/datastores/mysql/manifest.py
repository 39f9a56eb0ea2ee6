"""Manifest of the MySQL family (``mysql`` and ``mariadb`` managers)."""

from trove_lite.guestagent.datastores import manifest
from trove_lite.guestagent.datastores.mysql import admin


class Manifest(manifest.Manifest):
    features = frozenset([manifest.DATABASES, manifest.USERS, manifest.ROOT])
    guest_logs = {'general': 'USER', 'slow_query': 'USER', 'error': 'SYS',
                  'guest': 'SYS'}
    root_user = 'root'
    user_hosts = True
    database_charsets = True

    def validate_database_name(self, name):
        return admin.validate_database_name(name)

    def validate_user_name(self, name):
        return admin.validate_user_name(name)

    def validate_host(self, host):
        return admin.validate_host(host or admin.DEFAULT_HOST)

    def validate_charset(self, value, what):
        return admin.validate_charset(value, what)
