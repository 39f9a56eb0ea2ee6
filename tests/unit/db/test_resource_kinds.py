"""The registry of resource kinds."""

import pytest

from trove_lite.db import models
from trove_lite.db.repositories import resource_locks
from trove_lite.db import resource_kinds


def test_instances_backups_and_clusters_are_registered():
    names = [kind.name for kind in resource_kinds.registered()]
    assert names[:3] == ['instance', 'backup', 'cluster']
    assert resource_kinds.get('backup').task_column == 'state'


def test_a_name_is_registered_once():
    resource_kinds.register(resource_kinds.INSTANCE)  # the same: fine
    impostor = resource_locks.ResourceKind(resource_kinds.INSTANCE.machine,
                                           models.Backup)
    with pytest.raises(ValueError):
        resource_kinds.register(impostor)
    assert resource_kinds.get('instance') is resource_kinds.INSTANCE
