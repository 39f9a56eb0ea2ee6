"""The version documents: ``GET /`` lists versions, ``GET /v1.0`` shows one."""

from oslo_config import cfg
import webob.dec

from trove_lite.api import wsgi
from trove_lite import version


def _version_doc(req):
    base = (cfg.CONF.public_endpoint or req.host_url).rstrip('/')
    return {
        'id': version.API_VERSION,
        'status': 'CURRENT',
        'updated': version.API_VERSION_UPDATED,
        'links': [{'rel': 'self',
                   'href': '%s/%s/' % (base, version.API_VERSION)}],
    }


class VersionsApp:
    """``GET /``: every API version this service speaks."""

    @classmethod
    def factory(cls, global_config, **local_config):
        return cls()

    @webob.dec.wsgify
    def __call__(self, req):
        return wsgi.json_response(200, {'versions': [_version_doc(req)]})


class VersionController:
    """``GET /v1.0/``: the one version (routed inside the v1.0 pipeline)."""

    def show(self, req, body):
        return {'version': _version_doc(req)}
