"""The nova driver's own decisions (the cloud itself is exercised through
the real clients in tests/functional/test_nova_driver_cloud.py).
"""

import types

from keystoneauth1 import exceptions as ks_exc
import pytest
import requests

from trove_lite.compute import base
from trove_lite.compute.nova import driver as nova_driver


def _response(status, text):
    response = requests.Response()
    response.status_code = status
    response._content = text.encode()
    return response


def test_a_body_no_client_understood_is_the_reason():
    error = ks_exc.InternalServerError(
        message='Unrecognized schema in response body.',
        response=_response(500, '<h1>500</h1>\n  glance fell over'))
    reason = nova_driver._reason(error)
    assert 'glance fell over' in reason
    assert reason.endswith('(InternalServerError)')


def test_cloud_errors_become_compute_errors_that_say_what_was_done():
    with pytest.raises(base.ComputeError, match='creating the server: '
                                                'no capacity'):
        with nova_driver.cloud_call('creating the server'):
            raise ks_exc.ClientException('no capacity')
    # Anything else is not the cloud's and passes through.
    with pytest.raises(KeyError):
        with nova_driver.cloud_call('creating the server'):
            raise KeyError('x')


def test_a_server_in_error_fails_with_its_fault():
    server = types.SimpleNamespace(id='s1', status='ERROR',
                                   fault={'message': 'No valid host'})
    with pytest.raises(base.ComputeError, match='No valid host'):
        nova_driver.NovaDriver._booted(server)
    assert not nova_driver.NovaDriver._booted(
        types.SimpleNamespace(id='s1', status='BUILD'))


class FakeImages:
    """The Image API's list, as a keystoneauth adapter returns it."""

    def __init__(self, images):
        self.images = images
        self.params = None

    def get(self, path, params):
        self.params = params
        return types.SimpleNamespace(json=lambda: {'images': self.images})


def _driver(images):
    clients = types.SimpleNamespace(image=FakeImages(images))
    return nova_driver.NovaDriver(clients=clients, sleep=lambda s: None)


def test_the_image_is_the_newest_with_every_tag():
    driver = _driver([{'id': 'new', 'tags': ['trove', 'mariadb']},
                      {'id': 'old', 'tags': ['trove', 'mariadb']}])
    spec = base.ServerSpec(name='db', flavor=None,
                           image_tags=('trove', 'mariadb'))
    assert driver._image_id(spec) == 'new'
    assert ('tag', 'mariadb') in driver.clients.image.params
    assert ('sort', 'created_at:desc') in driver.clients.image.params
    # The version's own image wins over tags.
    assert driver._image_id(base.ServerSpec(
        name='db', flavor=None, image_id='fixed')) == 'fixed'


def test_no_image_with_the_tags_is_a_clear_error():
    driver = _driver([{'id': 'other', 'tags': ['trove']}])
    with pytest.raises(base.ComputeError, match='no active image carries '
                                                'the tags trove, redis'):
        driver._image_id(base.ServerSpec(name='db', flavor=None,
                                         image_tags=('trove', 'redis')))
