"""Every v1.0 route, as a table the persona tests walk with real tokens.

``test_keystone`` runs one Keystone and one ``trove-lite-all``; its persona
tests call every route as a reader, a member, a member of another project,
an administrator and an administrator of another project, and compare
what happened with what the policy defaults promise. The tables here
name the routes once, so each persona tries the same ones.
"""

import time

import requests

from tests import waiting

# NOTE(expiry): test_keystone's tokens live 30 seconds; take a new one
# well before that.
TOKEN_AGE = 10


class Caller:
    """A user of a project, calling the API with a fresh enough token."""

    def __init__(self, cloud, user, project):
        self.cloud = cloud
        self.user = user
        self.project = project
        self._token = None
        self._taken = 0.0

    def token(self):
        if time.monotonic() - self._taken > TOKEN_AGE:
            self._token = self.cloud.token(self.user, self.project)
            self._taken = time.monotonic()
        return self._token

    def __call__(self, method, path, body=None):
        """Call ``path`` under the caller's own project URL."""
        return requests.request(
            method, self.cloud.url(self.project, path), json=body,
            headers={'X-Auth-Token': self.token()}, timeout=60)


def assert_fault(resp, status, name):
    """The response is an upstream fault document ``{name: {code, ...}}``."""
    assert resp.status_code == status, (resp.request.method, resp.url,
                                        resp.status_code, resp.text)
    assert list(resp.json()) == [name], resp.text
    assert resp.json()[name]['code'] == status


def assert_status(resp, status):
    assert resp.status_code == status, (resp.request.method, resp.url,
                                        resp.status_code, resp.text)
    return resp


# A schedule that never runs while a test looks, and an id of none.
SCHEDULE = {'backup_schedule': {'name': 'ks-nightly', 'pattern': '0 3 * * *',
                                'keep': 2}}
NO_SCHEDULE = '5c0e1d2a-0b8f-4d6e-9a1c-3f2e4d5c6b7a'


def instance_reads(instance_id):
    """``(path, status)`` of the reads on one instance."""
    base = '/instances/' + instance_id
    return [
        (base, 200),
        (base + '/databases', 200),
        # NOTE(compat): upstream has no database show; it is a 501 for
        # whoever is allowed to ask.
        (base + '/databases/app', 501),
        (base + '/users', 200),
        (base + '/users/alice', 200),
        (base + '/users/alice/databases', 200),
        (base + '/root', 200),
        (base + '/backups', 200),
        (base + '/backup_schedules', 200),
        (base + '/backup_schedules/' + NO_SCHEDULE, 404),
        (base + '/configuration', 200),
        (base + '/log', 200),
    ]


def configuration_reads(group_id):
    """``(path, status)`` of the reads on one configuration group."""
    return [('/configurations/' + group_id, 200),
            ('/configurations/%s/instances' % group_id, 200)]


GROUP_VALUES = {'max_connections': 50}


def group_body(name, values=None):
    return {'configuration': {'name': name,
                              'values': values or GROUP_VALUES,
                              'datastore': {'type': 'fake',
                                            'version': '1.0'}}}


def configuration_changes(group_id, instance_id):
    """``(method, path, body)`` of the changes that name one group (or
    attach it): refused to a reader (403), and to another project's
    member as if it did not exist (404).
    """
    path = '/configurations/' + group_id
    return [
        ('PATCH', path, {'configuration': {'values': {
            'max_connections': 60}}}),
        ('PUT', path, {'configuration': {'values': {
            'max_connections': 70}}}),
        ('DELETE', path, None),
        ('PUT', '/instances/' + instance_id,
         {'instance': {'configuration': group_id}}),
    ]


def project_changes():
    """``(method, path, body)`` of changes inside the caller's own
    project that name nothing of it.
    """
    return [('POST', '/configurations', group_body('nope'))]


def backup_reads(backup_id):
    """``(path, status)`` of the reads on one backup."""
    return [('/backups/' + backup_id, 200)]


def project_reads(flavor_id, version_id, project_id):
    """``(path, status)`` of the reads that name no instance."""
    return [
        ('/instances', 200),
        ('/instances/detail', 200),
        ('/flavors', 200),
        ('/flavors/' + flavor_id, 200),
        ('/datastores', 200),
        ('/datastores/fake', 200),
        ('/datastores/fake/versions', 200),
        ('/datastores/fake/versions/1.0', 200),
        ('/datastores/versions/' + version_id, 200),
        ('/datastores/fake/versions/%s/flavors' % version_id, 200),
        ('/datastores/fake/versions/1.0/parameters', 200),
        ('/datastores/fake/versions/1.0/parameters/max_connections', 200),
        ('/datastores/versions/%s/parameters' % version_id, 200),
        ('/datastores/versions/%s/parameters/max_connections' % version_id,
         200),
        ('/limits', 200),
        ('/mgmt/quotas/' + project_id, 200),
        ('/backups', 200),
        ('/backup_strategies', 200),
        ('/configurations', 200),
    ]


