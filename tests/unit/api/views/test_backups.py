"""The backup view: upstream's BackupView fields, plus why it failed."""

import datetime
import types

from trove_lite.api.views import backups as views

CREATED = datetime.datetime(2026, 1, 2, 3, 4, 5, 678000)


def _row(**values):
    row = dict(id='b1', name='n', description=None, location='/x',
               instance_id='i1', created=CREATED, updated=CREATED,
               size=1.5, state='COMPLETED', parent_id=None, tenant_id='p1',
               datastore_version_id='v1')
    row.update(values)
    return types.SimpleNamespace(**row)


VERSION = types.SimpleNamespace(
    id='v1', name='10.11', datastore=types.SimpleNamespace(name='mariadb'))
FAULT = types.SimpleNamespace(message='the guest went silent',
                              created=CREATED)


def test_upstream_fields():
    view = views.backup(views.BackupFacts(_row(), VERSION, None))
    assert view == {
        'id': 'b1', 'name': 'n', 'description': None, 'locationRef': '/x',
        'instance_id': 'i1', 'created': '2026-01-02T03:04:05',
        'updated': '2026-01-02T03:04:05', 'size': 1.5,
        'status': 'COMPLETED', 'parent_id': None, 'project_id': 'p1',
        'datastore': {'type': 'mariadb', 'version': '10.11',
                      'version_id': 'v1'}}


def test_no_datastore_when_unknown():
    view = views.backup(views.BackupFacts(_row(), None, None))
    assert 'datastore' not in view


def test_a_fault_shows_only_on_a_failure():
    for state, shown in (('FAILED', True), ('DELETE_FAILED', True),
                         ('COMPLETED', False), ('NEW', False)):
        view = views.backup(views.BackupFacts(_row(state=state), VERSION,
                                              FAULT))
        assert ('fault' in view) is shown, state
        if shown:
            assert view['fault'] == {'message': 'the guest went silent',
                                     'created': '2026-01-02T03:04:05'}


def test_strategy():
    row = types.SimpleNamespace(tenant_id='p1', instance_id='', backend='s',
                                swift_container='c')
    assert views.strategy(row) == {'project_id': 'p1', 'instance_id': '',
                                   'backend': 's', 'swift_container': 'c'}
