"""Server side of the conductor RPC API.

Each public method of ``Manager`` is an RPC method of the conductor topic.
Guests report here (heartbeats, faults); the conductor stores what they
say so that reads never have to ask a guest. Reports arrive out of order
and late (casts, retries, a guest that was slow to notice its instance is
gone), so each is checked against what is stored before it counts.

Heartbeats, most of the traffic, are checked here and written in batches
(``heartbeats.HeartbeatWriter``), one per instance, the last one sent; what
follows one that was stored runs after its batch's commit
(``_after_heartbeats``).

A report that changes what a workflow may be waiting for (a new service
status, a fault) wakes it: in this process through ``status_events``, in
the taskmanagers through a fanout ``status_changed`` cast, so that they
need not poll the database for it.
"""

import datetime
import json
import math

from oslo_db import api as oslo_db_api
from oslo_log import log as logging
import oslo_messaging

from trove_lite.common import context as trove_context
from trove_lite.common import exception
from trove_lite.common import replication_reports
from trove_lite.common import rpc
from trove_lite.common import sealing
from trove_lite.common import states
from trove_lite.common import status_events
from trove_lite.conductor import failover
from trove_lite.conductor import heartbeats
from trove_lite.db.repositories import backup_reports
from trove_lite.db.repositories import backups as backup_repo
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import progress as progress_repo
from trove_lite.taskmanager import rpcapi as taskmanager_rpcapi

LOG = logging.getLogger(__name__)

# NOTE(versions): must equal rpcapi.ConductorAPI.RPC_API_VERSION; the
# version history lives in that class's docstring.
RPC_API_VERSION = '1.3'
SERVICE_NAME = 'conductor'

_EPOCH = datetime.datetime(1970, 1, 1)
# NOTE(backups): a heartbeat is evidence that a BUILDING backup no longer
# runs only when it was sent this long after the conductor recorded the
# start: the guest's clock (``sent``) and ours (the start) may differ a
# little on a cloud, and a backup wrongly failed is worse than one failed
# a heartbeat later.
_BACKUP_EVIDENCE_MARGIN = datetime.timedelta(seconds=5)
# What a BIGINT column holds.
_MAX_BYTES = 2 ** 63 - 1


def _sqlite_busy(err):
    return 'database is locked' in str(err)


# NOTE(sqlite): two reports written at once on SQLite (the embedded shape)
# can fail with "database is locked": a transaction that read first cannot
# upgrade to a writer while another one writes. Retry those briefly, so
# that a heartbeat is not lost; other databases never match.
_retry_busy = oslo_db_api.wrap_db_retry(
    max_retries=5, retry_interval=0.05, max_retry_interval=0.5,
    exception_checker=_sqlite_busy, jitter=True)


@_retry_busy
def _record_heartbeats(*args, **kwargs):
    return instances.record_heartbeats(*args, **kwargs)


@_retry_busy
def _add_fault(*args, **kwargs):
    return instances.add_fault(*args, **kwargs)


@_retry_busy
def _record_progress(*args, **kwargs):
    return progress_repo.record(*args, **kwargs)


@_retry_busy
def _apply_backup_report(function, *args):
    return function(*args)


def _epoch_seconds(naive_utc):
    return (naive_utc - _EPOCH).total_seconds()


def _moment(sent, shift=datetime.timedelta()):
    """``sent`` (epoch seconds) as naive UTC, moved by ``shift``, or None
    if it is none.
    """
    try:
        return _EPOCH + datetime.timedelta(seconds=float(sent)) + shift
    except (TypeError, ValueError, OverflowError):
        return None


def _proven(context, instance_id, what):
    """Whether a report was sealed by the instance it is about."""
    try:
        sealing.require_sender(context, instance_id)
    except exception.ForgedReport:
        LOG.warning('Refused a %s about instance %s sealed by %s', what,
                    instance_id, getattr(context, 'sealed_by', None))
        return False
    return True


