"""The databases of an instance (upstream's ``Schema`` extension).

Each request passes ``guest_requests.load`` (ownership, policy, what the
datastore can do, readiness), validates every name before the guest hears
of it, and makes short guest calls: listing, then creating or dropping.
Calls rather than upstream's casts, so that the tenant sees a failure.
"""

from trove_lite.api.controllers import base
from trove_lite.api import guest_requests
from trove_lite.api import notices
from trove_lite.api import pagination
from trove_lite.api.schemas import common as schema
from trove_lite.api.schemas import databases as schemas
from trove_lite.api.views import databases as views
from trove_lite.api import wsgi
from trove_lite.common import exception
from trove_lite.common import notifications
from trove_lite.common import policy
from trove_lite import conf
from trove_lite.guestagent.datastores import manifest

CONF = conf.CONF
RULE = 'instance:extension:database:%s'


def _load(req, action, instance_id):
    return guest_requests.load(base.context_of(req), RULE % action,
                               instance_id, manifest.DATABASES)


class DatabaseController:

    def index(self, req, body, instance_id):
        """The instance's databases, paged; ignored ones are hidden."""
        target = _load(req, 'index', instance_id)
        entries = [entry for entry in target.guest.list_databases()
                   if entry['name'] not in target.ignored_databases]
        entries, next_marker = guest_requests.page(
            target.context, entries, lambda entry: entry['name'],
            CONF.databases_page_size)
        return pagination.paginated(req, 'databases',
                                    views.databases(entries), next_marker)

    def create(self, req, body, instance_id):
        """Create databases; none may exist already.

        :raises DatabaseAlreadyExists: one of them exists (400).
        """
        spec = schema.validate(schemas.create, body)['databases']
        target = _load(req, 'create', instance_id)
        with notices.instance(req, target.context,
                              notifications.DATABASE_CREATE, instance_id,
                              dbname=notices.joined(
                                  entry['name'] for entry in spec)):
            self._create(target, spec)
        return wsgi.Response(202)

    @staticmethod
    def _create(target, spec):
        databases = [target.database(entry) for entry in spec]
        target.unique([database['name'] for database in databases],
                      'database')
        if databases:
            existing = target.database_names()
            for database in databases:
                if database['name'] in existing:
                    raise exception.DatabaseAlreadyExists(
                        name=database['name'])
            target.guest.create_databases(databases)

    def delete(self, req, body, instance_id, id):
        """Drop a database.

        :raises DatabaseNotFound: there is none of that name (404).
        """
        target = _load(req, 'delete', instance_id)
        with notices.instance(req, target.context,
                              notifications.DATABASE_DELETE, instance_id,
                              dbname=id):
            target.guest.delete_database(target.database_name(id))
        return wsgi.Response(202)

    def show(self, req, body, instance_id, id):
        """Upstream has no database show: 501 whatever the instance."""
        policy.authorize(base.context_of(req), RULE % 'show')
        raise exception.NotImplementedYet(
            'Showing a single database is not supported; list the '
            'databases of the instance instead.')
