"""What a datastore can do, known without asking its guest.

Every datastore family ships a ``Manifest`` (``<family>/manifest.py``),
registered under its manager names in the entry-point namespace
``NAMESPACE``. The API reads it to refuse an unsupported request at once
(no guest round trip) and to validate tenant-supplied names before a
message is sent; the guest validates again on its side, since neither
end trusts the other.

A manifest imports nothing heavy: the API loads every one of them.
"""

import functools

from stevedore import driver

from trove_lite.common import exception

NAMESPACE = 'trove_lite.datastore_manifests'

DATABASES = 'databases'
USERS = 'users'
ROOT = 'root'
DEFAULT_HOST = '%'


class Manifest:
    """A datastore family's capabilities and naming rules.

    Subclasses set the class attributes and override the validators that
    differ; the defaults here accept nothing, so a family must say what
    it supports.
    """

    #: Any of DATABASES, USERS, ROOT.
    features = frozenset()
    #: The superuser ``root enable`` returns.
    root_user = 'root'
    #: Whether accounts are per (name, host), as in MySQL; when False the
    #: only host is DEFAULT_HOST.
    user_hosts = False
    #: Whether databases take a character set and collation.
    database_charsets = False

    def supports(self, feature):
        return feature in self.features

    def validate_database_name(self, name):
        """:raises: exception.BadValue for a name the datastore refuses."""
        raise exception.BadValue(message='Invalid database name %r.' % name)

    def validate_user_name(self, name):
        """:raises: exception.BadValue for a name the datastore refuses."""
        raise exception.BadValue(message='Invalid user name %r.' % name)

    def validate_host(self, host):
        """:raises: exception.BadValue for a host the datastore refuses."""
        if host not in (None, DEFAULT_HOST):
            raise exception.BadValue(
                message='This datastore has no per-host users; the host '
                        'must be "%s", not %r.' % (DEFAULT_HOST, host))
        return DEFAULT_HOST

    def validate_password(self, password):
        """:raises: exception.BadValue for a password the datastore
        refuses (empty by default).
        """
        if not isinstance(password, str) or not password:
            raise exception.BadValue(message='A password must not be '
                                             'empty.')
        return password

    def validate_charset(self, value, what):
        """:raises: exception.BadValue; also when the datastore has no
        character sets.
        """
        raise exception.BadValue(message='This datastore takes no %s.'
                                 % what)


class NoFeatures(Manifest):
    """Manifest of a datastore manager with no plugin of its own."""


@functools.lru_cache(maxsize=None)
def load(manager):
    """The manifest of datastore manager ``manager`` (entry point name);
    a ``NoFeatures`` manifest when none is installed.
    """
    try:
        return driver.DriverManager(NAMESPACE, manager,
                                    invoke_on_load=True).driver
    except Exception:
        return NoFeatures()