def refuse_wrong_version(context, method, version, speaks):
    """Refuse a report at a conductor API version this conductor does not
    speak (the RPC server's ``on_wrong_version``).

    A guest of another release (a major version of its own, or a minor
    one ahead of ours with no ``[upgrade_levels] conductor`` pin) would
    otherwise have every report dropped with a traceback that names
    neither the guest nor the versions. Each report is refused with one
    warning; the instance that proved it sent it (sealed with its key)
    gets a fault saying why, shown once its refused heartbeats have
    expired and it reads ERROR. The fault is written once, not at every
    heartbeat.

    :param context: as the sealing serializer rebuilt it (``sealed_by``).
    :param method: the method the report called.
    :param version: the version it was sent at.
    :param speaks: the version this conductor speaks.
    """
    sender = getattr(context, 'sealed_by', None)
    LOG.warning('Refused %s from %s at conductor API %s: this conductor '
                'speaks %s', method,
                'instance %s' % sender if sender else 'an unsealed sender',
                version, speaks)
    if sender is None:
        return
    message = ('The guest agent of the instance speaks conductor API %s, '
               'which this service does not (it speaks %s); ask an '
               'administrator to bring the guest agent and the control '
               'plane to compatible releases.' % (version, speaks))
    db_context = trove_context.get_admin_context()
    latest = instances.get_fault(db_context, sender)
    if latest is not None and latest.message == message:
        return
    _add_fault(db_context, sender, message,
               'Refused %s at conductor API %s.' % (method, version))


def instance_key(instance_id):
    """The sealing key of a live instance, or None (for the serializer)."""
    try:
        return instances.key_of(trove_context.get_admin_context(),
                                instance_id)
    except exception.InstanceNotFound:
        return None


class HeartbeatReport:
    """A checked heartbeat waiting to be written, and what to do once it
    is (``HeartbeatWriter`` reads ``instance_id`` and ``sent``).

    :param beat: the ``instances.Heartbeat`` to store.
    :param backups: the backups its agent names as running, or None when
        the heartbeat names none (an older agent).
    :param replication: its cleaned replication state, or None.
    """

    __slots__ = ('beat', 'backups', 'replication')

    def __init__(self, beat, backups, replication):
        self.beat = beat
        self.backups = backups
        self.replication = replication

    @property
    def instance_id(self):
        return self.beat.instance_id

    @property
    def sent(self):
        return self.beat.sent


