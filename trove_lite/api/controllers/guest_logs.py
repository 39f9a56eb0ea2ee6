"""Guest logs of an instance (upstream's ``GuestLogController``).

``GET …/log`` lists the logs the caller may see; ``POST …/log`` shows one
and, as its body asks, enables, disables, discards and publishes it. The
API decides everything but the log's content: which logs exist and their
types (the datastore's manifest, no guest round trip), which the caller
may reach (``[<manager>] guest_log_exposed_logs``; administrators reach
all), and where a publish writes (the backup storage's description with
``guest_log_container_name``, the instance's prefix, the object size and
expiry). The guest only reads its files and writes what it is told.

Reading a log (list, or a ``POST`` without an action) is
``instance:guest_log_list``, a reader's; an action is
``instance:guest_log_action``, a member's (upstream checks no policy for
``POST``, which would let a reader switch a log on).
"""

from trove_lite.api.controllers import base
from trove_lite.api import guest_requests
from trove_lite.api.schemas import common as schema
from trove_lite.api.schemas import guest_logs as schemas
from trove_lite.api.views import guest_logs as views
from trove_lite.common import backup_storage
from trove_lite.common import exception
from trove_lite.common import guest_logs as vocabulary
from trove_lite import conf
from trove_lite.conf import datastores as datastores_conf
from trove_lite.guestagent.datastores import manifest

CONF = conf.CONF

LIST_RULE = 'instance:guest_log_list'
ACTION_RULE = 'instance:guest_log_action'


def _group(target):
    return datastores_conf.options_for(CONF, target.manager)


def _exposed(ctx, target, name):
    """Whether the caller may reach log ``name`` of ``target``."""
    if ctx.is_admin:
        return True
    group = _group(target)
    return group is not None and name in group.guest_log_exposed_logs


def _shown(target, shown):
    """The API's view of what the guest said of one log."""
    name = shown['name']
    instance_id = target.instance.id
    return views.log(
        shown, target.manifest.guest_logs[name],
        CONF.guest_log_container_name,
        vocabulary.prefix(instance_id, target.manager, name),
        vocabulary.metafile(instance_id, target.manager, name))


class GuestLogController:

    def index(self, req, body, instance_id):
        """The logs the caller may see, as the guest finds them."""
        ctx = base.context_of(req)
        target = guest_requests.load(ctx, LIST_RULE, instance_id,
                                     manifest.LOGS)
        logs = []
        for shown in target.guest.guest_log_list() or []:
            name = shown.get('name') if isinstance(shown, dict) else None
            # NOTE(guest): a log the manifest does not name (a guest of
            # another release, or one that lies) is not shown.
            if name in target.manifest.guest_logs and \
                    _exposed(ctx, target, name):
                logs.append(_shown(target, shown))
        return {'logs': logs}

    def action(self, req, body, instance_id):
        """Show log ``name``, after the actions the body asks for.

        :raises LogNotFound: the datastore has no such log (404).
        :raises LogAccessForbidden: the log is not exposed to the caller
            (403).
        """
        spec = schema.validate(schemas.action, body)
        name = spec['name']
        asked = [action for action in vocabulary.ACTIONS
                 if spec.get(action)]
        ctx = base.context_of(req)
        target = guest_requests.load(
            ctx, ACTION_RULE if asked else LIST_RULE, instance_id,
            manifest.LOGS)
        if name not in target.manifest.guest_logs:
            raise exception.LogNotFound(name=name)
        if not _exposed(ctx, target, name):
            raise exception.LogAccessForbidden(
                action=asked[0] if asked else 'show', log=name)
        publication = None
        if spec.get('publish') or spec.get('discard'):
            publication = {
                'storage': backup_storage.describe_logs(ctx),
                'prefix': vocabulary.prefix(instance_id, target.manager,
                                            name),
                'metafile': vocabulary.metafile(instance_id, target.manager,
                                                name),
                'limit': CONF.guest_log_limit,
                'expiry': CONF.guest_log_expiry,
            }
        group = _group(target)
        shown = target.guest.guest_log_action(
            name, enable=bool(spec.get('enable')),
            disable=bool(spec.get('disable')),
            publish=bool(spec.get('publish')),
            discard=bool(spec.get('discard')), publication=publication,
            long_query_time=(group.guest_log_long_query_time
                             if group is not None else None))
        if not isinstance(shown, dict) or shown.get('name') != name:
            raise exception.GuestError(
                reason='the guest answered for another log than %s' % name)
        return {'log': _shown(target, shown)}
