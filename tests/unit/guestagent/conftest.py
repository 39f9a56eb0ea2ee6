"""Fixtures shared by the guest agent's tests."""

import pytest

from trove_lite.common import plugins
from trove_lite.conf import datastores as datastores_conf


@pytest.fixture
def backup_plugins(monkeypatch, override):
    """``{name: strategy}``: what the backup namespace holds for the test
    (the ``fake`` datastore's strategies are set to ``file``); other
    namespaces load as usual.
    """
    override('backup_strategy', 'file', group='fake')
    override('backup_incremental_strategy', 'file', group='fake')
    installed = {}
    real_load = plugins.load

    def load(namespace, name, option=None, args=()):
        if namespace != datastores_conf.BACKUP_NAMESPACE:
            return real_load(namespace, name, option=option, args=args)
        if name not in installed:
            raise plugins.PluginNotFound(
                name=name, namespace=namespace, source=option,
                installed=', '.join(installed))
        assert args == (installed[name].manager,)
        return installed[name]

    monkeypatch.setattr(plugins, 'load', load)
    return installed