class Manager:
    """The conductor's RPC endpoint.

    :param taskmanager: the ``TaskManagerAPI`` told of status changes;
        made at the first change when omitted.
    :param writer: makes the ``HeartbeatWriter`` that writes heartbeats
        from the manager's ``store_heartbeats``; by default each is
        written at once, in the handler's thread.
    :param keys: the serializer's ``instance_keys.KeyCache``, told to
        forget the instances that reports find deleted or unknown.
    """

    target = oslo_messaging.Target(version=RPC_API_VERSION)

    def __init__(self, taskmanager=None, writer=None, keys=None):
        self._taskmanager = taskmanager
        self.keys = keys
        self.heartbeats = (writer or heartbeats.HeartbeatWriter)(
            self.store_heartbeats)

    def _gone(self, instance_id):
        """A report found ``instance_id`` deleted or unknown."""
        if self.keys is not None:
            self.keys.forget(instance_id)

    def _wake_waiters(self, instance_id):
        """Wake the workflows waiting for ``instance_id``'s status.

        Best effort: a waiter that misses this polls the database anyway
        (``[taskmanager] status_poll_interval``).
        """
        status_events.changed(instance_id)
        try:
            if self._taskmanager is None:
                self._taskmanager = taskmanager_rpcapi.TaskManagerAPI()
            self._taskmanager.status_changed(self._db_context(), instance_id)
        except Exception as err:
            LOG.debug('Could not tell the taskmanagers that instance %s '
                      'changed: %s', instance_id, err)

    def rpc_ping(self, context):
        """Answer who and what this conductor is (API 1.0)."""
        return rpc.ping_reply(SERVICE_NAME, RPC_API_VERSION)

    @staticmethod
    def _db_context():
        # NOTE(guest): a guest's context is the guest's word; the stores
        # are made with our own. Which instance a report may speak for is
        # the sealing serializer's business (ARCHITECTURE.md, section 5).
        return trove_context.get_admin_context()

    def heartbeat(self, context, instance_id, payload, sent):
        """Store a guest's report (API 1.1).

        Dropped when the status is unknown or ``sent`` no number, the
        instance is deleted or unknown, or a report sent later is stored
        already (or waits to be written).
        """
        if not _proven(context, instance_id, 'heartbeat'):
            return
        payload = payload or {}
        description = payload.get('service_status')
        status = states.SERVICE_BY_DESCRIPTION.get(description)
        if status is None:
            LOG.warning('Heartbeat of instance %s with unknown service '
                        'status %r ignored', instance_id, description)
            return
        try:
            if _number(sent, low=-math.inf) is None:
                raise ValueError(sent)
        except ValueError:
            LOG.warning('Heartbeat of instance %s with a malformed sent '
                        'time ignored', instance_id)
            return
        volume = payload.get('volume') or {}
        replication = replication_reports.clean(payload.get('replication'))
        self.heartbeats.submit(HeartbeatReport(
            instances.Heartbeat(
                instance_id, sent, status, payload.get('agent_version'),
                volume.get('used'), volume.get('total'),
                replication_reports.dump(replication)),
            payload.get('backups'), replication))

    def store_heartbeats(self, reports):
        """Write a batch of heartbeats (one per instance) and do what
        follows each that was stored; logs, never raises.
        """
        db_context = self._db_context()
        try:
            stored, gone = _record_heartbeats(
                db_context, [report.beat for report in reports])
        except Exception:
            LOG.exception('Heartbeats of %d instances could not be stored',
                          len(reports))
            return
        for instance_id in gone:
            LOG.debug('Heartbeat of unknown or deleted instance %s ignored',
                      instance_id)
            self._gone(instance_id)
        self._after_heartbeats(db_context, [
            (report, stored[report.instance_id]) for report in reports
            if report.instance_id in stored])
        for report in reports:
            if (report.instance_id not in stored
                    and report.instance_id not in gone):
                LOG.debug('Stale heartbeat of instance %s (sent %s) '
                          'dropped', report.instance_id, report.sent)

    def _after_heartbeats(self, db_context, stored):
        """Wake the waiters of each status changed, fail the backups
        agents no longer run, fence returning sources.

        :param stored: ``[(report, service status before)]``.
        """
        moments = {report.instance_id: _moment(report.sent,
                                               -_BACKUP_EVIDENCE_MARGIN)
                   for report, _ in stored
                   if isinstance(report.backups, list)}
        try:
            building = backup_reports.started_before_each(db_context, {
                instance_id: moment for instance_id, moment in moments.items()
                if moment is not None})
        except Exception:
            LOG.exception('Could not read the running backups of %d '
                          'instances', len(stored))
            building = {}
        for report, before in stored:
            instance_id = report.instance_id
            try:
                if report.beat.status is not before:
                    self._wake_waiters(instance_id)
                if report.backups is not None:
                    self._check_backups(db_context, instance_id,
                                        report.backups, report.sent,
                                        building.get(instance_id, ()))
                if report.replication is not None:
                    failover.fence_returning_source(
                        db_context, instance_id, report.replication)
            except Exception:
                LOG.exception('What follows the heartbeat of instance %s '
                              'failed', instance_id)

    def _check_backups(self, db_context, instance_id, reported, sent,
                       started):
        """Fail the instance's BUILDING backups that its agent no longer
        names as running (it was restarted mid-stream, so nobody will
        finish them), rather than leave them to their deadline.

        :param started: the instance's BUILDING backups that started
            before the heartbeat was sent (less ``_BACKUP_EVIDENCE_MARGIN``):
            one sent before the agent's BUILDING report is no evidence.
        """
        if not isinstance(reported, list):
            return
        reported = {item for item in reported if isinstance(item, str)}
        failed = False
        for row in started:
            if row.id in reported:
                continue
            if _apply_backup_report(
                    backup_reports.record_failed, db_context, row.id,
                    'The guest agent stopped taking the backup (it was '
                    'restarted); take the backup again.',
                    'Heartbeat of instance %s sent at %s names backups %s; '
                    'backup %s has been BUILDING since %s.'
                    % (instance_id, _moment(sent), sorted(reported), row.id,
                       row.task_start_time)):
                LOG.warning('Backup %s of instance %s failed: its agent no '
                            'longer runs it', row.id, instance_id)
                failed = True
        if failed:
            self._wake_waiters(instance_id)

    def update_backup(self, context, instance_id, backup_id, fields, sent):
        """Apply a guest's report on a backup it takes (API 1.3).

        Refused unless sealed by ``instance_id`` and the backup is that
        instance's; dropped when malformed, or when the backup no longer
        runs (the report is late, repeated, or the backup was failed by
        its deadline meanwhile).
        """
        if not _proven(context, instance_id, 'backup report'):
            return
        db_context = self._db_context()
        row = backup_repo.find(db_context, backup_id)
        if row is None or row.instance_id != instance_id:
            LOG.warning('Report on backup %s from instance %s ignored: not '
                        'a backup of that instance', backup_id, instance_id)
            return
        report = _backup_report(fields)
        if report is None:
            LOG.warning('Malformed report on backup %s from instance %s '
                        'ignored', backup_id, instance_id)
            return
        state = report.pop('state')
        if state == 'BUILDING':
            applied = _apply_backup_report(backup_reports.record_started,
                                           db_context, backup_id)
        elif state == 'COMPLETED':
            applied = _apply_backup_report(
                backup_reports.record_completed, db_context, backup_id,
                report['location'], report['checksum'], report['size'],
                report['backup_type'], report['metadata'])
        else:
            applied = _apply_backup_report(
                backup_reports.record_failed, db_context, backup_id,
                report['message'] or 'The backup failed.',
                report['details'] or '')
        if not applied and state != 'BUILDING' and \
                _apply_backup_report(
                    backup_reports.record_ended_while_deleting, db_context,
                    backup_id, report.get('location')):
            LOG.info('Backup %s being deleted: its guest ended it (%s)',
                     backup_id, state)
            self._wake_waiters(instance_id)
            return
        if not applied:
            LOG.info('Report %s on backup %s ignored: it is no longer '
                     'running', state, backup_id)
            return
        LOG.info('Backup %s of instance %s: %s', backup_id, instance_id,
                 state)
        self._wake_waiters(instance_id)

    def report_fault(self, context, instance_id, message, details, sent):
        """Store why something a guest was asked to do failed (API 1.1).

        Dropped for deleted or unknown instances, and when sent before the
        instance's current task began (it is about an earlier operation).
        """
        if not _proven(context, instance_id, 'fault report'):
            return
        db_context = self._db_context()
        try:
            instance = instances.get(db_context, instance_id)
        except exception.InstanceNotFound:
            LOG.debug('Fault of unknown or deleted instance %s ignored',
                      instance_id)
            self._gone(instance_id)
            return
        # NOTE(clocks): ``sent`` is the guest's clock and task_start_time
        # ours; on one host (the local driver) they are the same clock.
        if (instance.task_start_time is not None and sent is not None
                and sent < _epoch_seconds(instance.task_start_time)):
            LOG.info('Stale fault of instance %s ignored: %s', instance_id,
                     message)
            return
        _add_fault(db_context, instance_id, message or '', details or '')
        self._wake_waiters(instance_id)
        LOG.info('Instance %s reported a fault: %s', instance_id, message)

    def report_progress(self, context, resource_kind, resource_id, operation,
                        progress, sent):
        """Store how far a guest's long operation has got (API 1.2).

        Refused unless sealed by the instance the resource belongs to;
        dropped for unknown kinds or resources, malformed reports, and
        when a report sent later is stored already.
        """
        db_context = self._db_context()
        owner = progress_repo.owner_of(db_context, resource_kind,
                                       resource_id)
        if owner is None:
            LOG.debug('Progress of unknown %s %s ignored', resource_kind,
                      resource_id)
            return
        if not _proven(context, owner, 'progress report on %s %s'
                       % (resource_kind, resource_id)):
            return
        fields = _progress_fields(operation, progress, sent)
        if fields is None:
            LOG.warning('Malformed progress report on %s %s from instance '
                        '%s ignored', resource_kind, resource_id, owner)
            return
        stored = _record_progress(db_context, resource_kind, resource_id,
                                  operation, owner, sent, **fields)
        if not stored:
            LOG.debug('Stale progress of %s %s (%s, sent %s) dropped',
                      resource_kind, resource_id, operation, sent)


