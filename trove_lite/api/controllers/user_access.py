"""Which databases a user of an instance may access (upstream's
``UserAccess`` extension): list, grant, revoke.
"""

from trove_lite.api.controllers import users
from trove_lite.api import notices
from trove_lite.api.schemas import common as schema
from trove_lite.api.schemas import users as schemas
from trove_lite.api.views import users as views
from trove_lite.api import wsgi
from trove_lite.common import notifications

RULE = 'instance:extension:user_access:%s'


class UserAccessController:

    def index(self, req, body, instance_id, user_id):
        """The databases the user may access (ignored ones hidden).

        :raises UserNotFound: it does not exist (404).
        """
        target = users.load(req, RULE % 'index', instance_id)
        name, host = users.named_user(target, user_id)
        entries = [entry for entry in target.guest.list_access(name, host)
                   if entry['name'] not in target.ignored_databases]
        return {'databases': views.access(entries)}

    def update(self, req, body, instance_id, user_id):
        """Grant the user access to databases.

        :raises UserNotFound: the user does not exist (404).
        :raises DatabaseNotFound: a database does not exist (404; nothing
            is granted).
        """
        spec = schema.validate(schemas.grant, body)['databases']
        target = users.load(req, RULE % 'update', instance_id)
        with notices.instance(req, target.context,
                              notifications.USER_GRANT, instance_id,
                              username=user_id, database=notices.joined(
                                  entry['name'] for entry in spec)):
            name, host = users.named_user(target, user_id)
            names = [target.database_name(entry['name']) for entry in spec]
            target.unique(names, 'database')
            target.require_user(name, host)
            target.require_databases(names)
            if names:
                target.guest.grant_access(name, host, names)
        return wsgi.Response(202)

    def delete(self, req, body, instance_id, user_id, id):
        """Revoke the user's access to one database.

        :raises UserNotFound: the user does not exist (404).
        :raises DatabaseNotFound: it has no access to that database (404).
        """
        target = users.load(req, RULE % 'delete', instance_id)
        with notices.instance(req, target.context,
                              notifications.USER_REVOKE, instance_id,
                              username=user_id, database=id):
            name, host = users.named_user(target, user_id)
            target.guest.revoke_access(name, host, target.database_name(id))
        return wsgi.Response(202)
