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

from oslo_log import log as logging

from trove_lite.common import exception
from trove_lite.common import plugins

LOG = logging.getLogger(__name__)

NAMESPACE = plugins.DATASTORE_MANIFESTS

DATABASES = 'databases'
USERS = 'users'
ROOT = 'root'
# Guest logs: offered when the manifest names any (``guest_logs``).
LOGS = 'logs'
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
    #: The guest logs its guests write: ``{name: 'USER' | 'SYS'}``
    #: (``common.guest_logs``); none means no log routes.
    guest_logs = {}

    def supports(self, feature):
        if feature == LOGS:
            return bool(self.guest_logs)
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
    a ``NoFeatures`` manifest when none is installed or it is broken.

    Cached for the process, so each outcome is logged once: a manager
    without a manifest at INFO (the API then refuses every optional
    feature of it), a manifest that cannot be loaded at ERROR with the
    reason (an installation fault an operator must see).
    """
    try:
        return plugins.load(NAMESPACE, manager)
    except plugins.PluginNotFound as err:
        LOG.info('Datastore manager %r has no manifest (%s); it is offered '
                 'no optional features.', manager, err)
    except Exception as err:
        LOG.error('The manifest of datastore manager %r is broken; it is '
                  'offered no optional features until it is fixed and the '
                  'service restarted: %s', manager, err)
    return NoFeatures()
