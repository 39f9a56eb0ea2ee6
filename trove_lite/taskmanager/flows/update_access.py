"""Change who may reach an instance (the API set UPDATING and took the
lock; upstream's ``update_access``).

::

    MarkFailedOnRevert(update_access_failed)  revert: UPDATING_ERROR_ACCESS
                                              + fault (try again)
    LoadInstance
    ApplyAccess                 the driver enforces the new access (revert:
                                the recorded one again)
    FinishAccess                the row records the access in force and
                                its addresses; UPDATING -> NONE, lock
                                released (one transaction)

The instance records the new access only once it is enforced, so what
``instance show`` says is what the server does. Every step is safe to
repeat, so a resumed workflow runs from the top.
"""


from trove_lite.common import states
from trove_lite.taskmanager.flows import common
from trove_lite.taskmanager.tasks import compute
from trove_lite.taskmanager.tasks import instances as instance_tasks

FAULT = 'The access of the instance could not be changed; the previous ' \
    'one is still in force. Try the change again.'


def get_flow(driver):
    flow = common.linear_flow('update-access')
    flow.add(instance_tasks.MarkFailedOnRevert('update_access_failed',
                                               FAULT),
             instance_tasks.LoadInstance(),
             compute.ApplyAccess(driver),
             instance_tasks.FinishAccess())
    return flow


def run_job(job, driver, stop_event=None):
    """Change the access of the instance of a recorded workflow.

    :param job: the ``workflows.Job``; its holder is the API's lock and
        its arguments the requested ``access`` (a dict as the request
        gave it).
    :returns: as ``common.run_flow``.
    """
    return common.run_held_job(
        job, states.UPDATING, 'Update access', get_flow(driver),
        store={'access': job.arguments.get('access')})


def run(context, driver, instance_id, access, holder=None):
    """Change the access on this thread (``common.run_now``): a tool, a
    test.

    :param holder: the lock holder the API recorded (the row's holder
        when None).
    :returns: as ``run_job``.
    """
    holder = holder or common.row_holder(context, instance_id,
                                         states.UPDATING)
    return common.run_now(context, 'update_access', instance_id,
                          lambda job: run_job(job, driver),
                          holder=holder, arguments={'access': access})
