"""Backup storage plugins (``base.Storage``) and building one."""

from oslo_config import cfg

from trove_lite.common import exception
from trove_lite.common import plugins


def load(description):
    """The storage plugin a backup's ``storage`` description names.

    :param description: ``{'driver': <name>, <the driver's options>}``
        (``base.py``).
    :raises: plugins.PluginNotFound for a driver that is not installed;
        exception.BackupStorageError when the description names none, or
        the driver refuses its options.
    """
    if not isinstance(description, dict) or not description.get('driver'):
        raise exception.BackupStorageError(
            storage='?', reason='the backup names no storage driver.')
    return plugins.load(cfg.CONF.backup.storage_namespace,
                        description['driver'],
                        option='[backup] storage_driver',
                        args=(description,))
