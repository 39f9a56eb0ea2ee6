"""The two front doors (keystone, noauth) and the tenant check."""

import keystonemiddleware.auth_token  # noqa: registers its options
import webob
import webob.dec

from trove_lite.api import app as api_app
from trove_lite.api.middleware import context as context_mw


@webob.dec.wsgify
def _echo(req):
    ctx = context_mw.get_context(req)
    return webob.Response(json_body={
        'project': ctx.project_id, 'user': ctx.user_id,
        'roles': ctx.roles, 'admin': ctx.is_admin,
        'limit': ctx.limit, 'marker': ctx.marker})


def test_keystone_context_reads_validated_headers():
    app = context_mw.KeystoneContext(_echo)
    req = webob.Request.blank('/p1/flavors?limit=5&marker=m')
    req.headers.update({'X-Auth-Token': 't', 'X-Project-Id': 'p1',
                        'X-User-Id': 'u1', 'X-Roles': 'member,reader',
                        'X-Identity-Status': 'Confirmed'})
    body = req.get_response(app).json
    assert body == {'project': 'p1', 'user': 'u1',
                    'roles': ['member', 'reader'], 'admin': False,
                    'limit': '5', 'marker': 'm'}


def test_keystone_admin_role_makes_an_admin():
    app = context_mw.KeystoneContext(_echo)
    req = webob.Request.blank('/p1/flavors')
    req.headers.update({'X-Project-Id': 'p1', 'X-Roles': 'admin',
                        'X-Identity-Status': 'Confirmed'})
    assert req.get_response(app).json['admin'] is True


def test_admin_roles_option_overrides_policy(override):
    override('admin_roles', ['dbadmin'])
    app = context_mw.KeystoneContext(_echo)
    req = webob.Request.blank('/p1/flavors')
    req.headers.update({'X-Project-Id': 'p1', 'X-Roles': 'dbadmin',
                        'X-Identity-Status': 'Confirmed'})
    assert req.get_response(app).json['admin'] is True


def test_noauth_takes_project_from_url_or_token():
    app = context_mw.NoAuthContext(_echo)
    req = webob.Request.blank('/p1/flavors')
    assert req.get_response(app).json['project'] == 'p1'
    req = webob.Request.blank('/p1/flavors',
                              headers={'X-Auth-Token': 'bob:p7',
                                       'X-Roles': 'member'})
    body = req.get_response(app).json
    assert (body['user'], body['project'], body['admin']) == \
        ('bob', 'p7', False)


def test_noauth_adds_the_roles_keystone_implies():
    app = context_mw.NoAuthContext(_echo)
    roles = {}
    for given in ('admin', 'member', 'reader', 'member,dbops'):
        req = webob.Request.blank('/p1/flavors', headers={'X-Roles': given})
        roles[given] = req.get_response(app).json['roles']
    assert roles == {'admin': ['admin', 'member', 'reader'],
                     'member': ['member', 'reader'],
                     'reader': ['reader'],
                     'member,dbops': ['member', 'dbops', 'reader']}


def test_keystone_pipeline_without_token_is_a_401_fault(override):
    override('auth_strategy', 'keystone')
    override('www_authenticate_uri', 'http://keystone.example/identity',
             group='keystone_authtoken')
    app = api_app.load_app()
    resp = webob.Request.blank('/v1.0/p1/flavors').get_response(app)
    assert resp.status_int == 401
    assert list(resp.json) == ['unauthorized']
    assert resp.json['unauthorized']['code'] == 401
    assert 'X-OpenStack-Request-ID' in resp.headers
    assert 'keystone.example' in resp.headers['WWW-Authenticate']
