"""Manifest of PostgreSQL (the ``postgresql`` manager).

Users have no host (always ``'%'``); databases take an encoding
(``character_set``) and a locale (``collate``), as upstream Trove's
PostgreSQL guest does (``admin.py`` tells how they are applied). Root is
a role named ``root``, not the agent's superuser ``postgres``.
"""

from trove_lite.guestagent.datastores import manifest
from trove_lite.guestagent.datastores.postgresql import admin


class Manifest(manifest.Manifest):
    features = frozenset([manifest.DATABASES, manifest.USERS, manifest.ROOT])
    guest_logs = {'general': 'USER', 'guest': 'SYS'}
    root_user = admin.ROOT_USER
    user_hosts = False
    database_charsets = True

    def validate_database_name(self, name):
        return admin.validate_database_name(name)

    def validate_user_name(self, name):
        return admin.validate_user_name(name)

    def validate_host(self, host):
        return admin.validate_host(host)

    def validate_password(self, password):
        return admin.validate_password(password)

    def validate_charset(self, value, what):
        return admin.validate_charset(value, what)