def instance_changes(instance_id):
    """``(method, path, body)`` of every change to one instance."""
    base = '/instances/' + instance_id
    password = {'password': 'changed-secret'}
    return [
        ('PUT', base, {'instance': {'name': 'renamed'}}),
        ('PATCH', base, {'instance': {'name': 'renamed'}}),
        ('DELETE', base, None),
        ('POST', base + '/action', {'restart': {}}),
        ('POST', base + '/action', {'promote_to_replica_source': {}}),
        ('POST', base + '/action', {'eject_replica_source': {}}),
        ('POST', base + '/action', {'resize': {'volume': {'size': 2}}}),
        ('POST', base + '/action', {'resize': {'flavorRef': '2'}}),
        ('PUT', base, {'instance': {'replica_of': None}}),
        ('PATCH', base, {'instance': {'slave_of': None}}),
        ('PUT', base, {'instance': {'failover': True}}),
        ('PUT', base, {'instance': {'access': {
            'is_public': True, 'allowed_cidrs': ['192.0.2.0/24']}}}),
        ('PATCH', base, {'instance': {'datastore_version': '1.0'}}),
        ('POST', '/instances', {'instance': {'name': 'replica',
                                             'replica_of': instance_id}}),
        ('POST', base + '/databases', {'databases': [{'name': 'newdb'}]}),
        ('DELETE', base + '/databases/app', None),
        ('POST', base + '/users',
         {'users': [{'name': 'bob', 'password': 'bob-secret'}]}),
        ('PUT', base + '/users', {'users': [dict(name='alice', **password)]}),
        ('PUT', base + '/users/alice', {'user': password}),
        ('DELETE', base + '/users/alice', None),
        ('PUT', base + '/users/alice/databases',
         {'databases': [{'name': 'logs'}]}),
        ('DELETE', base + '/users/alice/databases/app', None),
        ('POST', base + '/root', None),
        ('DELETE', base + '/root', None),
        ('POST', base + '/log', {'name': 'general', 'enable': 1}),
        ('POST', base + '/log', {'name': 'general', 'publish': 1}),
        ('POST', base + '/backup_schedules', SCHEDULE),
        ('DELETE', base + '/backup_schedules/' + NO_SCHEDULE, None),
    ]


def backup_changes(backup_id, instance_id, flavor_id):
    """``(method, path, body)`` of the changes that name one backup or
    the instance it was taken of: refused to a reader (403), and to
    another project's member as if neither existed (404).
    """
    return [
        ('POST', '/instances', restore_body('nope', flavor_id, backup_id)),
        ('POST', '/backups', {'backup': {'name': 'nope',
                                         'instance': instance_id}}),
        ('DELETE', '/backups/' + backup_id, None),
        ('POST', '/backup_strategies', {'backup_strategy': {
            'swift_container': 'nope', 'instance_id': instance_id}}),
    ]


def strategy_changes():
    """``(method, path, body)`` of the changes to the caller's own
    project's backup strategies.
    """
    return [
        ('POST', '/backup_strategies',
         {'backup_strategy': {'swift_container': 'nope'}}),
        ('DELETE', '/backup_strategies', None),
    ]


def other_project_routes(project_id):
    """Routes whose query reaches past the caller's project (every
    project's, or ``project_id``'s): an administrator's, 403 for others
    (``backup:index:all_projects``; the strategies' controller).
    """
    return [
        ('GET', '/backups?all_projects=1', None),
        ('GET', '/backups?project_id=' + project_id, None),
        ('GET', '/backup_strategies?project_id=' + project_id, None),
        ('DELETE', '/backup_strategies?project_id=' + project_id, None),
    ]


def change_steps():
    """``(method, path below the instance, body, status)``: every change
    to one instance that leaves it as it was, in an order that works.
    """
    return [
        ('POST', '/databases', {'databases': [{'name': 'newdb'}]}, 202),
        ('DELETE', '/databases/newdb', None, 202),
        ('POST', '/users', {'users': [{'name': 'bob',
                                       'password': 'bob-secret'}]}, 202),
        ('PUT', '/users/bob/databases', {'databases': [{'name': 'app'}]},
         202),
        ('DELETE', '/users/bob/databases/app', None, 202),
        ('PUT', '/users', {'users': [{'name': 'bob',
                                      'password': 'new-secret'}]}, 202),
        ('PUT', '/users/bob', {'user': {'password': 'newer-secret'}}, 202),
        ('DELETE', '/users/bob', None, 202),
        ('POST', '/root', None, 200),
        ('DELETE', '/root', None, 204),
        ('POST', '/log', {'name': 'general', 'enable': 1}, 200),
        ('POST', '/log', {'name': 'general', 'disable': 1}, 200),
        ('PUT', '', {'instance': {'name': 'ks-renamed'}}, 202),
        ('PATCH', '', {'instance': {'name': 'ks-persona'}}, 202),
    ]


def create_body(name, flavor_id):
    return {'instance': {
        'name': name, 'flavorRef': flavor_id, 'volume': {'size': 1},
        'datastore': {'type': 'fake', 'version': '1.0'},
        'databases': [{'name': 'app'}, {'name': 'logs'}],
        'users': [{'name': 'alice', 'password': 'alice-secret',
                   'databases': [{'name': 'app'}]}]}}


