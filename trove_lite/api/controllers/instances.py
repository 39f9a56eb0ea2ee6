"""Database instances (tenant API).

Create validates everything first (``instance_requests``), creates the row
in BUILDING with the workflow that builds it, and casts a wake-up to a
taskmanager. Restart, delete and a change of access are a task
test-and-set on the row that
takes its lock for a new holder id, recorded with its workflow in the same
transaction, then a cast that hands the holder to the taskmanager running
the flow. The record, not the message, is what a taskmanager acts on
(``taskmanager.workflows``): a cast that is lost delays the work by a
few seconds and loses nothing. Reads serve what is stored
(the last heartbeat included) and never wait on a guest.
"""

import uuid

from oslo_config import cfg
from oslo_log import log as logging

from trove_lite.api import configuration_requests
from trove_lite.api.controllers import base
from trove_lite.api import guest_requests
from trove_lite.api import instance_requests
from trove_lite.api import notices
from trove_lite.api import pagination
from trove_lite.api import replica_requests
from trove_lite.api import resize_requests
from trove_lite.api.schemas import common as schema
from trove_lite.api.schemas import instances as schemas
from trove_lite.api.views import instances as views
from trove_lite.api import wsgi
from trove_lite.common import access as access_module
from trove_lite.common import context
from trove_lite.common import exception
from trove_lite.common import notifications
from trove_lite.common import policy
from trove_lite.common import states
from trove_lite.common import utils
from trove_lite.compute import base as compute_base
from trove_lite.conf import datastores as datastores_conf
from trove_lite.db import api as db_api
from trove_lite.db import models
from trove_lite.db.repositories import backups as backup_repo
from trove_lite.db.repositories import configurations as config_repo
from trove_lite.db.repositories import datastores as datastore_repo
from trove_lite.db.repositories import flavors as flavor_repo
from trove_lite.db.repositories import instance_listing
from trove_lite.db.repositories import instances as instance_repo
from trove_lite.db.repositories import quotas as quota_repo
from trove_lite.db.repositories import replication as topology
from trove_lite.db.repositories import resource_locks
from trove_lite.db.repositories import root_history
from trove_lite.db.repositories import workflows as workflow_repo
from trove_lite.db import resource_kinds
from trove_lite.taskmanager import rpcapi as taskmanager_rpcapi

LOG = logging.getLogger(__name__)

INSTANCE = resource_kinds.INSTANCE.name


def facts_of_page(entries):
    """The ``InstanceFacts`` of a page read by ``instance_listing``."""
    now = models.utcnow()
    expiry = cfg.CONF.agent_heartbeat_expiry
    group_names = config_repo.names(
        context.get_admin_context(),
        [entry.instance.configuration_id for entry in entries
         if entry.instance.configuration_id])
    facts = []
    for entry in entries:
        row = entry.instance
        status = (states.service_status(entry.status_id)
                  if entry.status_id is not None else states.SVC_UNKNOWN)
        status = instance_repo.effective_service_status(
            row, status, entry.heartbeat, now, expiry)
        version = entry.version
        facts.append(views.InstanceFacts(
            row=row, version=version,
            datastore_name=version.datastore_name if version else None,
            service_status=status, status_updated=entry.status_updated,
            heartbeat=entry.heartbeat, fault=entry.fault,
            addresses=instance_repo.addresses_of(row),
            backing_up=entry.backing_up, replicas=entry.replicas,
            configuration_name=group_names.get(row.configuration_id)))
    return facts


def _placement(spec):
    """Where the request puts the instance's server, as the row keeps it:
    its networks (``nics``: upstream's ``net-id`` or ``network_id``, with
    an optional ``subnet_id`` and ``ip_address``), its availability zone
    and its locality (the policy of the server group its replicas join).
    Only what the request names.

    :raises: BadRequest for a nic without a network.
    """
    placed = {}
    if spec.get('nics'):
        networks = []
        for nic in spec['nics']:
            net_id = nic.get('net-id') or nic.get('network_id')
            if not net_id:
                raise exception.BadRequest(
                    'A nic needs its network: net-id or network_id.')
            network = {'net_id': net_id}
            for key in ('subnet_id', 'ip_address'):
                if nic.get(key):
                    network[key] = nic[key]
            networks.append(network)
        placed['networks'] = networks
    if spec.get('availability_zone'):
        placed['availability_zone'] = spec['availability_zone']
    if spec.get('locality'):
        placed['locality'] = spec['locality']
    return placed


