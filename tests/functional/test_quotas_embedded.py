"""Quotas over real HTTP and the real CLI: usage always equals reality.

``trove-lite-all`` runs with the fake compute driver (no database
servers). Threads create and delete instances at once against a small
instance quota; exactly the quota's worth of creates succeeds, the rest
get upstream's 413 ``overLimit``, and afterwards the usage the
management API and ``openstack database quota show`` report equals the
instances that exist.
"""

from concurrent import futures

import pytest
import requests

from tests.functional import embedded as embedded_mod

PROJECT = embedded_mod.PROJECT
LIMIT = 4


@pytest.fixture(scope='module')
def service():
    # NOTE(state): a service of its own: the storms must see only their
    # own instances and quota.
    with embedded_mod.start_fake() as running:
        yield running


def _create(service, name):
    return requests.post(service.endpoint + '/instances', json={
        'instance': {'name': name, 'flavorRef': '1',
                     'volume': {'size': 1},
                     'datastore': {'type': 'fake', 'version': '1.0'}}},
        timeout=60)


def _delete(service, instance_id):
    return requests.delete('%s/instances/%s' % (service.endpoint,
                                                instance_id), timeout=60)


def _live(service):
    resp = requests.get(service.endpoint + '/instances', timeout=30)
    assert resp.status_code == 200
    return [row['id'] for row in resp.json()['instances']]


def _in_use(service):
    resp = requests.get('%s/mgmt/quotas/%s' % (service.endpoint, PROJECT),
                        timeout=30)
    assert resp.status_code == 200
    return {q['resource']: q['in_use'] for q in resp.json()['quotas']}


def _storm(service, creates, deletes=()):
    jobs = [(_create, 'storm-%d' % n) for n in range(creates)]
    jobs += [(_delete, instance_id) for instance_id in deletes]
    with futures.ThreadPoolExecutor(max(1, len(jobs))) as pool:
        return list(pool.map(lambda job: job[0](service, job[1]), jobs))


def test_cli_quota_update_and_show(service):
    updated = embedded_mod.cli(service, 'database', 'quota', 'update',
                               PROJECT, 'instances', str(LIMIT))
    assert updated == {'instances': LIMIT}
    rows = embedded_mod.cli(service, 'database', 'quota', 'show', PROJECT)
    assert {row['Resource']: (row['In Use'], row['Reserved'], row['Limit'])
            for row in rows} == {'instances': (0, 0, LIMIT),
                                 'ram': (0, 0, -1), 'volumes': (0, 0, 40),
                                 'backups': (0, 0, 50)}
    bad = embedded_mod.run_cli(service, 'database', 'quota', 'update',
                               PROJECT, 'cores', '3')
    assert bad.returncode == 1 and '(HTTP 404)' in bad.stderr
    limits = requests.get(service.endpoint + '/limits', timeout=30).json()
    assert limits['limits'][0]['max_instances'] == LIMIT


def test_create_delete_storm_keeps_usage_exact(service):
    responses = _storm(service, 3 * LIMIT)
    codes = sorted(resp.status_code for resp in responses)
    assert codes == [200] * LIMIT + [413] * (2 * LIMIT), [
        resp.text for resp in responses if resp.status_code != 200]
    for resp in responses:
        if resp.status_code == 413:
            assert resp.json() == {'overLimit': {
                'code': 413,
                'message': 'Quota exceeded for resources: instances.'}}
    created = [resp.json()['instance']['id'] for resp in responses
               if resp.status_code == 200]
    assert sorted(_live(service)) == sorted(created)
    assert _in_use(service)['instances'] == LIMIT

    # Creates race deletes: whatever wins, usage is what exists.
    responses = _storm(service, LIMIT, deletes=created[:2])
    assert all(resp.status_code in (200, 202, 413) for resp in responses)
    for instance_id in created[:2]:
        embedded_mod.wait_until_gone(service, instance_id, deadline=30)
    live = _live(service)
    assert len(live) <= LIMIT
    in_use = _in_use(service)
    assert in_use['instances'] == len(live)
    assert in_use['volumes'] == len(live)

    # Everything deleted: nothing in use, the whole quota free again.
    for resp in _storm(service, 0, deletes=live):
        assert resp.status_code == 202
    for instance_id in live:
        embedded_mod.wait_until_gone(service, instance_id, deadline=30)
    rows = embedded_mod.cli(service, 'database', 'quota', 'show', PROJECT)
    assert {row['Resource']: row['In Use'] for row in rows} == {
        'instances': 0, 'ram': 0, 'volumes': 0, 'backups': 0}
    codes = sorted(resp.status_code for resp in _storm(service, LIMIT + 1))
    assert codes == [200] * LIMIT + [413]