def restore_body(name, flavor_id, backup_id):
    """An instance created from a backup: its databases and users are
    the backup's.
    """
    return {'instance': {
        'name': name, 'flavorRef': flavor_id, 'volume': {'size': 1},
        'datastore': {'type': 'fake', 'version': '1.0'},
        'restorePoint': {'backupRef': backup_id}}}


def admin_rule_routes(instance_id):
    """Routes outside ``/mgmt`` whose rule is ``admin``: 403 for others."""
    return [
        ('POST', '/instances/%s/action' % instance_id, {'reset_status': {}}),
        ('DELETE', '/datastores/fake', None),
    ]


PARAMETERS = '/mgmt/datastores/versions/%s/parameters'
PARAMETER = {'configuration-parameter': {
    'name': 'max_connections', 'data_type': 'integer',
    'restart_required': 0, 'min_size': 1, 'max_size': 500}}


def mgmt_routes(instance_id, version_id, project_id):
    """The management API: 401 (upstream's answer) for non-admins."""
    return [
        ('GET', '/mgmt/instances', None),
        ('GET', '/mgmt/instances/' + instance_id, None),
        ('POST', '/mgmt/instances/%s/action' % instance_id,
         {'reset-task-status': {}}),
        ('POST', '/mgmt/instances/%s/action' % instance_id, {'stop': {}}),
        ('POST', '/mgmt/instances/%s/action' % instance_id, {'reboot': {}}),
        ('POST', '/mgmt/instances/%s/action' % instance_id,
         {'migrate': {}}),
        ('POST', '/mgmt/instances/%s/action' % instance_id,
         {'rebuild': {'image_id': '8c1d5b9e-3f4a-4e2b-9a6c-0d7e8f9a1b2c'}}),
        ('GET', '/mgmt/instances/%s/root' % instance_id, None),
        ('GET', '/mgmt/instances/%s/rpc_ping' % instance_id, None),
        ('GET', '/mgmt/datastore-versions', None),
        ('GET', '/mgmt/datastore-versions/' + version_id, None),
        ('POST', '/mgmt/datastore-versions', {'version': {
            'datastore_name': 'scratch', 'name': '9.9',
            'datastore_manager': 'fake', 'active': True}}),
        ('PATCH', '/mgmt/datastore-versions/' + version_id,
         {'active': False}),
        ('DELETE', '/mgmt/datastore-versions/' + version_id, None),
        ('PUT', '/mgmt/quotas/' + project_id, {'quotas': {'instances': 1}}),
        ('GET', PARAMETERS % version_id, None),
        ('GET', PARAMETERS % version_id + '/max_connections', None),
        ('POST', PARAMETERS % version_id, PARAMETER),
        ('PUT', PARAMETERS % version_id + '/max_connections', PARAMETER),
        ('DELETE', PARAMETERS % version_id + '/max_connections', None),
    ]


def snapshot(caller, instance_id):
    """What a change to the instance would show: name, task, databases,
    users and their access, root.
    """
    base = '/instances/' + instance_id
    shown = assert_status(caller('GET', base), 200).json()['instance']
    return {
        'name': shown['name'], 'status': shown['status'],
        'databases': assert_status(caller('GET', base + '/databases'),
                                   200).json(),
        'users': assert_status(caller('GET', base + '/users'), 200).json(),
        'root': assert_status(caller('GET', base + '/root'), 200).json(),
    }


def backup_shown(caller, backup_id):
    """The backup's API view, or None once it is gone (404)."""
    resp = caller('GET', '/backups/' + backup_id)
    if resp.status_code == 404:
        return None
    return assert_status(resp, 200).json()['backup']


def wait_for_backup(caller, backup_id, status, timeout=60):
    """Wait for the backup's status (``waiting.GONE`` for the 404); an
    end it cannot leave (FAILED, DELETE_FAILED) fails at once.
    """
    ends = {status, 'FAILED', 'DELETE_FAILED'}
    shown = waiting.wait_for_status(
        lambda: backup_shown(caller, backup_id), ends, timeout=timeout)
    reached = waiting.GONE if shown is None else shown['status']
    assert reached == status, shown
    return shown


def take_backup(caller, instance_id, name):
    """Back the instance up and wait until both are done; returns the
    COMPLETED backup's view.
    """
    created = assert_status(caller('POST', '/backups', {'backup': {
        'name': name, 'instance': instance_id}}), 202).json()['backup']
    assert (created['status'], created['instance_id']) == ('NEW',
                                                           instance_id)
    shown = wait_for_backup(caller, created['id'], 'COMPLETED')
    wait_for_status(caller, instance_id, 'ACTIVE')
    return shown


def wait_for_status(caller, instance_id, status, timeout=60):
    """Wait for the instance's status; 404 counts as ``'gone'``."""
    def shown():
        resp = caller('GET', '/instances/' + instance_id)
        return None if resp.status_code == 404 else resp.json()['instance']

    waiting.wait_for_status(shown, status, timeout=timeout)
