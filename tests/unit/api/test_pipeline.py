"""The whole paste pipeline: request ids, routing, bodies, tenants."""

import re


def test_every_response_has_a_request_id(client):
    for path in ('/', '/v1.0/', '/healthcheck', '/nonsense',
                 '/v1.0/p1/flavors', '/v1.0/p1/nonsense'):
        resp = client.get(path)
        assert re.match(r'^req-[0-9a-f-]{36}$',
                        resp.headers['X-OpenStack-Request-ID']), path


def test_version_documents(client):
    versions = client.get('/').json['versions']
    assert versions[0]['id'] == 'v1.0'
    assert versions[0]['status'] == 'CURRENT'
    assert versions[0]['links'][0]['href'].endswith('/v1.0/')
    assert client.get('/v1.0/').json['version']['id'] == 'v1.0'


def test_public_endpoint_is_advertised(client, override):
    override('public_endpoint', 'https://db.example.org:8779')
    href = client.get('/').json['versions'][0]['links'][0]['href']
    assert href == 'https://db.example.org:8779/v1.0/'


def test_unknown_paths_are_404_faults(client):
    for path in ('/nonsense', '/v1.0/p1/nonsense', '/v1.0/p1/flavors/1/x'):
        resp = client.get(path)
        assert resp.status_int == 404, path
        assert resp.json == {'itemNotFound': {
            'code': 404, 'message': 'The resource could not be found.'}}


def test_wrong_method_is_404_as_upstream(client):
    resp = client.v1('POST', '/datastores', body={})
    assert resp.status_int == 404


def test_token_for_another_project_is_403(client):
    resp = client.v1('GET', '/flavors',
                     headers={'X-Auth-Token': 'alice:p2'})
    assert resp.status_int == 403
    assert resp.json == {'forbidden': {
        'code': 403,
        'message': 'User with tenant id p2 cannot access this resource.'}}


def test_malformed_json_is_400(client):
    resp = client.v1('POST', '/mgmt/datastore-versions', raw=b'{"version":')
    assert resp.status_int == 400
    assert resp.json['badRequest']['message'].startswith(
        'Malformed request body')


def test_non_json_body_is_415(client):
    resp = client.v1('POST', '/mgmt/datastore-versions', raw=b'<xml/>',
                     content_type='application/xml')
    assert resp.status_int == 415
    assert list(resp.json) == ['badMediaType']


def test_schema_violations_are_400_with_the_path(client):
    resp = client.v1('POST', '/mgmt/datastore-versions', body={
        'version': {'name': 'x', 'datastore_name': 'mysql',
                    'datastore_manager': 'mysql', 'active': 'yes'}})
    assert resp.status_int == 400
    assert resp.json['badRequest']['message'] == (
        "Validation error: version['active'] 'yes' is not of type "
        "'boolean'")


def test_missing_wrapper_is_400_not_500(client):
    resp = client.v1('POST', '/mgmt/datastore-versions', body={'x': 1})
    assert resp.status_int == 400
    assert "'version' is a required property" in \
        resp.json['badRequest']['message']


def test_missing_body_is_400(client):
    resp = client.v1('POST', '/mgmt/datastore-versions')
    assert resp.status_int == 400


def test_rate_limit_answers_413(client, override):
    override('http_get_rate', 2)
    statuses = [client.v1('GET', '/flavors').status_int for _ in range(3)]
    assert statuses == [200, 200, 413]
    other = client.request('GET', '/v1.0/p9/flavors')
    assert other.status_int == 200  # counted per project


def test_a_path_that_is_not_utf8_is_a_fault_with_a_request_id(client):
    resp = client.get('/v1.0/p1/instances/%FF')
    assert resp.status_int == 400
    assert list(resp.json) == ['badRequest']
    assert re.match(r'^req-[0-9a-f-]{36}$',
                    resp.headers['X-OpenStack-Request-ID'])


def test_a_body_over_the_size_limit_is_413_with_a_request_id(client,
                                                             override):
    body = {'instance': {'name': 'x' * 200}}
    override('max_request_body_size', 150, group='oslo_middleware')
    resp = client.v1('POST', '/instances', body=body)
    assert resp.status_int == 413
    assert resp.json == {'overLimit': {
        'code': 413,
        'message': 'The body of your request was too large for this server.'}}
    assert re.match(r'^req-[0-9a-f-]{36}$',
                    resp.headers['X-OpenStack-Request-ID'])


def test_the_default_size_limit_is_oslo_middlewares(client):
    small = client.v1('POST', '/instances', raw=b'{' + b' ' * 114000 + b'}')
    assert small.status_int != 413
    large = client.v1('POST', '/instances', raw=b' ' * 114689)
    assert large.status_int == 413
    assert list(large.json) == ['overLimit']
