"""What an agent tells the conductor: heartbeats, faults and progress.

The status an agent reports is what its datastore manager observes
(``status()``: healthy, shutdown, crashed, ...), except while the agent is
itself in the middle of something that explains the state better: while
``prepare`` runs it is *building*, while a restart runs *restarting*, and
after a failed ``prepare`` *failed to spawn* until the next ``prepare``.
Those are set with ``set_status`` and cleared with ``clear_status``.

A heartbeat carries that status, the agent's version and the volume's
usage. ``HeartbeatLoop`` (heartbeat.py) sends one every
``report_interval`` seconds, and at once whenever the status changes, so
the control plane learns of a finished build without waiting a period.
"""

import threading
import time

from oslo_log import log as logging

from trove_lite.common import context as trove_context
from trove_lite.common import states
from trove_lite import version

LOG = logging.getLogger(__name__)

# How many characters of details a fault carries at most.
MAX_DETAILS = 16000


def guest_context(tenant_id):
    """The context of a guest's reports: its tenant, never an admin."""
    return trove_context.RequestContext(
        user_id=None, project_id=tenant_id, is_admin=False, roles=[],
        overwrite=False)


class StatusReporter:
    """Builds and sends one guest's heartbeats and faults.

    :param instance_id: the guest's instance.
    :param conductor: a ``conductor.rpcapi.ConductorAPI``.
    :param manager: the datastore manager (``base.DatastoreManager``), or
        None for an agent without a datastore (reports *new*).
    :param tenant_id: the project the reports are made for.
    :param on_change: called (no arguments) whenever the status changes;
        the agent makes its heartbeat loop beat at once.
    """

    def __init__(self, instance_id, conductor, manager=None, tenant_id=None,
                 on_change=None):
        self.instance_id = instance_id
        self.conductor = conductor
        self.manager = manager
        self.context = guest_context(tenant_id)
        self._override = None
        self.on_change = on_change
        self._lock = threading.Lock()
        self._last_sent = None
        self._backups = set()

    def set_status(self, status):
        """Report ``status`` (a ``states.ServiceStatus``) from now on,
        whatever the datastore says, and send it at once.
        """
        with self._lock:
            self._override = status
        self._notify()

    def clear_status(self):
        """Report what the datastore says again, and send it at once."""
        with self._lock:
            self._override = None
        self._notify()

    def status_changed(self):
        """Say that the datastore's own status may have changed (after a
        stop or start), so that it is sent at once.
        """
        self._notify()

    def _notify(self):
        if self.on_change is not None:
            self.on_change()

    def current_status(self):
        """The status to report now."""
        with self._lock:
            override = self._override
        if override is not None:
            return override
        if self.manager is None:
            return states.SVC_NEW
        try:
            return self.manager.status()
        except Exception:
            LOG.exception('Cannot tell the status of instance %s',
                          self.instance_id)
            return states.SVC_UNKNOWN

    def payload(self):
        """The heartbeat's payload as of now."""
        status = self.current_status()
        payload = {'service_status': status.description,
                   'agent_version': version.VERSION,
                   'backups': self.running_backups()}
        volume = self._volume()
        if volume is not None:
            payload['volume'] = volume
        replication = self._replication()
        if replication is not None:
            payload['replication'] = replication
        return payload

    def heartbeat(self):
        """Send one heartbeat; errors are logged, never raised.

        :returns: the payload sent, or None if sending failed.
        """
        # NOTE(backups): the moment is taken before the payload is read,
        # so everything it says was still true at ``sent``. The conductor
        # fails a BUILDING backup that a heartbeat sent after the backup
        # started does not name: stamped after the list was read, a
        # heartbeat whose list was read just before a backup started (and
        # whose status and volume reads then took a while) would fail it.
        sent = time.time()
        try:
            payload = self.payload()
            self.conductor.heartbeat(self.context, self.instance_id, payload,
                                     sent)
        except Exception:
            LOG.exception('Heartbeat of instance %s failed', self.instance_id)
            return None
        if payload['service_status'] != self._last_sent:
            LOG.info('Instance %s reports %s', self.instance_id,
                     payload['service_status'])
            self._last_sent = payload['service_status']
        return payload

    def report_fault(self, message, details):
        """Tell the conductor why something failed; never raises.

        :param message: for the tenant: what failed and what to do.
        :param details: for admins: the reason, log tails.
        """
        try:
            self.conductor.report_fault(self.context, self.instance_id,
                                        message, (details or '')[-MAX_DETAILS:],
                                        time.time())
        except Exception:
            LOG.exception('Cannot report a fault of instance %s',
                          self.instance_id)

    def report_progress(self, resource_kind, resource_id, operation,
                        progress):
        """Tell the conductor how far a long operation has got; never
        raises (``progress.ProgressReporter`` is the friendlier way in).

        :param progress: ``{'step', 'percent', 'bytes_done',
            'bytes_total', 'message'}``, each optional.
        :returns: whether it was sent (False when it failed, or the
            conductor is too old to take it).
        """
        try:
            return self.conductor.report_progress(
                self.context, resource_kind, resource_id, operation,
                progress, time.time())
        except Exception:
            LOG.exception('Cannot report the progress of %s %s (%s)',
                          resource_kind, resource_id, operation)
            return False

    # -- backups ---------------------------------------------------------------
    #
    # NOTE(backups): every heartbeat names the backups this agent is taking,
    # so that the conductor can fail one the guest said it started and no
    # longer runs (the agent was restarted mid-stream) at the next beat,
    # rather than at the backup's deadline an hour later.

    def backup_started(self, backup_id):
        """Count ``backup_id`` as running; False if it already runs."""
        with self._lock:
            if backup_id in self._backups:
                return False
            self._backups.add(backup_id)
            return True

    def backup_ended(self, backup_id):
        with self._lock:
            self._backups.discard(backup_id)

    def running_backups(self):
        """The ids of the backups this agent is taking, sorted."""
        with self._lock:
            return sorted(self._backups)

    def update_backup(self, backup_id, fields):
        """Tell the conductor how a backup went; never raises.

        :param fields: ``{'state': 'BUILDING'|'COMPLETED'|'FAILED', ...}``
            (see ``conductor.rpcapi.ConductorAPI.update_backup``).
        :returns: whether it was sent.
        """
        try:
            return self.conductor.update_backup(
                self.context, self.instance_id, backup_id, fields,
                time.time())
        except Exception:
            LOG.exception('Cannot report backup %s of instance %s',
                          backup_id, self.instance_id)
            return False

    def _replication(self):
        if self.manager is None or \
                not hasattr(self.manager, 'replication_state'):
            return None
        try:
            return self.manager.replication_state()
        except Exception:
            LOG.exception('Cannot tell the replication state of instance %s',
                          self.instance_id)
            return {'error': 'the replication state could not be read'}

    def _volume(self):
        if self.manager is None:
            return None
        try:
            stats = self.manager.filesystem_stats()
        except Exception:
            LOG.exception('Cannot measure the volume of instance %s',
                          self.instance_id)
            return None
        if not stats or stats.get('total') is None:
            return None
        return {'used': round(float(stats['used']), 3),
                'total': float(stats['total'])}
