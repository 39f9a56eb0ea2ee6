"""Workflow records: one owner at a time, leases, leftovers, secrets."""

import datetime
import threading

import pytest

from trove_lite.common import context as context_module
from trove_lite.db import api as db_api
from trove_lite.db import models
from trove_lite.db.repositories import workflows

LEASE = 10


def _record(ctx, **kwargs):
    kwargs.setdefault('arguments', {'users': [{'name': 'u',
                                               'password': 'pw-123'}]})
    return workflows.record(ctx, 'instance', 'i-1', 'create', **kwargs)


@db_api.writer
def _age(context, workflow_id, seconds, lapse=False):
    """Make a record ``seconds`` older (and its lease lapsed)."""
    row = context.session.get(models.Workflow, workflow_id)
    row.created_at -= datetime.timedelta(seconds=seconds)
    if lapse:
        row.lease_expires = models.utcnow() - datetime.timedelta(seconds=1)


def test_one_owner_at_a_time(ctx):
    workflow_id = _record(ctx)
    claimed = workflows.claim(ctx, workflow_id, 'tm1:a', LEASE)
    assert (claimed.owner, claimed.attempts) == ('tm1:a', 1)
    assert workflows.claim(ctx, workflow_id, 'tm2:b', LEASE) is None
    # Its owner died: the lease lapses, and the next one takes it.
    _age(ctx, workflow_id, 0, lapse=True)
    claimed = workflows.claim(ctx, workflow_id, 'tm2:b', LEASE)
    assert (claimed.owner, claimed.attempts) == ('tm2:b', 2)
    # The old owner can no longer record anything for it.
    assert not workflows.set_step(ctx, workflow_id, 'tm1:a', 'CreateServer')
    assert not workflows.finish(ctx, workflow_id, 'tm1:a')
    assert workflows.set_step(ctx, workflow_id, 'tm2:b', 'CreateServer')
    assert workflows.get(ctx, workflow_id).step == 'CreateServer'
    assert workflows.finish(ctx, workflow_id, 'tm2:b')
    assert workflows.get(ctx, workflow_id) is None


def test_a_previous_life_is_robbed_at_once(ctx):
    workflow_id = _record(ctx)
    workflows.claim(ctx, workflow_id, 'tm1:old', LEASE)
    assert workflows.own_leftovers(ctx, 'tm1:', 'tm1:new') == [
        (workflow_id, 'tm1:old')]
    # A host whose name would match as a LIKE pattern is not ours.
    assert workflows.own_leftovers(ctx, 'tm_:', 'tm_:new') == []
    assert workflows.claim(ctx, workflow_id, 'tm1:new', LEASE) is None
    claimed = workflows.claim(ctx, workflow_id, 'tm1:new', LEASE,
                              steal_from='tm1:old')
    assert claimed.owner == 'tm1:new'


def test_claimable_is_late_or_lapsed(ctx):
    fresh = _record(ctx)
    late = _record(ctx)
    _age(ctx, late, 60)
    running = _record(ctx)
    workflows.claim(ctx, running, 'tm1:a', LEASE)
    lapsed = _record(ctx)
    workflows.claim(ctx, lapsed, 'tm1:a', LEASE)
    _age(ctx, lapsed, 0, lapse=True)
    assert set(workflows.claimable(ctx, grace_seconds=5)) == {late, lapsed}
    assert fresh in workflows.claimable(ctx, grace_seconds=0)


def test_renew_tells_what_was_lost(ctx):
    mine, stolen = _record(ctx), _record(ctx)
    for workflow_id in (mine, stolen):
        workflows.claim(ctx, workflow_id, 'tm1:a', LEASE)
    _age(ctx, stolen, 0, lapse=True)
    workflows.claim(ctx, stolen, 'tm2:b', LEASE)
    before = workflows.get(ctx, mine).lease_expires
    assert workflows.renew(ctx, 'tm1:a', {mine, stolen}, 60) == {stolen}
    assert workflows.get(ctx, mine).lease_expires > before
    assert workflows.get(ctx, stolen).owner == 'tm2:b'


def test_release_gives_it_back_for_anyone(ctx):
    workflow_id = _record(ctx)
    workflows.claim(ctx, workflow_id, 'tm1:a', LEASE)
    assert workflows.release(ctx, workflow_id, 'tm1:a')
    assert workflows.claim(ctx, workflow_id, 'tm2:b', LEASE).owner == 'tm2:b'


def test_secrets_are_encrypted_and_tokens_dropped(ctx):
    request = context_module.RequestContext(
        user_id='u1', project_id='p1', auth_token='tok-secret',
        roles=['member'])
    workflow_id = _record(ctx, request_context=request,
                          notification={'operation': 'x'})
    row = workflows.get(ctx, workflow_id)
    assert 'pw-123' not in row.arguments
    assert workflows.open_arguments(row.arguments)['users'][0][
        'password'] == 'pw-123'
    assert 'tok-secret' not in row.request_context
    assert 'p1' in row.request_context


def test_holders_are_spared(ctx):
    _record(ctx, holder='api@h:1')
    workflows.record(ctx, 'backup', 'b-1', 'create', holder='api@h:2')
    assert workflows.holders(ctx, 'instance') == {'api@h:1'}


@pytest.mark.parametrize('arguments', [None, {}])
def test_no_arguments(ctx, arguments):
    row = workflows.get(ctx, _record(ctx, arguments=arguments))
    assert workflows.open_arguments(row.arguments) == {}


def test_racing_claims_make_one_owner(ctx):
    workflow_id = _record(ctx)
    barrier = threading.Barrier(8)
    won = []

    def claim(n):
        barrier.wait()
        if workflows.claim(context_module.get_admin_context(), workflow_id,
                           'tm%d:x' % n, LEASE):
            won.append(n)

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(won) == 1
    assert workflows.get(ctx, workflow_id).owner == 'tm%d:x' % won[0]
