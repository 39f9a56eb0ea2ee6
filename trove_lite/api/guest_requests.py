"""What every database, user and root request goes through before, and
while, it talks to the instance's guest agent.

``load`` answers, in upstream's order and without a guest round trip:

1. the instance exists and is the caller's, or the caller is an admin
   (404 otherwise: the CLI falls back to names on a 404;
   ``context.lookup_project``), and the policy rule allows the request on
   it;
2. its datastore can do this at all, as its manifest says: databases and
   users on a datastore without them are 422
   (``DatastoreFeatureNotSupported``), root is 501
   (``DatastoreOperationNotSupported``), as upstream answers managers
   outside its extensions and datastores without a root controller;
3. it is ready for an action (upstream's ``validate_can_perform_action``,
   422): the server is ACTIVE, no task is running or holds the instance,
   and the datastore is healthy by the latest heartbeat. Guest logs skip
   this: they are read to find out why an instance is not well.

The ``Target`` it returns then validates tenant-supplied names, hosts,
passwords and character sets with the datastore's manifest, refuses the
names its ``[<manager>] ignore_users``/``ignore_dbs`` reserve (400), and
talks to the guest through ``Target.guest``, whose failures reach the
tenant as upstream faults: what the guest raises comes back as our own
exception class (``common.rpc``), no answer in time is ``GuestTimeout``
and any other failure ``GuestError`` (both 400, as upstream). A request
the guest's version cannot take (an agent of another release, or guests
pinned below it by ``[upgrade_levels] guestagent``) is a 501 that names
the versions.
"""

import functools
from urllib import parse

from oslo_log import log as logging
import oslo_messaging

from trove_lite.api import datastore_rules
from trove_lite.api import pagination
from trove_lite.common import context
from trove_lite.common import exception
from trove_lite.common import policy
from trove_lite.common import rpc
from trove_lite.common import states
from trove_lite import conf
from trove_lite.db import models
from trove_lite.db.repositories import datastores as datastore_repo
from trove_lite.db.repositories import instances as instance_repo
from trove_lite.guestagent.datastores import manifest as manifests
from trove_lite.guestagent import rpcapi as guest_rpcapi

CONF = conf.CONF
LOG = logging.getLogger(__name__)

DEFAULT_HOST = manifests.DEFAULT_HOST

# Service statuses in which a datastore takes database and user requests.
_READY = frozenset([states.SVC_RUNNING, states.SVC_HEALTHY,
                    states.SVC_RESTART_REQUIRED])


# The actions (last part of a policy rule) that only read.
_READS = frozenset(['index', 'show'])


def load(ctx, rule, instance_id, feature):
    """The ``Target`` of a request on ``instance_id``.

    :param rule: the policy rule, checked against the instance's owner.
    :param feature: the manifest feature the request needs (``manifest
        .DATABASES``, ``USERS`` or ``ROOT``).
    :raises InstanceNotFound: no such instance in the caller's project
        (in any project for an admin).
    :raises PolicyNotAuthorized: the rule denies it (403).
    :raises DatastoreFeatureNotSupported: no databases or users (422).
    :raises DatastoreOperationNotSupported: no root (501).
    :raises LogsNotAvailable: no guest logs (501).
    :raises InstanceNotReady: not ready for an action (422).
    :raises ReplicaReadOnly: a change on a replica (400).
    """
    row = instance_repo.get(ctx, instance_id,
                            project_id=context.lookup_project(ctx))
    policy.authorize(ctx, rule, {'tenant': row.tenant_id})
    version = datastore_repo.get_version_by_id(ctx, row.datastore_version_id)
    manifest = manifests.load(version.manager)
    datastore = version.datastore.name
    if not manifest.supports(feature):
        if feature == manifests.ROOT:
            raise exception.DatastoreOperationNotSupported(
                operation='root', datastore=datastore)
        if feature == manifests.LOGS:
            raise exception.LogsNotAvailable(datastore=datastore)
        raise exception.DatastoreFeatureNotSupported(feature=feature,
                                                     datastore=datastore)
    if row.slave_of_id and feature != manifests.LOGS and \
            rule.rsplit(':', 1)[-1] not in _READS:
        # NOTE(replication): a replica's accounts and schemas come from
        # its source; a change made here (as root, past read_only) would
        # be the replica's own transaction and break replication.
        raise exception.ReplicaReadOnly(uuid=row.id)
    if feature != manifests.LOGS:
        # NOTE(logs): a log is most wanted when the instance is not well
        # (its datastore down, a task stuck); the agent answers, or the
        # request fails with GuestTimeout.
        check_ready(ctx, row)
    return Target(ctx, row, version.manager, manifest)


def check_ready(ctx, row):
    """Upstream's ``validate_can_perform_action``.

    :raises InstanceNotReady: naming the status that is in the way.
    """
    task = states.task(row.task_id)
    status, _ = instance_repo.get_service_status(ctx, row.id)
    status = instance_repo.effective_service_status(
        row, status, instance_repo.get_heartbeat(ctx, row.id),
        models.utcnow(), CONF.agent_heartbeat_expiry)
    if row.server_status != states.SERVER_ACTIVE:
        shown = states.api_status(row.task_id, row.server_status)
    elif task is not states.NONE:
        shown = task.name
    elif row.lock_holder:
        # NOTE(locks): a worker holds the instance between two tasks.
        shown = 'BUSY'
    elif status not in _READY:
        shown = status.api_name
    else:
        return
    raise exception.InstanceNotReady(uuid=row.id, status=shown)


