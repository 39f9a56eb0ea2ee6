"""Tests for loading datastore managers from entry points."""

import pytest

from trove_lite.common import exception
from trove_lite.guestagent import datastores
from trove_lite.guestagent.datastores.mysql import manager as mysql_manager
from trove_lite.guestagent import info as guest_info


@pytest.mark.parametrize('name', ['mysql', 'mariadb'])
def test_mysql_family_entry_points(name, tmp_path):
    info = guest_info.GuestInfo(guest_id='a', datastore_manager=name,
                                instance_dir=str(tmp_path))
    manager = datastores.load_manager(info)
    assert isinstance(manager, mysql_manager.Manager)
    assert manager.info is info


def test_unknown_manager():
    info = guest_info.GuestInfo(guest_id='a', datastore_manager='db2')
    with pytest.raises(exception.GuestError) as caught:
        datastores.load_manager(info)
    assert 'db2' in str(caught.value)


def test_manager_that_cannot_be_built():
    # The MySQL manager needs an instance directory.
    info = guest_info.GuestInfo(guest_id='a', datastore_manager='mysql')
    with pytest.raises(exception.GuestError) as caught:
        datastores.load_manager(info)
    assert 'instance_dir' in str(caught.value)
