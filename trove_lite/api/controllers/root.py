"""The superuser of an instance (upstream's ``Root`` extension).

Enabling generates a password when the tenant gives none, has the guest
enable the datastore's superuser with it, and records who enabled root in
the root history (``db.repositories.root_history``). ``GET`` asks the
guest whether root can log in remotely now, as current upstream does, so
that a disable shows as ``rootEnabled: false``; the history keeps its
audit role for the management API (who enabled root first, and when),
and disabling needs root to have been enabled once.
"""

from trove_lite.api.controllers import base
from trove_lite.api import guest_requests
from trove_lite.api import notices
from trove_lite.api.schemas import common as schema
from trove_lite.api.schemas import root as schemas
from trove_lite.api.views import root as views
from trove_lite.api import wsgi
from trove_lite.common import exception
from trove_lite.common import notifications
from trove_lite.db.repositories import root_history
from trove_lite.guestagent.datastores import manifest

RULE = 'instance:extension:root:%s'


def _load(req, action, instance_id):
    return guest_requests.load(base.context_of(req), RULE % action,
                               instance_id, manifest.ROOT)


class RootController:

    def index(self, req, body, instance_id):
        """Whether root can log in now, as the guest finds its server."""
        target = _load(req, 'index', instance_id)
        return views.root_enabled(target.guest.is_root_enabled())

    def create(self, req, body, instance_id):
        """Enable root; answers the superuser's name and password."""
        spec = schema.validate(schemas.create, body) if body else {}
        target = _load(req, 'create', instance_id)
        with notices.instance(req, target.context, notifications.ROOT_ENABLE,
                              instance_id):
            password = (target.password(spec['password'])
                        if 'password' in spec else target.new_password())
            enabled = target.guest.enable_root(password) or {}
            root_history.enable(target.context, instance_id,
                                target.context.user_id)
        return views.root_user(
            enabled.get('name') or target.manifest.root_user, password)

    def delete(self, req, body, instance_id):
        """Disable root.

        :raises RootHistoryNotFound: root was never enabled (404).
        """
        target = _load(req, 'delete', instance_id)
        with notices.instance(req, target.context,
                              notifications.ROOT_DISABLE, instance_id):
            if root_history.get(target.context, instance_id) is None:
                raise exception.RootHistoryNotFound(uuid=instance_id)
            target.guest.disable_root()
            root_history.disable(target.context, instance_id)
        return wsgi.Response(204)