_BACKUP_STATES = frozenset(['BUILDING', 'COMPLETED', 'FAILED'])
_BACKUP_TYPES = frozenset(['full', 'incremental'])
_MAX_METADATA = 4096


def _backup_report(fields):
    """The checked fields of a guest's backup report, or None when it is
    malformed.

    NOTE(guest): the guest is not trusted: each field is checked for its
    type and size before it reaches the database.
    """
    if not isinstance(fields, dict) or fields.get('state') not in \
            _BACKUP_STATES:
        return None
    report = {'state': fields['state']}
    try:
        if report['state'] == 'COMPLETED':
            location = fields.get('location')
            checksum = fields.get('checksum')
            if not isinstance(location, str) or not location or \
                    len(location) > 1024:
                return None
            if not isinstance(checksum, str) or len(checksum) != 32 or \
                    any(c not in '0123456789abcdef' for c in checksum):
                return None
            if fields.get('backup_type') not in _BACKUP_TYPES:
                return None
            metadata = fields.get('metadata') or {}
            if not isinstance(metadata, dict) or \
                    len(json.dumps(metadata)) > _MAX_METADATA:
                return None
            report.update(location=location, checksum=checksum,
                          size=int(_number(fields.get('size'), 0,
                                           _MAX_BYTES)),
                          backup_type=fields['backup_type'],
                          metadata=metadata)
        elif report['state'] == 'FAILED':
            report.update(message=_text(fields.get('message'), 255),
                          details=_text(fields.get('details'), 65535))
    except (TypeError, ValueError):
        return None
    return report


def _number(value, low=0, high=None):
    """``value`` as a number within bounds; None if absent; raises
    ValueError if it is not one.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not math.isfinite(value):
        raise ValueError(value)
    if value < low or (high is not None and value > high):
        raise ValueError(value)
    return value


def _text(value, limit=progress_repo.MAX_TEXT):
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(value)
    return value[:limit]


def _progress_fields(operation, progress, sent):
    """The columns of a progress report, or None when it is malformed.

    NOTE(guest): the guest is not trusted: every field is checked for its
    type and range before it reaches the database.
    """
    if not isinstance(operation, str) or not operation or \
            len(operation) > progress_repo.MAX_OPERATION:
        return None
    if not isinstance(progress, dict):
        return None
    try:
        _number(sent)
        if sent is None:
            return None
        fields = {'step': _text(progress.get('step')),
                  'message': _text(progress.get('message')),
                  'percent': _number(progress.get('percent'), 0, 100)}
        for name in ('bytes_done', 'bytes_total'):
            value = _number(progress.get(name), 0, _MAX_BYTES)
            fields[name] = int(value) if value is not None else None
    except ValueError:
        return None
    return fields
