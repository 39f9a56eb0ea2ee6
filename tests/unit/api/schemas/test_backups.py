"""The backup bodies: what upstream's client sends passes, the rest is a
validation error.
"""

import pytest

from trove_lite.api.schemas import backups
from trove_lite.api.schemas import common
from trove_lite.common import exception

UUID = '8b1f5e9c-8a43-4b4a-9b7e-0f1f2a3b4c5d'


@pytest.mark.parametrize('backup', [
    {'name': 'b', 'incremental': 0, 'instance': UUID},
    {'name': 'b', 'incremental': 1, 'instance': UUID, 'description': 'd',
     'parent_id': UUID, 'swift_container': 'c', 'storage_driver': 'swift'},
    {'name': 'b', 'restore_from': {'remote_location': 'http://s/c/o',
                                   'local_datastore_version_id': UUID,
                                   'size': 0.2}},
    {'name': 'b'},  # refused by the controller, with upstream's text
])
def test_create_accepts(backup):
    common.validate(backups.create, {'backup': backup})


@pytest.mark.parametrize('backup', [
    {}, {'name': ''}, {'name': 'b', 'instance': 'x'},
    {'name': 'b', 'incremental': True}, {'name': 'b', 'incremental': 2},
    {'name': 'b', 'parent_id': 'x'}, {'name': 'b', 'description': ''},
    {'name': 'b', 'restore_from': {'remote_location': 'x'}},
])
def test_create_refuses(backup):
    with pytest.raises(exception.ValidationError):
        common.validate(backups.create, {'backup': backup})


def test_strategy_create():
    common.validate(backups.strategy_create, {'backup_strategy': {
        'swift_container': 'c', 'instance_id': UUID}})
    for bad in ({}, {'swift_container': 'c', 'backend': 'x'},
                {'swift_container': 'c', 'instance_id': 'x'}):
        with pytest.raises(exception.ValidationError):
            common.validate(backups.strategy_create,
                            {'backup_strategy': bad})
