"""The instance views: the status a failed service status gives, and
the replication parts: ``replica_of`` and ``replicas`` (upstream's),
and trove_lite's ``replication`` extension from what the guest last
said.
"""

import datetime
import types

import pytest

from trove_lite.api.views import instances as views
from trove_lite.common import replication_reports
from trove_lite.common import states
from trove_lite.db.repositories import instance_listing

NOW = datetime.datetime(2026, 1, 2, 3, 4, 5)
REQ = types.SimpleNamespace(
    host='api:8779',
    environ={'trove_lite.context': types.SimpleNamespace(project_id='p1')})


def _facts(slave_of_id=None, replicas=(), replication=None):
    row = types.SimpleNamespace(
        id='i1', name='db', task_id=states.NONE.code, server_status='ACTIVE',
        flavor_id='1', region_id='r', access=None, volume_size=1,
        tenant_id='p1', created=NOW, updated=NOW, compute_instance_id=None,
        volume_id=None, slave_of_id=slave_of_id, configuration_id=None,
        task_start_time=NOW - datetime.timedelta(hours=1), locality=None)
    beat = instance_listing.HeartbeatSummary(NOW, None, None, replication)
    return views.InstanceFacts(
        row=row, version=None, datastore_name='fake',
        service_status=states.SVC_HEALTHY, status_updated=NOW,
        heartbeat=beat, fault=None, addresses=[], replicas=replicas)


def test_locality_is_shown_when_the_instance_has_one():
    facts = _facts()
    assert 'locality' not in views.instance_detail(REQ, facts, False)
    facts.row.locality = 'anti-affinity'
    assert views.instance_detail(REQ, facts, False)['locality'] == \
        'anti-affinity'


def test_a_lone_instance_has_no_replication_fields():
    view = views.instance_detail(REQ, _facts(), False)
    for key in ('replica_of', 'replicas', 'replication'):
        assert key not in view


def test_a_replica_names_its_source_with_links():
    view = views.instance(REQ, _facts(slave_of_id='s1'), False)
    assert view['replica_of'] == {'id': 's1', 'links': [
        {'href': 'https://api:8779/v1.0/p1/instances/s1', 'rel': 'self'},
        {'href': 'https://api:8779/instances/s1', 'rel': 'bookmark'}]}
    assert 'replicas' not in view
    # The list view has no extension.
    assert 'replication' not in view


def test_a_source_names_its_replicas_in_order():
    view = views.instance(REQ, _facts(replicas=('r1', 'r2')), False)
    assert [replica['id'] for replica in view['replicas']] == ['r1', 'r2']
    assert view['replicas'][1]['links'][0]['href'] == \
        'https://api:8779/v1.0/p1/instances/r2'
    assert 'replica_of' not in view


@pytest.mark.parametrize('facts, expected', [
    (dict(slave_of_id='s1', replication={
        'role': 'replica', 'running': True, 'lag': 2, 'error': None,
        'position': [1, 2], 'source': {'host': 'secret-host', 'port': 1}}),
     {'role': 'replica', 'reported_role': 'replica', 'running': True,
      'lag': 2.0, 'error': None}),
    (dict(replicas=('r1',), replication={'role': 'source', 'lag': 5}),
     {'role': 'source', 'reported_role': 'source'}),
    # The guest disagrees with the topology: both are shown.
    (dict(slave_of_id='s1', replication={'role': 'source'}),
     {'role': 'replica', 'reported_role': 'source', 'running': False,
      'lag': None, 'error': None}),
    # A guest that has not said anything yet.
    (dict(slave_of_id='s1'),
     {'role': 'replica', 'reported_role': None, 'running': False,
      'lag': None, 'error': None}),
])
def test_the_extension_shows_role_stream_and_lag(facts, expected):
    replication = facts.pop('replication', None)
    stored = replication_reports.dump(replication)
    view = views.instance_detail(REQ, _facts(replication=stored, **facts),
                                 False)
    assert view['replication'] == expected


def test_the_extension_without_a_heartbeat():
    facts = _facts(slave_of_id='s1')._replace(heartbeat=None)
    assert views.instance_detail(REQ, facts, False)['replication'] == {
        'role': 'replica', 'reported_role': None, 'running': False,
        'lag': None, 'error': None}


def test_a_server_the_guest_gave_up_on_is_error_with_its_fault():
    fault = types.SimpleNamespace(message='crashed 5 times', created=NOW,
                                  details='Last lines of error.log')
    facts = _facts()._replace(service_status=states.SVC_FAILED, fault=fault)
    view = views.instance_detail(REQ, facts, True)
    assert (view['status'], view['operating_status']) == ('ERROR', 'FAILED')
    assert view['fault']['message'] == 'crashed 5 times'
    assert view['fault']['details'] == 'Last lines of error.log'
    # Healthy again (restarted): the old fault is no longer shown.
    healthy = views.instance_detail(
        REQ, facts._replace(service_status=states.SVC_HEALTHY), True)
    assert healthy['status'] == 'ACTIVE' and 'fault' not in healthy


def test_the_note_of_an_operation_put_back_shows_while_active():
    facts = _facts()
    note = types.SimpleNamespace(
        message='The flavor could not be changed; the instance runs with '
                'its old flavor as before.', created=NOW,
        details='Task RetuneDatastore failed')
    # Stored with the task change that ended the resize.
    facts = facts._replace(row=types.SimpleNamespace(
        **dict(vars(facts.row), task_start_time=NOW)), fault=note)
    view = views.instance_detail(REQ, facts, False)
    assert view['status'] == 'ACTIVE'
    assert view['fault']['message'] == note.message
    assert view['fault']['details'] is None
    # Any later task change (a restart) and it is history.
    later = facts._replace(row=types.SimpleNamespace(**dict(
        vars(facts.row), task_start_time=NOW + datetime.timedelta(
            minutes=1))))
    assert 'fault' not in views.instance_detail(REQ, later, False)
