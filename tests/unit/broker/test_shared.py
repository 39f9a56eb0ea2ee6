"""The insecure shared driver hands out the control plane's URL."""

from tests.unit import rpc_fixtures
from trove_lite.broker import base
from trove_lite.broker import shared


def test_guest_gets_the_control_planes_url(override, caplog):
    rpc_fixtures.register_messaging_opts()
    override('transport_url', 'rabbit://service:pw@mq:5672/')
    grant = base.Grant('a1', 'guestagent.a1', 'a1', 'trove-conductor',
                       'trove')
    transport = shared.SharedDriver().create_identity(None, grant)
    assert transport == {'transport_url': 'rabbit://service:pw@mq:5672/',
                         'control_exchange': 'trove',
                         'conductor_queue': 'trove-conductor'}
    assert 'tests and development only' in caplog.text
    assert 'service:pw' not in caplog.text
    shared.SharedDriver().delete_identity(None, 'a1')
