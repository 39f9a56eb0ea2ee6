"""Build the ``RequestContext`` of an API request.

Two front doors, one context: ``KeystoneContext`` trusts the headers that
keystonemiddleware's authtoken has validated; ``NoAuthContext`` (the
embedded, development-only default) accepts any token and takes the
project from the URL, or from a token of the form ``user:project`` so that
tests can act as a chosen project. Either way ``TenantAuthorization`` then
refuses a URL whose project is not the caller's.
"""

import json

from oslo_config import cfg

from trove_lite.api.middleware import base
from trove_lite.api import wsgi
from trove_lite.common import context
from trove_lite.common import exception
from trove_lite.common import policy

CONTEXT_ENV = wsgi.CONTEXT_ENV
# NOTE(rbac): the roles Keystone's bootstrap makes imply one another, and a
# Keystone token lists the implied roles too; noauth does the same, so the
# policy defaults (``project_reader``: role reader) see the same roles
# either way.
IMPLIED_ROLES = {'admin': ('member',), 'member': ('reader',)}


def get_context(req):
    return req.environ[CONTEXT_ENV]


def _paging(req):
    return {'limit': req.params.get('limit'),
            'marker': req.params.get('marker')}


def _url_project(req):
    """The project named by the URL (/v1.0 already stripped), or None."""
    parts = req.path_info.strip('/').split('/')
    return parts[0] if parts and parts[0] else None


def with_implied_roles(roles):
    """``roles`` plus every role they imply, in order, without repeats."""
    result = []
    pending = list(roles)
    while pending:
        role = pending.pop(0)
        if role not in result:
            result.append(role)
            pending.extend(IMPLIED_ROLES.get(role, ()))
    return result


def _mark_admin(ctx):
    admin_roles = cfg.CONF.admin_roles
    if admin_roles:
        ctx.is_admin = any(role in admin_roles for role in ctx.roles)
    else:
        ctx.is_admin = policy.check_is_admin(ctx)
    return ctx


class KeystoneContext(base.Middleware):
    """Context from the identity headers set by authtoken."""

    def process_request(self, req):
        if req.headers.get('X-Identity-Status', 'Confirmed') != 'Confirmed':
            raise exception.Unauthorized()
        catalog_header = req.headers.get('X-Service-Catalog')
        try:
            catalog = json.loads(catalog_header) if catalog_header else []
        except ValueError:
            raise exception.BadRequest(
                'Invalid service catalog JSON in X-Service-Catalog.')
        ctx = context.RequestContext.from_environ(
            req.environ, service_catalog=catalog, **_paging(req))
        req.environ[CONTEXT_ENV] = _mark_admin(ctx)


class NoAuthContext(base.Middleware):
    """Context with no authentication at all (development only).

    The token is ignored unless it reads ``user:project``; roles come from
    ``X-Roles`` and default to ``admin``, as Cinder's noauth does. The
    roles they imply are added, as Keystone would.
    """

    def process_request(self, req):
        token = req.headers.get('X-Auth-Token', '')
        user_id, _, project_id = token.partition(':')
        if not project_id:
            user_id, project_id = 'noauth', _url_project(req)
        roles = with_implied_roles([role.strip() for role in req.headers.get(
            'X-Roles', 'admin').split(',') if role.strip()])
        ctx = context.RequestContext(
            user_id=user_id, project_id=project_id, roles=roles,
            auth_token=token, request_id=req.environ.get(
                'openstack.request_id'), **_paging(req))
        req.environ[CONTEXT_ENV] = _mark_admin(ctx)


class TenantAuthorization(base.Middleware):
    """Every v1.0 route is /<project>/...: it must be the caller's."""

    def process_request(self, req):
        ctx = get_context(req)
        url_project = _url_project(req)
        if url_project is None:
            return None  # /v1.0/ itself: the version document
        if url_project != ctx.project_id:
            raise exception.TenantMismatch(tenant=ctx.project_id)
