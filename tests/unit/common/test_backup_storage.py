"""Tests for describing and loading backup storage (control plane side).

Swift with ``swift_auth = static`` is tested against the real Swift in
tests/functional/test_backup_swift.py.
"""

import pytest

from trove_lite.common import backup_storage
from trove_lite.common import context
from trove_lite.common import exception
from trove_lite.common import plugins
from trove_lite.guestagent import storage as storage_plugins
from trove_lite.guestagent.storage import swift

URL = 'http://swift.example:8080/v1/AUTH_demo'


def user_context(catalog, token='user-token'):
    return context.RequestContext(user_id='u', project_id='demo',
                                  auth_token=token, service_catalog=catalog)


def v2_catalog(region='RegionOne', url=URL):
    """The shape keystonemiddleware hands on in X-Service-Catalog."""
    return [
        {'type': 'database', 'name': 'trove', 'endpoints': [
            {'region': region, 'publicURL': 'http://trove.example'}]},
        {'type': 'object-store', 'name': 'swift', 'endpoints': [
            {'region': region, 'publicURL': url,
             'internalURL': url.replace('swift.', 'swift-int.'),
             'adminURL': 'http://swift-admin.example:8080/v1'}]},
    ]


def v3_catalog(region='RegionOne'):
    return [{'type': 'object-store', 'name': 'swift', 'endpoints': [
        {'interface': 'public', 'region_id': region, 'region': region,
         'url': URL},
        {'interface': 'internal', 'region_id': region, 'region': region,
         'url': URL.replace('swift.', 'swift-int.')}]}]


def test_local(override):
    override('local_storage_path', '/srv/backups', group='backup')

    assert backup_storage.describe(None, driver='local') == {
        'driver': 'local', 'path': '/srv/backups'}


def test_default_driver_is_the_configured_one(override):
    override('storage_driver', 'local', group='backup')

    assert backup_storage.describe(None)['driver'] == 'local'


def test_other_driver_configures_itself():
    assert backup_storage.describe(None, driver='ceph-ish') == {
        'driver': 'ceph-ish'}


@pytest.mark.parametrize('catalog', [v2_catalog(), v3_catalog()])
def test_keystone_takes_the_users_token_and_endpoint(catalog):
    described = backup_storage.describe(user_context(catalog),
                                        driver='swift')

    assert described == {'driver': 'swift', 'container': 'database_backups',
                         'storage_url': URL, 'auth_token': 'user-token'}


@pytest.mark.parametrize('catalog', [v2_catalog(), v3_catalog()])
def test_keystone_endpoint_type(override, catalog):
    override('swift_endpoint_type', 'internalURL', group='backup')

    described = backup_storage.describe(user_context(catalog),
                                        driver='swift', container='mine')

    assert described['storage_url'] == URL.replace('swift.', 'swift-int.')
    assert described['container'] == 'mine'


def test_keystone_region(override):
    override('os_region_name', 'RegionTwo')
    catalog = v2_catalog() + [{'type': 'object-store', 'endpoints': [
        {'region': 'RegionTwo', 'publicURL': 'http://two.example/v1/x'}]}]

    assert backup_storage.describe(user_context(catalog), driver='swift')[
        'storage_url'] == 'http://two.example/v1/x'


def test_keystone_endpoint_of_another_region_only(override):
    override('os_region_name', 'RegionTwo')

    with pytest.raises(exception.BackupStorageError) as caught:
        backup_storage.describe(user_context(v3_catalog()), driver='swift')

    message = str(caught.value)
    assert 'no public object-store endpoint in region RegionTwo' in message
    assert 'RegionOne' in message


def test_keystone_endpoint_without_region_matches_any():
    catalog = [{'type': 'object-store', 'endpoints': [{'publicURL': URL}]}]

    assert backup_storage.describe(user_context(catalog), driver='swift')[
        'storage_url'] == URL


def test_keystone_without_object_store():
    catalog = v2_catalog()[:1]

    with pytest.raises(exception.BackupStorageError) as caught:
        backup_storage.describe(user_context(catalog), driver='swift')

    assert 'no object-store (Swift) endpoint' in str(caught.value)
    assert 'swift_auth = static' in str(caught.value)


def test_keystone_without_token():
    with pytest.raises(exception.BackupStorageError) as caught:
        backup_storage.describe(user_context(v2_catalog(), token=None),
                                driver='swift')

    assert 'no Keystone token' in str(caught.value)


def test_static_names_missing_options(override):
    override('swift_auth', 'static', group='backup')
    override('swift_user', 'test:tester', group='backup')

    with pytest.raises(exception.BackupStorageError) as caught:
        backup_storage.describe(None, driver='swift')

    assert 'swift_auth_url, swift_key' in str(caught.value)


def test_load_swift():
    loaded = storage_plugins.load({'driver': 'swift', 'container': 'c',
                                  'storage_url': URL, 'auth_token': 't'})

    assert isinstance(loaded, swift.SwiftStorage)
    assert loaded.container == 'c'


def test_load_swift_without_token():
    with pytest.raises(exception.BackupStorageError) as caught:
        storage_plugins.load({'driver': 'swift', 'container': 'c',
                             'storage_url': URL})

    assert 'lacks auth_token' in str(caught.value)


def test_load_unknown_driver():
    with pytest.raises(plugins.PluginNotFound) as caught:
        storage_plugins.load({'driver': 'tape'})

    assert '[backup] storage_driver' in str(caught.value)
    assert 'trove_lite.guestagent.storage' in str(caught.value)
