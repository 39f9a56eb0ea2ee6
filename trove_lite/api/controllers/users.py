"""The users of an instance (upstream's ``User`` extension).

A user is ``name@host`` (the host defaults to ``%``; datastores without
per-host accounts only have ``%``), written in URLs as upstream's client
quotes it (``guest_requests.split_user_id``). Each request passes
``guest_requests.load``, validates every name, host and password before
the guest hears of it, and makes short guest calls.
"""

from trove_lite.api.controllers import base
from trove_lite.api import guest_requests
from trove_lite.api import notices
from trove_lite.api import pagination
from trove_lite.api.schemas import common as schema
from trove_lite.api.schemas import users as schemas
from trove_lite.api.views import users as views
from trove_lite.api import wsgi
from trove_lite.common import exception
from trove_lite.common import notifications
from trove_lite import conf
from trove_lite.guestagent.datastores import manifest

CONF = conf.CONF
RULE = 'instance:extension:user:%s'


def load(req, rule, instance_id):
    """``guest_requests.load`` for a rule of the user extensions."""
    return guest_requests.load(base.context_of(req), rule, instance_id,
                               manifest.USERS)


def named_user(target, quoted):
    """The validated (name, host) of a user id from the URL."""
    return target.user(*guest_requests.split_user_id(quoted))


def _user_key(entry):
    return guest_requests.user_id(entry['name'], entry.get('host'))


def _usernames(spec):
    return notices.joined(entry['name'] for entry in spec)


class UserController:

    def index(self, req, body, instance_id):
        """The instance's users, paged by ``name@host``; ignored ones are
        hidden, and so are ignored databases in their access lists.
        """
        target = load(req, RULE % 'index', instance_id)
        entries = [entry for entry in target.guest.list_users()
                   if entry['name'] not in target.ignored_users]
        entries, next_marker = guest_requests.page(
            target.context, entries, _user_key, CONF.users_page_size)
        items = [views.user(entry, target.ignored_databases)
                 for entry in entries]
        return pagination.paginated(req, 'users', items, next_marker)

    def create(self, req, body, instance_id):
        """Create users, each with access to the databases it lists.

        :raises UserAlreadyExists: one of them exists (400).
        :raises DatabaseNotFound: a listed database does not exist (404).
        """
        spec = schema.validate(schemas.create, body)['users']
        target = load(req, RULE % 'create', instance_id)
        with notices.instance(req, target.context,
                              notifications.USER_CREATE, instance_id,
                              username=_usernames(spec)):
            self._create(target, spec)
        return wsgi.Response(202)

    @staticmethod
    def _create(target, spec):
        users = []
        for entry in spec:
            name, host = target.user(entry['name'], entry.get('host'))
            databases = [target.database_name(database['name'])
                         for database in entry.get('databases') or []]
            users.append({'name': name, 'host': host,
                          'password': target.password(entry['password']),
                          'databases': [{'name': database}
                                        for database in databases]})
        target.unique([(user['name'], user['host']) for user in users],
                      'user')
        if not users:
            return
        existing = {_user_key(entry) for entry in target.guest.list_users()}
        for user in users:
            if _user_key(user) in existing:
                raise exception.UserAlreadyExists(name=_user_key(user))
        target.require_databases(sorted({
            database['name'] for user in users
            for database in user['databases']}))
        target.guest.create_users(users)

    def update_all(self, req, body, instance_id):
        """Change the passwords of several users.

        :raises UserNotFound: one of them does not exist (404; nothing is
            changed).
        """
        spec = schema.validate(schemas.update_all, body)['users']
        target = load(req, RULE % 'update_all', instance_id)
        with notices.instance(req, target.context,
                              notifications.USER_CHANGE_PASSWORD,
                              instance_id, username=_usernames(spec)):
            users = []
            for entry in spec:
                name, host = target.user(entry['name'], entry.get('host'))
                users.append({'name': name, 'host': host,
                              'password': target.password(
                                  entry['password'])})
            target.unique([(user['name'], user['host']) for user in users],
                          'user')
            if users:
                target.guest.change_passwords(users)
        return wsgi.Response(202)

    def show(self, req, body, instance_id, id):
        """One user and the databases it may access.

        :raises UserNotFound: it does not exist (404).
        """
        target = load(req, RULE % 'show', instance_id)
        name, host = named_user(target, id)
        found = target.require_user(name, host)
        return {'user': views.user(found, target.ignored_databases)}

    def update(self, req, body, instance_id, id):
        """Rename a user, move it to another host or change its password.

        :raises UserNotFound: it does not exist (404).
        :raises UserAlreadyExists: the new name@host is taken (400).
        """
        spec = schema.validate(schemas.update, body)['user']
        target = load(req, RULE % 'update', instance_id)
        with notices.instance(req, target.context,
                              notifications.USER_UPDATE_ATTRIBUTES,
                              instance_id, username=id):
            self._update(target, spec, id)
        return wsgi.Response(202)

    @staticmethod
    def _update(target, spec, id):
        name, host = named_user(target, id)
        attributes = {}
        if 'name' in spec or 'host' in spec:
            new_name, new_host = target.user(spec.get('name', name),
                                             spec.get('host', host))
            if new_name != name:
                attributes['name'] = new_name
            if new_host != host:
                attributes['host'] = new_host
        if 'password' in spec:
            attributes['password'] = target.password(spec['password'])
        target.require_user(name, host)
        if attributes:
            target.guest.update_user(name, host, attributes)

    def delete(self, req, body, instance_id, id):
        """Drop a user.

        :raises UserNotFound: it does not exist (404).
        """
        target = load(req, RULE % 'delete', instance_id)
        with notices.instance(req, target.context,
                              notifications.USER_DELETE, instance_id,
                              username=id):
            target.guest.delete_user(*named_user(target, id))
        return wsgi.Response(202)
