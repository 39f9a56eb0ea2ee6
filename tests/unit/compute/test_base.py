"""The compute driver interface: what every driver must offer."""

import dataclasses

import pytest

from trove_lite.compute import base
from trove_lite.compute.fake import driver as fake_driver
from trove_lite.compute.local import driver as local_driver

INTERFACE = frozenset([
    'create_server', 'delete_server', 'server_status', 'console_output',
    'create_volume', 'attach_volume', 'extend_volume', 'delete_volume',
    'create_server_group', 'delete_server_group', 'list_flavors',
    'get_flavor', 'resize_server', 'apply_access'])


def test_the_interface_and_its_documentation():
    assert base.ComputeDriver.__abstractmethods__ == INTERFACE
    for name in INTERFACE:
        doc = getattr(base.ComputeDriver, name).__doc__
        assert ':returns:' in doc or ':raises:' in doc, name


def test_adoption_is_not_the_interfaces_business():
    assert not hasattr(base.ComputeDriver, 'adopt_servers')
    assert callable(local_driver.LocalDriver.adopt_servers)


@pytest.mark.parametrize('driver', [fake_driver.FakeDriver,
                                    local_driver.LocalDriver])
def test_every_driver_implements_it(driver):
    assert not driver.__abstractmethods__


def test_a_spec_says_what_a_nova_driver_needs_and_hides_its_files():
    fields = {field.name for field in dataclasses.fields(base.ServerSpec)}
    assert fields == {
        'name', 'flavor', 'image_id', 'image_tags', 'networks',
        'management_networks', 'security_groups', 'service_ports', 'availability_zone',
        'server_group_id', 'volume', 'files', 'metadata', 'user_data',
        'config_drive', 'access'}
    spec = base.ServerSpec(name='db', flavor=None,
                           files={base.GUEST_INFO_PATH: 'instance_key = k'})
    assert 'instance_key' not in repr(spec)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = 'other'


@pytest.mark.parametrize('access, expect', [
    (None, base.AccessSpec(False, (), (3306,))),
    ({}, base.AccessSpec(False, (), (3306,))),
    ({'is_public': True}, base.AccessSpec(True, (), (3306,))),
    # Normalized networks, in order, without repeats; is_public defaults
    # to False as upstream's ``access.get('is_public', False)``.
    ({'allowed_cidrs': ['10.1.2.3/8', '192.0.2.7', '10.0.0.0/8']},
     base.AccessSpec(False, ('10.0.0.0/8', '192.0.2.7/32'), (3306,))),
])
def test_an_access_spec_is_what_the_access_means(access, expect):
    assert base.AccessSpec.of(access, ['3306']) == expect
