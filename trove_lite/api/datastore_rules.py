"""The naming rules of a datastore, as the API applies them.

Tenant-supplied database names, user names, hosts, passwords and
character sets are checked with the datastore's manifest, and the names
its ``[<manager>] ignore_users``/``ignore_dbs`` reserve are refused (400),
before anything reaches a guest: by the database, user and root requests
(``guest_requests.Target``) and by instance create for its initial
databases and users.
"""

from trove_lite.common import exception
from trove_lite.common import utils
from trove_lite import conf
from trove_lite.conf import datastores as datastores_conf
from trove_lite.guestagent.datastores import manifest as manifests

CONF = conf.CONF

DEFAULT_HOST = manifests.DEFAULT_HOST
# NOTE(compat): upstream's default_password_length, for datastores that
# have no option group of their own (the fake one).
DEFAULT_PASSWORD_LENGTH = 36


def user_id(name, host):
    """The ``name@host`` a user is known by in markers and messages."""
    return '%s@%s' % (name, host or DEFAULT_HOST)


class DatastoreRules:
    """Validators of one datastore manager.

    :param manager: the datastore manager name (entry point).
    :param manifest: its ``Manifest``; loaded when omitted.
    """

    def __init__(self, manager, manifest=None):
        self.manager = manager
        self.manifest = manifest or manifests.load(manager)
        options = datastores_conf.options_for(CONF, manager)
        self.ignored_users = frozenset(options.ignore_users if options
                                       else ())
        self.ignored_databases = frozenset(options.ignore_dbs if options
                                           else ())
        self.password_length = (options.default_password_length if options
                                else DEFAULT_PASSWORD_LENGTH)
        self.root_on_create = bool(options and options.root_on_create)

    def require(self, feature):
        """:raises DatastoreFeatureNotSupported: the datastore has no
        ``feature`` (databases or users; 422).
        """
        if not self.manifest.supports(feature):
            raise exception.DatastoreFeatureNotSupported(
                feature=feature, datastore=self.manager)

    # -- validation ------------------------------------------------------

    def database_name(self, name):
        """:raises BadValue: a reserved or invalid database name."""
        if name in self.ignored_databases:
            raise exception.BadValue(
                message='The database name %r is reserved; choose another '
                        'name.' % name)
        self.manifest.validate_database_name(name)
        return name

    def database(self, entry):
        """A validated ``{'name', 'character_set'?, 'collate'?}``.

        :raises BadValue: a reserved or invalid name or character set.
        """
        database = {'name': self.database_name(entry['name'])}
        for key, what in (('character_set', 'character set'),
                          ('collate', 'collation')):
            if entry.get(key):
                database[key] = self.manifest.validate_charset(entry[key],
                                                               what)
        return database

    def user(self, name, host=None):
        """The validated (name, host) of a user; ``host`` defaults to %.

        :raises BadValue: a reserved or invalid name, or an invalid host.
        """
        if name in self.ignored_users:
            raise exception.BadValue(
                message='The user name %r is reserved; choose another '
                        'name.' % name)
        self.manifest.validate_user_name(name)
        return name, self.manifest.validate_host(host or DEFAULT_HOST)

    def password(self, password):
        """:raises BadValue: a password the datastore refuses."""
        return self.manifest.validate_password(password)

    def new_password(self):
        """A generated password of ``[<manager>] default_password_length``.
        """
        return utils.generate_password(self.password_length)

    def unique(self, items, what):
        """:raises BadRequest: an item appears twice in one request."""
        seen = set()
        for item in items:
            if item in seen:
                shown = user_id(*item) if isinstance(item, tuple) else item
                raise exception.BadRequest(
                    'The %s %s appears more than once in the request.'
                    % (what, shown))
            seen.add(item)

    # -- instance create ---------------------------------------------------

    def initial(self, databases, users):
        """Validate the databases and users of an instance create.

        :returns: (databases, users) normalised as the guest takes them.
        :raises DatastoreFeatureNotSupported: databases or users on a
            datastore without them (422).
        :raises BadValue: a reserved or invalid name, host or password.
        """
        if databases:
            self.require(manifests.DATABASES)
        if users:
            self.require(manifests.USERS)
        checked_databases = [self.database(entry) for entry in databases]
        checked_users = []
        for entry in users:
            name, host = self.user(entry['name'], entry.get('host'))
            checked_users.append({
                'name': name, 'host': host,
                'password': self.password(entry['password']),
                'databases': [{'name': self.database_name(db['name'])}
                              for db in entry.get('databases', [])]})
        return checked_databases, checked_users