def split_user_id(quoted):
    """(name, host) of a user id from a URL: ``name`` or ``name@host``.

    Upstream's ``unquote_user_host``: unquoted once more (the client
    quotes ``.`` as ``%2e`` on top of the URL encoding), split on the last
    ``@``; no host, or an empty one, means ``%``.
    """
    from_url = parse.unquote(quoted)
    if '@' not in from_url or from_url.endswith('@'):
        return from_url, DEFAULT_HOST
    name, host = from_url.rsplit('@', 1)
    return name, host


user_id = datastore_rules.user_id


def page(ctx, items, key, page_size):
    """One page of a guest's full list, as upstream's guest pages it.

    Items are ordered by ``key``; a page starts after the marker (not at
    it) and holds at most ``limit`` items, capped by ``page_size``.

    :returns: (items of the page, marker of the next page or None).
    :raises BadValue: a malformed ``limit``.
    """
    limit = pagination.page_limit(ctx, page_size)
    items = sorted(items, key=key)
    if ctx.marker:
        items = [item for item in items if key(item) > ctx.marker]
    if len(items) > limit:
        return items[:limit], key(items[limit - 1])
    return items, None


class Target(datastore_rules.DatastoreRules):
    """An instance that passed ``load``: its validators and its guest.

    :param ctx: the request context.
    :param instance: the instance row.
    :param manager: the datastore manager name of its version.
    :param manifest: that manager's ``Manifest``.
    """

    def __init__(self, ctx, instance, manager, manifest):
        super().__init__(manager, manifest)
        self.context = ctx
        self.instance = instance
        self.guest = Guest(ctx, instance)

    # -- what the guest has ------------------------------------------------

    def database_names(self):
        """Names of every database on the instance (guest call)."""
        return {entry['name'] for entry in self.guest.list_databases()}

    def require_databases(self, names):
        """:raises DatabaseNotFound: one of ``names`` is not on the
        instance (one guest call; none for no names).
        """
        if not names:
            return
        existing = self.database_names()
        for name in names:
            if name not in existing:
                raise exception.DatabaseNotFound(name=name)

    def require_user(self, name, host):
        """The guest's user ``name``@``host``.

        :raises UserNotFound: it does not exist.
        """
        found = self.guest.get_user(name, host)
        if not found:
            raise exception.UserNotFound(name=user_id(name, host))
        return found


class Guest:
    """The agent of one instance; its failures raised as upstream faults.

    Every method of ``guestagent.rpcapi.GuestAgentAPI`` is available.
    """

    def __init__(self, ctx, instance):
        self._api = guest_rpcapi.for_instance(ctx, instance)
        self._instance_id = instance.id

    def __getattr__(self, name):
        method = getattr(self._api, name)

        @functools.wraps(method)
        def call(*args, **kwargs):
            try:
                return method(*args, **kwargs)
            except exception.RPCTimeout:
                raise exception.GuestTimeout(uuid=self._instance_id)
            except oslo_messaging.RPCVersionCapError as err:
                raise exception.DatastoreOperationNotSupported(
                    message='The guest agents are pinned to guest API %s '
                            '([upgrade_levels] guestagent), and %s needs '
                            '%s; ask an administrator to raise the pin.'
                            % (err.version_cap, name, err.version))
            except exception.IncompatibleService as err:
                raise self._incompatible(name, err.kwargs.get('version'))
            except exception.UnsealError:
                # NOTE(guest): the agent refused our seal, or we refused
                # its answer (each side logs its refusal). Not the
                # tenant's 403: the channel to its guest is broken.
                raise exception.GuestError(
                    reason='the guest agent does not hold the key of the '
                           'instance (ask an administrator to check the '
                           'guest agent)')
            except exception.TroveLiteError:
                raise
            except Exception as err:
                # NOTE(guest): anything else the guest failed with (a bug,
                # an old agent): oslo.messaging rebuilds Python's own
                # exceptions with the remote traceback appended to the
                # message and others as RemoteError. The tenant gets the
                # first line; the log keeps the rest.
                LOG.exception('The guest of instance %s failed %s',
                              self._instance_id, name)
                raise exception.GuestError(reason=_summary(err))
        return call

    def _incompatible(self, method, needed):
        """The fault of a request the agent refused for its version.

        The refusal does not say which version the agent speaks; its
        answer to the ping of guest API 1.0 does, and an agent that
        refuses that ping too speaks another major version.
        """
        try:
            announced = self._api.rpc_ping().get('rpc_api_version')
        except exception.IncompatibleService:
            version = 'guest API other than 1.x'
        except Exception as err:
            LOG.debug('The guest of instance %s did not say its version: '
                      '%s', self._instance_id, err)
            version = 'an unknown guest API'
        else:
            # NOTE(guest): its answer goes into a fault; the guest is not
            # trusted to send a version rather than a paragraph.
            version = ('guest API %s' % announced if rpc.is_version(announced)
                       else 'an unknown guest API')
        LOG.warning('The guest agent of instance %s speaks %s; %s needs '
                    'guest API %s', self._instance_id, version, method,
                    needed)
        return exception.GuestAPIIncompatible(
            uuid=self._instance_id, method=method, version=version,
            needed=needed or '?')


def _summary(err):
    if isinstance(err, oslo_messaging.RemoteError):
        kind, text = err.exc_type, err.value
    else:
        kind, text = type(err).__name__, str(err)
    lines = (text or '').strip().splitlines()
    return '%s: %s' % (kind, lines[0] if lines else 'no details')
