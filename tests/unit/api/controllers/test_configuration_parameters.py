"""The configuration parameter routes of a datastore version (what the
CLI's ``database configuration parameter list/show`` call)."""

import pytest

from tests.unit.api.conftest import member
from trove_lite.db.repositories import datastores

RULES = [
    {'name': 'max_connections', 'restart_required': False,
     'type': 'integer', 'min': 1, 'max': 100000},
    {'name': 'autocommit', 'restart_required': False, 'type': 'integer',
     'min': 0, 'max': 1},
    {'name': 'long_query_time', 'restart_required': False, 'type': 'float',
     'min': 0, 'max': 0.5},
    {'name': 'innodb_buffer_pool_size', 'restart_required': True,
     'type': 'integer', 'min': 5242880, 'max': 68719476736},
    {'name': 'sql_mode', 'restart_required': False, 'type': 'string'},
]


@pytest.fixture
def rules(ctx, mysql):
    datastores.load_configuration_parameters(ctx, mysql['active'], RULES)
    return mysql['active']


@pytest.mark.parametrize('path', [
    '/datastores/mysql/versions/10.11/parameters',
    '/datastores/mysql/versions/{id}/parameters',
    '/datastores/versions/{id}/parameters',
])
def test_list_by_datastore_and_version_or_by_version_id(client, rules, path):
    resp = client.v1('GET', path.format(id=rules), headers=member())
    assert resp.status_int == 200
    listed = resp.json['configuration-parameters']
    assert [p['name'] for p in listed] == sorted(r['name'] for r in RULES)
    by_name = {p['name']: p for p in listed}
    assert by_name['max_connections'] == {
        'name': 'max_connections', 'datastore_version_id': rules,
        'restart_required': False, 'type': 'integer', 'min': 1,
        'max': 100000}
    # Upstream leaves out a bound that is zero or unset.
    assert by_name['autocommit'] == {
        'name': 'autocommit', 'datastore_version_id': rules,
        'restart_required': False, 'type': 'integer', 'max': 1}
    assert by_name['long_query_time']['max'] == 0.5
    assert by_name['innodb_buffer_pool_size']['restart_required'] is True
    assert by_name['innodb_buffer_pool_size']['max'] == 68719476736
    assert 'min' not in by_name['sql_mode'] and 'max' not in by_name[
        'sql_mode']


@pytest.mark.parametrize('path', [
    '/datastores/mysql/versions/10.11/parameters/sql_mode',
    '/datastores/versions/{id}/parameters/sql_mode',
])
def test_show_is_the_parameter_unwrapped(client, rules, path):
    resp = client.v1('GET', path.format(id=rules), headers=member())
    assert resp.status_int == 200
    assert resp.json == {'name': 'sql_mode', 'datastore_version_id': rules,
                         'restart_required': False, 'type': 'string'}


def test_an_unknown_parameter_is_a_404(client, rules):
    resp = client.v1('GET', '/datastores/versions/%s/parameters/nosuch'
                     % rules)
    assert resp.status_int == 404
    assert 'Configuration parameter nosuch' in resp.json['itemNotFound'][
        'message']


def test_a_version_without_rules_lists_none(client, mysql):
    resp = client.v1('GET', '/datastores/mysql/versions/5.7/parameters')
    assert resp.status_int == 200
    assert resp.json == {'configuration-parameters': []}


@pytest.mark.parametrize('path, status', [
    ('/datastores/versions/%s/parameters' % ('0' * 36), 400),
    ('/datastores/mysql/versions/9.9/parameters', 400),
    ('/datastores/nosuch/versions/10.11/parameters', 404),
])
def test_unknown_versions_and_datastores(client, mysql, path, status):
    assert client.v1('GET', path).status_int == status
