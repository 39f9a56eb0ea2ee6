"""Telling the control plane how far a long operation has got.

A backup that streams gigabytes or a restore that replays them runs for
minutes; a user watching it deserves more than "BUILDING". The code that
does the work holds a ``ProgressReporter`` for its operation and calls
``update`` as often as it likes (per chunk written, per step): the
reporter works out the percentage from the bytes, sends at most one
report every ``min_interval`` seconds (a new step or ``done`` always
goes), and never raises, since reporting must not fail the work. The
conductor keeps the latest report (``conductor.manager.report_progress``).
"""

import time

from oslo_log import log as logging

LOG = logging.getLogger(__name__)


class ProgressReporter:
    """The progress of one operation on one resource.

    :param reporter: the agent's ``status.StatusReporter`` (it seals with
        the instance's key; a backup's progress is sealed by its instance).
    :param resource_kind: ``'instance'`` or ``'backup'``.
    :param resource_id: the resource's id.
    :param operation: the operation's name, e.g. ``'backup'``.
    :param min_interval: seconds between two reports of the same step.
    :param clock: a monotonic clock (tests pass their own).
    """

    def __init__(self, reporter, resource_kind, resource_id, operation,
                 min_interval=2.0, clock=time.monotonic):
        self.reporter = reporter
        self.resource_kind = resource_kind
        self.resource_id = resource_id
        self.operation = operation
        self.min_interval = min_interval
        self._clock = clock
        self._last_at = None
        self._last_step = None
        self.sent = 0

    def update(self, step=None, percent=None, bytes_done=None,
               bytes_total=None, message=None, force=False):
        """Report where the operation is, unless one was sent just now.

        :param percent: 0-100; worked out from the bytes when omitted and
            both are known.
        :param force: send even within ``min_interval``.
        :returns: whether a report was sent.
        """
        if percent is None and bytes_done is not None and bytes_total:
            percent = min(100.0, 100.0 * bytes_done / bytes_total)
        now = self._clock()
        due = (force or self._last_at is None or step != self._last_step
               or now - self._last_at >= self.min_interval)
        if not due:
            return False
        progress = {'step': step, 'percent': percent,
                    'bytes_done': bytes_done, 'bytes_total': bytes_total,
                    'message': message}
        sent = self.reporter.report_progress(
            self.resource_kind, self.resource_id, self.operation,
            {name: value for name, value in progress.items()
             if value is not None})
        self._last_at, self._last_step = now, step
        if sent:
            self.sent += 1
        return sent

    def done(self, step=None, message=None):
        """Report the operation finished (100 %), whatever the interval."""
        return self.update(step=step, percent=100.0, message=message,
                           force=True)
