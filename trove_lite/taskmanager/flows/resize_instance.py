"""Resize: grow the volume, or change the flavor (the API set RESIZING and
took the lock).

::

    resize volume
      PutBackOnRevert           revert: NONE + fault note, or
                                RESIZING_ERROR + fault when something
                                could not be put back
      LoadInstance, AdoptServer with a driver that must (local agents)
      ExtendVolume              the driver grows the device (it stays
                                grown: a volume does not shrink)
      GrowFilesystem            guest: the filesystem spans it (the
                                datastore stopped meanwhile if it must
                                be unmounted); revert: datastore started
      SaveVolumeSize            the row's volume_size (revert: the old)
      WaitForHealthy            the guest's report after it
      FinishResize              RESIZING -> NONE, lock released;
                                trove.instance.modify_volume

    resize flavor
      PutBackOnRevert
      LoadInstance, AdoptServer
      LoadFlavors               old and new, from the driver
      SetServiceStatus(RESTARTING)
      ResizeServer              the driver gives the server the new
                                flavor (revert: the old one)
      RetuneDatastore           guest: configuration rendered with the
                                new flavor's memory, server restarted
                                (revert: with the old flavor's)
      WaitForHealthy
      SaveFlavor                the row's flavor_id (revert: the old)
      FinishResize              trove.instance.modify_flavor

A failed resize is put back: the instance runs with its old flavor and
volume size, is ACTIVE again, and shows why in its fault. Every step is
safe to repeat (a volume grown to a size it has, a flavor the server
has), so a resumed resize runs its flow from the top.
"""

from oslo_log import log as logging

from trove_lite.common import states
from trove_lite.taskmanager.flows import common
from trove_lite.taskmanager.tasks import compute
from trove_lite.taskmanager.tasks import guest
from trove_lite.taskmanager.tasks import instances as instance_tasks
from trove_lite.taskmanager.tasks import resize as tasks

LOG = logging.getLogger(__name__)

VOLUME_UNDONE = ('The volume could not be resized; it was left at its '
                 'size and the instance runs as before.')
VOLUME_FAILED = ('The volume could not be resized, and the instance could '
                 'not be put back as it was; restart it, or delete it.')
FLAVOR_UNDONE = ('The flavor could not be changed; the instance runs with '
                 'its old flavor as before.')
FLAVOR_FAILED = ('The flavor could not be changed, and the instance could '
                 'not be put back as it was; restart it, or delete it.')


def get_volume_flow(driver):
    flow = common.linear_flow('resize-volume')
    flow.add(tasks.PutBackOnRevert(VOLUME_UNDONE, VOLUME_FAILED),
             instance_tasks.LoadInstance(),
             compute.AdoptServer(driver),
             tasks.ExtendVolume(driver),
             tasks.GrowFilesystem(),
             tasks.SaveVolumeSize(),
             guest.WaitForHealthy(),
             tasks.FinishResize(tasks.USAGE_MODIFY_VOLUME))
    return flow


def get_flavor_flow(driver):
    flow = common.linear_flow('resize-flavor')
    flow.add(tasks.PutBackOnRevert(FLAVOR_UNDONE, FLAVOR_FAILED),
             instance_tasks.LoadInstance(),
             compute.AdoptServer(driver),
             tasks.LoadFlavors(driver),
             instance_tasks.SetServiceStatus(states.SVC_RESTARTING),
             tasks.ResizeServer(driver),
             tasks.RetuneDatastore(),
             guest.WaitForHealthy(),
             tasks.SaveFlavor(),
             tasks.FinishResize(tasks.USAGE_MODIFY_FLAVOR))
    return flow


def _run(job, operation, flow, stop_event):
    return common.run_held_job(
        job, states.RESIZING, operation, flow,
        store={'arguments': job.arguments, 'stop_event': stop_event,
               # What reverts could not put back (tasks.resize).
               'unreverted': []})


def run_volume_job(job, driver, stop_event=None):
    """Grow the volume of a recorded workflow (its arguments:
    ``new_size``, ``old_size``); first run or resumed, from the top.
    """
    return _run(job, 'Volume resize', get_volume_flow(driver), stop_event)


def run_flavor_job(job, driver, stop_event=None):
    """Change the flavor of a recorded workflow (its arguments:
    ``new_flavor_id``, ``old_flavor_id``); first run or resumed, from the
    top.
    """
    return _run(job, 'Flavor resize', get_flavor_flow(driver), stop_event)
