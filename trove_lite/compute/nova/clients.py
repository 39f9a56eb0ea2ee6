"""The OpenStack clients of the ``nova`` driver, made from the service's
own credentials.

One keystoneauth session from ``[service_credentials]`` serves all four
clients, so one token is fetched and renewed for all of them. Every
resource an instance needs lives in the project of those credentials
(upstream's service-tenant mode): a tenant sees its instance, never the
server, ports and volume behind it, and cannot break them. The clients are
made on first use (``functools.cached_property``): a control plane on
another driver never imports them, and a taskmanager on this one pays for
them once.
"""

import functools

from cinderclient import client as cinder_client
from keystoneauth1 import adapter
from keystoneauth1 import loading as ks_loading
from neutronclient.v2_0 import client as neutron_client
from novaclient import client as nova_client
from oslo_config import cfg

from trove_lite.conf import nova as nova_conf

# NOTE(cinder): 3.42 extends a volume that is in use (attached to the
# server), which a volume resize of a running instance needs.
CINDER_API_VERSION = '3.42'
GROUP = nova_conf.SERVICE_CREDENTIALS


class Clients:
    """The Compute, Block Storage, Network and Image clients.

    :param conf: the configuration (``cfg.CONF`` when omitted).
    :param session: a keystoneauth session (one from
        ``[service_credentials]`` when omitted).
    """

    def __init__(self, conf=None, session=None):
        self._conf = conf or cfg.CONF
        self._session = session

    @property
    def _credentials(self):
        return self._conf[GROUP]

    @functools.cached_property
    def session(self):
        if self._session is not None:
            return self._session
        auth = ks_loading.load_auth_from_conf_options(self._conf, GROUP)
        return ks_loading.load_session_from_conf_options(
            self._conf, GROUP, auth=auth)

    def _where(self):
        return {'region_name': self._credentials.region_name,
                'interface': self._credentials.interface}

    @functools.cached_property
    def nova(self):
        where = self._where()
        return nova_client.Client(
            self._conf.nova.api_version, session=self.session,
            region_name=where['region_name'],
            endpoint_type=where['interface'])

    @functools.cached_property
    def cinder(self):
        where = self._where()
        return cinder_client.Client(
            CINDER_API_VERSION, session=self.session,
            region_name=where['region_name'],
            endpoint_type=where['interface'])

    @functools.cached_property
    def neutron(self):
        where = self._where()
        return neutron_client.Client(
            session=self.session, region_name=where['region_name'],
            endpoint_type=where['interface'])

    @functools.cached_property
    def image(self):
        """A keystoneauth adapter on the Image API (the driver only looks
        images up, which needs no client library of its own).
        """
        where = self._where()
        return adapter.Adapter(
            self.session, service_type='image',
            region_name=where['region_name'],
            interface=where['interface'])
