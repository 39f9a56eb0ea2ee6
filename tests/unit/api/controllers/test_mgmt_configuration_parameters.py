"""The management routes of configuration parameter rules (troveclient's
``MgmtConfigurationParameters``)."""

import pytest

from tests.unit.api.conftest import member
from trove_lite.db.repositories import datastores

PATH = '/mgmt/datastores/versions/%s/parameters'


def _body(**fields):
    rule = {'name': 'max_connections', 'data_type': 'integer',
            'restart_required': 0, 'min_size': 1, 'max_size': 1000}
    rule.update(fields)
    return {'configuration-parameter': {k: v for k, v in rule.items()
                                        if v is not None}}


def test_create_show_update_list_delete(client, ctx, mysql):
    path = PATH % mysql['active']
    resp = client.v1('POST', path, body=_body())
    assert resp.status_int == 200
    assert resp.json == {'name': 'max_connections',
                         'datastore_version_id': mysql['active'],
                         'restart_required': False, 'type': 'integer',
                         'min_size': 1, 'max_size': 1000}
    assert client.v1('GET', path + '/max_connections').json == resp.json
    resp = client.v1('PUT', path + '/max_connections', body=_body(
        restart_required=1, min_size='10', max_size='5000'))
    assert resp.status_int == 200
    assert (resp.json['restart_required'], resp.json['min_size'],
            resp.json['max_size']) == (True, 10, 5000)
    # The tenant view and the validation rules see the change.
    [rule] = datastores.list_configuration_parameters(ctx, mysql['active'])
    assert (rule.min_size, rule.max_size, rule.restart_required) == (
        '10', '5000', True)
    assert client.v1('GET', path).json['configuration-parameters'] == [
        resp.json]
    resp = client.v1('DELETE', path + '/max_connections')
    assert resp.status_int == 204 and resp.body == b''
    assert datastores.list_configuration_parameters(ctx,
                                                    mysql['active']) == []


def test_a_string_rule_takes_no_bounds(client, mysql):
    path = PATH % mysql['active']
    resp = client.v1('POST', path, body=_body(
        name='sql_mode', data_type='string', min_size=None, max_size=None,
        restart_required=True))
    assert resp.status_int == 200
    assert resp.json['type'] == 'string' and 'min_size' not in resp.json
    resp = client.v1('POST', path,
                     body=_body(name='collation', data_type='string'))
    assert resp.status_int == 400
    assert 'only apply to integer and float' in resp.json['badRequest'][
        'message']


@pytest.mark.parametrize('fields, words', [
    ({'data_type': 'decimal'}, '"type" must be one of'),
    ({'min_size': 10, 'max_size': 1}, '"min" is greater than "max"'),
    ({'min_size': None}, 'needs both min_size and max_size'),
    ({'max_size': 'lots'}, "max_size 'lots' is not a number"),
    ({'restart_required': 2}, 'restart_required'),
    ({'name': ''}, 'name'),
])
def test_bad_rules_are_refused_and_nothing_is_stored(client, ctx, mysql,
                                                     fields, words):
    resp = client.v1('POST', PATH % mysql['active'], body=_body(**fields))
    assert resp.status_int == 400, resp.json
    assert words in resp.json['badRequest']['message']
    assert datastores.list_configuration_parameters(ctx,
                                                    mysql['active']) == []


def test_a_second_create_and_strangers_are_refused(client, mysql):
    path = PATH % mysql['active']
    assert client.v1('POST', path, body=_body()).status_int == 200
    resp = client.v1('POST', path, body=_body())
    assert resp.status_int == 400
    assert 'already has a configuration parameter max_connections' in \
        resp.json['badRequest']['message']
    resp = client.v1('PUT', path + '/other', body=_body())
    assert resp.status_int == 400
    assert client.v1('PUT', path + '/nosuch', body=_body(
        name='nosuch')).status_int == 404
    # As upstream: deleting what is not there is a 400.
    assert client.v1('DELETE', path + '/nosuch').status_int == 400
    assert client.v1('GET', path + '/nosuch').status_int == 404
    assert client.v1('GET', PATH % ('0' * 36)).status_int == 400
    assert client.v1('GET', path, headers=member()).status_int == 401