def _create_arguments(ctx, resolved, root_password):
    """What a create's workflow is asked: the initial databases, users
    and root password, and the backup it restores, if any (with the
    requester's token when its storage needs it).
    """
    arguments = {'databases': resolved.databases, 'users': resolved.users,
                 'root_password': root_password,
                 'backup_id': resolved.backup.id if resolved.backup else None}
    if resolved.backup is not None:
        arguments.update(backup_repo.token_argument(
            ctx, resolved.backup.storage_driver))
    return arguments


def _busy(row):
    """Whether something runs on the instance: a task that is not over
    (a failed task's error is over), or a worker holding its lock.
    """
    task = states.task(row.task_id)
    running = task is not states.NONE and not task.is_error
    return running or bool(row.lock_holder)


def _newest_first(facts):
    # NOTE(compat): pages are cut by id, then shown newest first.
    return sorted(facts, key=lambda f: f.row.created or models.utcnow(),
                  reverse=True)


class InstanceController:

    def _list(self, req, rule, view):
        ctx = base.authorize(req, rule)
        limit = pagination.page_limit(ctx, cfg.CONF.instances_page_size)
        include_clustered = req.params.get(
            'include_clustered', '').lower() == 'true'
        entries = instance_listing.list_page(
            ctx, limit + 1, project_id=ctx.project_id, marker=ctx.marker,
            include_clustered=include_clustered)
        entries, next_marker = pagination.split_page(entries, limit)
        items = [view(req, facts, ctx.is_admin)
                 for facts in _newest_first(facts_of_page(entries))]
        return pagination.paginated(req, 'instances', items, next_marker)

    def index(self, req, body):
        return self._list(req, 'instance:index', views.instance)

    def detail(self, req, body):
        return self._list(req, 'instance:detail', views.instance_detail)

    def _load(self, req, rule, instance_id):
        ctx = base.context_of(req)
        # NOTE(compat): an unknown id or a name is a 404, so that the CLI
        # falls back to listing and matching names; so is another
        # project's id, but for an admin (``context.lookup_project``).
        row = instance_repo.get(ctx, instance_id,
                                project_id=context.lookup_project(ctx))
        policy.authorize(ctx, rule, {'tenant': row.tenant_id})
        return ctx, row

    def show(self, req, body, id):
        ctx = base.context_of(req)
        # NOTE(compat): an unknown id or a name is a 404 (see _load).
        entry = instance_listing.get_listed(
            ctx, id, project_id=context.lookup_project(ctx))
        policy.authorize(ctx, 'instance:show',
                         {'tenant': entry.instance.tenant_id})
        [facts] = facts_of_page([entry])
        return {'instance': views.instance_detail(req, facts, ctx.is_admin)}

    def create(self, req, body):
        ctx = base.authorize(req, 'instance:create')
        spec = schema.validate(schemas.create, body)['instance']
        if spec.get('locality') and \
                spec['locality'] not in compute_base.LOCALITIES:
            raise exception.BadRequest(
                'Locality must be one of %s.'
                % ', '.join(compute_base.LOCALITIES))
        group = None
        if spec.get('configuration'):
            group = configuration_requests.load_group(
                ctx, spec['configuration'])
        if spec.get('replica_of'):
            source, resolved, count = replica_requests.resolve_replicas(
                ctx, spec, context.lookup_project(ctx))
            names = replica_requests.replica_names(spec['name'], count)
            arguments = {'databases': [], 'users': [], 'root_password': None,
                         'backup_id': None, 'replica_of': source.id}
            root_password = None
            if spec.get('locality'):
                raise exception.BadRequest(
                    'Cannot specify locality when adding replicas to '
                    'existing master.')
            # NOTE(failover): the choice is the group's: a replica that is
            # promoted one day fails over as its source did.
            # NOTE(locality): so is the placement: replicas join their
            # source's server group.
            extra = {'slave_of_id': source.id, 'failover': source.failover,
                     'locality': source.locality,
                     'server_group_id': source.server_group_id}
        else:
            if spec.get('replica_count'):
                raise exception.BadRequest(
                    'replica_count needs replica_of.')
            resolved = instance_requests.resolve(ctx, spec)
            names = [spec['name']]
            root_password = self._root_on_create(resolved.version)
            arguments = _create_arguments(ctx, resolved, root_password)
            extra = {}
        access = spec.get('access')
        if access:
            access_module.check_cidrs(access.get('allowed_cidrs'))
        extra.update(_placement(spec))
        if spec.get('replica_of') and 'networks' not in extra:
            # NOTE(replication): a replica sits on its source's networks
            # unless the request names its own.
            extra['networks'] = source.networks
        if 'failover' in spec:
            extra['failover'] = spec['failover']
        if group is not None:
            configuration_requests.check_version(group,
                                                 resolved.version.id)
            extra['configuration_id'] = group.id
        values = [dict({
            'id': str(uuid.uuid4()),
            'name': name,
            'tenant_id': ctx.project_id,
            'flavor_id': resolved.flavor.id,
            'volume_size': resolved.volume_size,
            'datastore_version_id': resolved.version.id,
            'region_id': cfg.CONF.os_region_name,
            'access': access_module.dump(access),
        }, **extra) for name in names]
        with notices.instance_create(req, ctx, spec, resolved) as notice:
            notice.update(instance_id=values[0]['id'])
            carried = notice.hand_off()
            workflow_ids = [str(uuid.uuid4()) for _ in values]

            def create(session_ctx):
                # NOTE(workflows): the rows and the workflows that build
                # them commit together: a create never waits on a message.
                rows = []
                for row_values, workflow_id in zip(values, workflow_ids):
                    row = instance_repo.create(session_ctx, dict(row_values))
                    workflow_repo.record(
                        session_ctx, INSTANCE, row.id, 'create',
                        arguments=arguments, request_context=ctx,
                        notification=carried, workflow_id=workflow_id)
                    rows.append(row)
                return rows

            deltas = {name: value * len(values) for name, value in
                      instance_requests.quota_deltas(resolved).items()}
            rows = quota_repo.run_with_quotas(ctx, ctx.project_id, deltas,
                                              create)
            for row, workflow_id in zip(rows, workflow_ids):
                self._cast_create(ctx, row, resolved, root_password,
                                  carried, workflow_id)
        row = rows[0]
        if root_password:
            root_history.enable(ctx, row.id, ctx.user_id)
        [facts] = facts_of_page([instance_listing.get_listed(ctx, row.id)])
        return {'instance': views.instance_created(req, facts, ctx.is_admin,
                                                   root_password)}

    @staticmethod
    def _root_on_create(version):
        """A new root password when ``[<manager>] root_on_create`` asks
        for one (upstream has no request flag for it), else None.
        """
        options = datastores_conf.options_for(cfg.CONF, version.manager)
        if options is None or not options.root_on_create:
            return None
        return utils.generate_password(options.default_password_length)

    @staticmethod
    def _cast_create(ctx, row, resolved, root_password, notification,
                     workflow_id):
        """Wake a taskmanager for the recorded workflow.

        NOTE(workflows): a cast that cannot be sent loses nothing: the
        record is claimed by the next taskmanager that looks
        (``[taskmanager] workflow_claim_grace``), so the create goes on.
        """
        try:
            taskmanager_rpcapi.TaskManagerAPI().create_instance(
                ctx, row.id, resolved.databases, resolved.users,
                root_password, notification=notification,
                workflow_id=workflow_id)
        except Exception:
            LOG.exception('Could not cast the build of %s; a taskmanager '
                          'will claim workflow %s when it looks', row.id,
                          workflow_id)

    def update(self, req, body, id, body_schema=schemas.update):
        spec = schema.validate(body_schema, body)['instance']
        ctx, row = self._load(req, 'instance:update', id)
        others = set(spec) - {'name'}
        if len(others) > 1:
            raise exception.BadRequest(
                "Only one attribute (except 'name') is allowed to update.")
        [other] = others or [None]
        if other == 'configuration' or not spec:
            # NOTE(compat): an empty body detaches the group, as upstream.
            self._configure(ctx, row, spec.get('configuration'))
        elif other == 'datastore_version':
            # NOTE(refusals): checked and started before the new name is
            # stored, so that a refused upgrade changes nothing.
            self._upgrade(req, ctx, row, spec['datastore_version'])
        elif other not in (None, 'replica_of', 'slave_of', 'failover',
                           'access'):
            raise exception.NotImplementedYet(
                'Changing %s of an instance is not supported yet.' % other)
        # The workflow a detach or a change of access starts: (the cast
        # that wakes a taskmanager, what ``_start`` returned).
        change = None
        if other == 'access':
            access_module.check_cidrs(spec['access'].get('allowed_cidrs'))
            # NOTE(compat): upstream sends no notification of it. The test-
            # and-set (422 when busy) comes before a new name is stored.
            change = ('update_access', self._start(
                ctx, row.id, 'update_access', notices.unannounced(ctx),
                arguments={'access': spec['access']}))
        elif other in ('replica_of', 'slave_of'):
            # NOTE(compat): the presence of the key means "detach", its
            # value is ignored (upstream's troveclient sends null).
            replica_requests.check_detach(ctx, row)
            # NOTE(refusals): the detach's test-and-set comes before the
            # new name is stored, so that a refused detach (a busy
            # replica: 422) changes nothing.
            with notices.instance(req, ctx, notifications.INSTANCE_DETACH,
                                  row.id) as notice:
                change = ('detach_replica',
                          self._start(ctx, row.id, 'detach', notice))
        values = {key: spec[key] for key in ('name', 'failover')
                  if key in spec}
        if values:
            with notices.instance(req, ctx, notifications.INSTANCE_UPDATE,
                                  row.id, **values):
                instance_repo.update(ctx, row.id, **values)
                if 'failover' in values:
                    # The group's choice (see create): every member's.
                    for member in topology.group(
                            ctx, row.slave_of_id or row.id):
                        instance_repo.update(ctx, member.id,
                                             failover=values['failover'])
        if change is not None:
            method, (holder, workflow_id, carried) = change
            self._cast(ctx, method, row.id, carried, holder, workflow_id)
        return wsgi.Response(202)

    def edit(self, req, body, id):
        return self.update(req, body, id, body_schema=schemas.edit)

    @staticmethod
    def _configure(ctx, row, group_ref):
        """Attach the group ``group_ref`` to the instance (None:
        detach its group): its guest takes the values first, then the
        instance records the group.

        :raises InvalidInstanceState: not ACTIVE or busy (400).
        :raises ConfigurationNotFound: no such group of the project.
        :raises ConfigurationAlreadyAttached: it has one already (400).
        :raises ConfigurationDatastoreMismatch: for another version.
        :raises InstanceNotReady: its datastore is not healthy (422).
        """
        configuration_requests.check_attachable(ctx, row)
        old = configuration_requests.values_of(ctx, row.configuration_id)
        version = datastore_repo.get_version_by_id(
            ctx, row.datastore_version_id)
        if group_ref:
            group = configuration_requests.load_group(ctx, group_ref)
            if row.configuration_id:
                raise exception.ConfigurationAlreadyAttached(
                    instance_id=row.id,
                    configuration_id=row.configuration_id)
            configuration_requests.check_version(
                group, row.datastore_version_id, instance_id=row.id)
            new = config_repo.values(ctx, group.id)
            rules = configuration_requests.rules_of(ctx, version)
            group_id = group.id
        else:
            if not row.configuration_id:
                return
            new, group_id = {}, None
            rules = configuration_requests.rules_of(ctx, version,
                                                    required=False)
        guest_requests.check_ready(ctx, row)
        configuration_requests.apply_to_instance(ctx, row, new, old, rules)
        config_repo.attach(ctx, row.id, group_id)

    def configuration(self, req, body, id):
        """The parameters the instance's server has without a group
        (``openstack database configuration default``).
        """
        ctx, row = self._load(req, 'instance:configuration', id)
        guest_requests.check_ready(ctx, row)
        flavor = flavor_repo.get_flavor(ctx, row.flavor_id)
        defaults = guest_requests.Guest(
            ctx, row).get_configuration_defaults(flavor.ram)
        return {'instance': {'configuration': defaults}}

    def delete(self, req, body, id):
        """Delete an instance in whatever state it is (202).

        Upstream refuses to delete a building instance (422) and leaves a
        stuck one to an operator's reset_status; here a delete works from
        every state and takes the instance over from whatever runs on it
        (``state_machine``: delete is a take-over), so it stops a running
        create or restart. Deleting a busy instance (a task running:
        BUILD, REBOOT, RESIZE, a delete under way; or a worker holding it
        between two tasks) is therefore a forced delete, and checks
        ``instance:force_delete`` as well as ``instance:delete``; deleting
        an idle one (no task, or a failed task's error) checks
        ``instance:delete`` only.

        NOTE(race): the policy reads the row before the test-and-set; an
        operation that starts in between is taken over like any other.

        :raises PolicyNotAuthorized: either rule denies it (403).
        """
        ctx, row = self._load(req, 'instance:delete', id)
        if replica_requests.has_replicas(ctx, row):
            raise exception.ReplicaSourceDeleteForbidden(uuid=row.id)
        if _busy(row):
            policy.authorize(ctx, 'instance:force_delete',
                             {'tenant': row.tenant_id})
        with notices.instance(req, ctx, notifications.INSTANCE_DELETE,
                              row.id) as notice:
            holder, workflow_id, carried = self._start(
                ctx, row.id, 'delete', notice)
            self._cast(ctx, 'delete_instance', row.id, carried, holder,
                       workflow_id)
        return wsgi.Response(202)

    def _upgrade(self, req, ctx, row, version_ref):
        """Start the upgrade of ``row`` to the version ``version_ref``
        (name or id) of its datastore (upstream's PATCH
        ``{"instance": {"datastore_version": ...}}``).

        :raises: see ``instance_requests.upgrade_target``;
            InstanceNotReady (422) unless ACTIVE and healthy;
            InstanceNotAvailable (422) when a task or a backup runs.
        """
        current, target = instance_requests.upgrade_target(ctx, row,
                                                           version_ref)
        replica_requests.check_upgrade(ctx, row, target)
        guest_requests.check_ready(ctx, row)
        with notices.instance(req, ctx, notifications.INSTANCE_UPGRADE,
                              row.id,
                              datastore_version_id=target.id) as notice:
            holder, workflow_id, carried = self._start(
                ctx, row.id, 'upgrade', notice, arguments={
                    'version_id': target.id, 'version_name': target.name,
                    'old_version_id': current.id})
            self._cast(ctx, 'upgrade', row.id, carried, holder,
                       workflow_id)

    @staticmethod
    def _start(ctx, instance_id, operation, notice, arguments=None,
               event=None):
        """The task test-and-set of ``operation`` (by ``event``, the
        operation's own name when None) and its workflow record, in one
        transaction; ``(holder, workflow id, notification)``.
        """
        holder = resource_locks.new_holder(role=resource_locks.API_ROLE)
        carried = notice.hand_off()
        with db_api.writer.using(ctx):
            if operation != 'delete' and backup_repo.running_for_instance(
                    ctx, instance_id):
                # NOTE(compat): upstream's action gate: no action while a
                # backup runs (a delete still takes the instance over; the
                # backup then fails).
                raise exception.InstanceNotAvailable(task='BACKUP')
            instance_repo.start(ctx, instance_id, event or operation,
                                holder)
            workflow_id = workflow_repo.record(
                ctx, INSTANCE, instance_id, operation, holder=holder,
                arguments=arguments, request_context=ctx,
                notification=carried)
        return holder, workflow_id, carried

    @staticmethod
    def _cast(ctx, method, instance_id, carried, holder, workflow_id):
        """Wake a taskmanager for a recorded workflow; a cast that cannot
        be sent loses nothing (see ``_cast_create``).
        """
        try:
            getattr(taskmanager_rpcapi.TaskManagerAPI(), method)(
                ctx, instance_id, notification=carried, holder=holder,
                workflow_id=workflow_id)
        except Exception:
            LOG.exception('Could not cast %s of %s; a taskmanager will '
                          'claim workflow %s when it looks', method,
                          instance_id, workflow_id)

    def action(self, req, body, id):
        body = schema.validate(schemas.action, body)
        [name] = body
        if name == 'restart':
            ctx, row = self._load(req, 'instance:restart', id)
            with notices.instance(req, ctx, notifications.INSTANCE_RESTART,
                                  row.id) as notice:
                holder, workflow_id, carried = self._start(
                    ctx, row.id, 'restart', notice)
                self._cast(ctx, 'restart', row.id, carried, holder,
                           workflow_id)
        elif name == 'reset_status':
            # NOTE(compat): upstream checks a reset_status that carries
            # force_delete against instance:force_delete instead, so that
            # an owner allowed to force a delete may first clear what is
            # in its way (troveclient's force delete is a reset_status,
            # then a delete).
            rule = ('instance:force_delete'
                    if 'force_delete' in body['reset_status']
                    else 'instance:reset_status')
            ctx, row = self._load(req, rule, id)
            with notices.instance(req, ctx,
                                  notifications.INSTANCE_RESET_STATUS,
                                  row.id):
                instance_repo.reset(ctx, row.id)
        elif name in ('promote_to_replica_source', 'eject_replica_source'):
            self._change_group(req, name, id)
        elif name == 'resize':
            self._resize(req, body, id)
        else:
            self._load(req, 'instance:update', id)
            raise exception.NotImplementedYet(
                'The %s action is not supported yet.' % name)
        return wsgi.Response(202)

    def _resize(self, req, body, instance_id):
        """Grow the volume (of the instance and its replicas, as upstream)
        or change the flavor: each instance is set RESIZING under a lock
        of its own with its recorded workflow, in the transaction that
        checks the quota (what the resize adds to it), so that a refused
        resize changes nothing.

        :raises QuotaExceeded: the project's volumes or RAM quota does
            not allow it (413).
        """
        kind = resize_requests.kind_of(body)
        if kind == resize_requests.VOLUME:
            ctx, row = self._load(req, 'instance:resize_volume', instance_id)
            size = body['resize']['volume']['size']
            changes = resize_requests.volume_changes(ctx, row, size)
            event = notifications.INSTANCE_RESIZE_VOLUME
            traits = {'new_size': int(size)}
        else:
            ctx, row = self._load(req, 'instance:resize_flavor', instance_id)
            changes = [resize_requests.flavor_change(
                ctx, row, body['resize']['flavorRef'])]
            event = notifications.INSTANCE_RESIZE_FLAVOR
            traits = {'new_flavor_id': changes[0].arguments['new_flavor_id']}
        deltas = {}
        for change in changes:
            for resource, amount in change.deltas.items():
                deltas[resource] = deltas.get(resource, 0) + amount
        with notices.instance(req, ctx, event, row.id, **traits) as notice:
            carried = notice.hand_off()
            started = []

            def start(session_ctx):
                del started[:]
                for change in changes:
                    holder = resource_locks.new_holder(
                        role=resource_locks.API_ROLE)
                    if backup_repo.running_for_instance(session_ctx,
                                                        change.row.id):
                        raise exception.InstanceNotAvailable(task='BACKUP')
                    instance_repo.start(session_ctx, change.row.id,
                                        'resize', holder)
                    # NOTE(notifications): the request's notification is
                    # the requested instance's workflow's to end.
                    workflow_id = workflow_repo.record(
                        session_ctx, INSTANCE, change.row.id,
                        change.operation, holder=holder,
                        arguments=change.arguments, request_context=ctx,
                        notification=(carried if change.row.id == row.id
                                      else None))
                    started.append((change, holder, workflow_id))

            quota_repo.run_with_quotas(ctx, row.tenant_id, deltas, start)
            for change, holder, workflow_id in started:
                self._cast(ctx, change.operation, change.row.id, carried,
                           holder, workflow_id)

    def _change_group(self, req, action, instance_id):
        """Promote a replica, or eject a lost source: every member of the
        group is locked for the change with one holder, and the change
        is recorded with its workflow, in one transaction.
        """
        ctx, row = self._load(req, 'instance:%s' % action, instance_id)
        if action == 'promote_to_replica_source':
            source_id, members = replica_requests.promotion_group(ctx, row)
            event, event_name = 'promote', notifications.INSTANCE_PROMOTE
        else:
            source_id = row.id
            members = replica_requests.ejection_group(ctx, row)
            event, event_name = 'eject', notifications.INSTANCE_EJECT
        with notices.instance(req, ctx, event_name, row.id) as notice:
            holder = resource_locks.new_holder(role=resource_locks.API_ROLE)
            carried = notice.hand_off()
            with db_api.writer.using(ctx):
                topology.start_group(ctx, members, event, holder)
                workflow_id = workflow_repo.record(
                    ctx, INSTANCE, row.id, event, holder=holder,
                    arguments={'source_id': source_id, 'members': members},
                    request_context=ctx, notification=carried)
            self._cast(ctx, action, row.id, carried, holder, workflow_id)
