"""Recorded workflows: claimed by one taskmanager, resumed by another.

The flows run for real on the fake compute driver with fake guests on the
in-memory bus (``conftest.py``); "a taskmanager died" is a lease that
lapsed (or an owner id of this host's previous life), which is all
another taskmanager can see of a death.
"""

import datetime

import pytest

from tests import waiting
from trove_lite.common import states
from trove_lite.compute.fake import guest as fake_guest
from trove_lite.db import api as db_api
from trove_lite.db import models
from trove_lite.db.repositories import instances
from trove_lite.db.repositories import workflows as workflow_repo
from trove_lite.taskmanager import manager


@pytest.fixture
def taskmanagers(driver, conductor):
    """``taskmanagers()``: a new taskmanager (its ``Manager``) on the
    shared driver; every one made is stopped at the end.
    """
    made = []

    def _new():
        runner = manager.FlowRunner(workers=2)
        runner.start()
        made.append(runner)
        return manager.Manager(driver, runner)

    yield _new
    for runner in made:
        runner.stop()
    for runner in made:
        runner.wait()


def _record_create(ctx, row, **kwargs):
    return workflow_repo.record(
        ctx, 'instance', row.id, 'create', request_context=ctx,
        arguments={'databases': [], 'users': [], 'root_password': None},
        **kwargs)


@db_api.writer
def _lapse(context, workflow_id):
    row = context.session.get(models.Workflow, workflow_id)
    row.lease_expires = models.utcnow() - datetime.timedelta(seconds=1)


def _step(ctx, workflow_id):
    record = workflow_repo.get(ctx, workflow_id)
    return record.step if record else 'gone'


def _active(ctx, instance_id):
    row = instances.get(ctx, instance_id)
    return (states.task(row.task_id) is states.NONE
            and row.lock_holder is None)


def test_a_create_whose_owner_died_waiting_is_resumed(
        ctx, new_instance, guests, driver, taskmanagers):
    guests.behaviour = fake_guest.SILENT
    row = new_instance()
    workflow_id = _record_create(ctx, row)
    first = taskmanagers()
    assert first.engine.run(workflow_id)
    assert waiting.wait_for(lambda: _step(ctx, workflow_id) == 'Prepare',
                            timeout=10)
    [server] = driver.servers.values()

    # The first taskmanager stops renewing (it died); the second claims.
    _lapse(ctx, workflow_id)
    guests.guests[row.id].endpoint.behaviour = fake_guest.HEALTHY
    second = taskmanagers()
    assert second.engine.claim_waiting() == 1
    assert waiting.wait_for(lambda: _active(ctx, row.id), timeout=10)
    assert waiting.wait_for(lambda: _step(ctx, workflow_id) == 'gone')
    # The same server went on; the guest was asked to prepare again.
    assert list(driver.servers.values()) == [server]
    assert guests.guests[row.id].endpoint.calls.count('prepare') == 2
    assert instances.get(ctx, row.id).server_status == states.SERVER_ACTIVE


def test_a_create_that_died_before_its_server_builds_again(
        ctx, new_instance, driver, taskmanagers, conf_overrides):
    row = new_instance()
    workflow_id = _record_create(ctx, row)
    # What a taskmanager that died inside CreateServer left: the lock,
    # its record's step, and half a server.
    dead = 'tm-dead:1'
    assert workflow_repo.claim(ctx, workflow_id, dead, 10)
    assert instances.claim(ctx, row.id, 'tm-dead:lock', states.BUILDING)
    workflow_repo.set_holder(ctx, workflow_id, dead, 'tm-dead:lock')
    workflow_repo.set_step(ctx, workflow_id, dead, 'BuildServerSpec')
    _lapse(ctx, workflow_id)
    driver.servers[row.id] = 'half made'

    assert taskmanagers().engine.claim_waiting() == 1
    assert waiting.wait_for(lambda: _active(ctx, row.id), timeout=10)
    assert driver.deleted == [row.id]
    assert driver.servers[row.id] != 'half made'
    assert waiting.wait_for(lambda: _step(ctx, workflow_id) == 'gone')


def test_a_restarted_taskmanager_takes_its_flows_back_at_once(
        ctx, new_instance, taskmanagers, conf_overrides):
    conf_overrides.set('host', 'tm-a')
    row = new_instance()
    workflow_id = _record_create(ctx, row)
    # Its previous life owns it under a lease that has not lapsed.
    assert workflow_repo.claim(ctx, workflow_id, 'tm-a:previous-life', 600)
    conf_overrides.set('host', 'tm-b')
    other_host = taskmanagers()
    conf_overrides.set('host', 'tm-a')
    assert other_host.engine.claim_waiting() == 0
    assert other_host.engine.resume_leftovers() == 0
    restarted = taskmanagers()
    assert restarted.engine.resume_leftovers() == 1
    assert waiting.wait_for(lambda: _active(ctx, row.id), timeout=10)


def test_a_workflow_no_cast_reached_is_claimed_after_the_grace(
        ctx, new_instance, taskmanagers, conf_overrides):
    row = new_instance()
    workflow_id = _record_create(ctx, row)
    taskmanager = taskmanagers()
    assert taskmanager.engine.claim_waiting() == 0
    conf_overrides.set('workflow_claim_grace', 0, group='taskmanager')
    assert taskmanager.engine.claim_waiting() == 1
    assert waiting.wait_for(lambda: _active(ctx, row.id), timeout=10)
    assert waiting.wait_for(lambda: _step(ctx, workflow_id) == 'gone')


def test_a_graceful_stop_gives_the_workflow_back(
        ctx, new_instance, guests, taskmanagers):
    guests.behaviour = fake_guest.SILENT
    row = new_instance()
    workflow_id = _record_create(ctx, row)
    first = taskmanagers()
    first.engine.run(workflow_id)
    assert waiting.wait_for(lambda: _step(ctx, workflow_id) == 'Prepare',
                            timeout=10)
    first._runner.stop()
    first._runner.wait()
    record = workflow_repo.get(ctx, workflow_id)
    assert record.owner is None
    assert states.task(instances.get(ctx, row.id).task_id) is \
        states.BUILDING

    guests.guests[row.id].endpoint.behaviour = fake_guest.HEALTHY
    assert taskmanagers().engine.run(workflow_id)
    assert waiting.wait_for(lambda: _active(ctx, row.id), timeout=10)


def test_a_resumed_workflow_of_a_deleted_instance_does_nothing(
        ctx, new_instance, taskmanagers):
    row = new_instance()
    workflow_id = _record_create(ctx, row)
    instances.start(ctx, row.id, 'delete', 'api@h:1')
    assert taskmanagers().engine.run(workflow_id)
    assert waiting.wait_for(lambda: _step(ctx, workflow_id) == 'gone')
    row = instances.get(ctx, row.id)
    assert (states.task(row.task_id), row.lock_holder) == (
        states.DELETING, 'api@h:1')
