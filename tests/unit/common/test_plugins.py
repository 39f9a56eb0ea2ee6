"""Tests for loading plugins by name."""

import pytest

from trove_lite.common import exception
from trove_lite.common import plugins
from trove_lite.compute import base as compute_base
from trove_lite.compute.fake import driver as fake_driver
from trove_lite.guestagent.datastores.mysql import manifest as mysql_manifest


def test_names_lists_installed_plugins_sorted():
    names = plugins.names(plugins.GUEST_DATASTORES)
    assert names == tuple(sorted(names))
    assert {'fake', 'mariadb', 'mysql', 'postgresql', 'redis'} <= set(names)


def test_load_builds_the_plugin():
    loaded = plugins.load(plugins.DATASTORE_MANIFESTS, 'mysql')
    assert isinstance(loaded, mysql_manifest.Manifest)


def test_load_without_invoking_returns_the_class():
    assert plugins.load(plugins.DATASTORE_MANIFESTS, 'mysql',
                        invoke=False) is mysql_manifest.Manifest


def test_unknown_name_names_namespace_name_option_and_installed():
    with pytest.raises(plugins.PluginNotFound) as caught:
        plugins.load(compute_base.NAMESPACE, 'nova-ish',
                     option='[DEFAULT] compute_driver')
    message = str(caught.value)
    installed = plugins.names(compute_base.NAMESPACE)
    assert {'fake', 'local'} <= set(installed)
    assert message == (
        "No plugin 'nova-ish' in namespace trove_lite.compute.drivers (from "
        "[DEFAULT] compute_driver); installed: %s." % ', '.join(installed))
    assert isinstance(caught.value, exception.TroveLiteError)


def test_unset_name_and_empty_namespace():
    with pytest.raises(plugins.PluginNotFound) as caught:
        plugins.load('trove_lite.no_such_namespace', None)
    assert str(caught.value) == (
        'No plugin None in namespace trove_lite.no_such_namespace; '
        'installed: none.')


def test_a_plugin_that_cannot_be_built_is_a_load_failure():
    # The local driver needs its ``launcher``.
    with pytest.raises(plugins.PluginLoadFailed) as caught:
        plugins.load(compute_base.NAMESPACE, 'local', option='[x] y',
                     kwargs={'no_such_argument': 1})
    message = str(caught.value)
    assert "Plugin 'local' of namespace trove_lite.compute.drivers " \
           "(from [x] y) cannot be loaded: TypeError" in message


def test_our_own_errors_pass_through(monkeypatch):
    class Refusing:
        def __init__(self):
            raise exception.GuestError(message='refused by the plugin')

    monkeypatch.setattr(fake_driver, 'FakeDriver', Refusing)
    with pytest.raises(exception.GuestError) as caught:
        plugins.load(compute_base.NAMESPACE, 'fake')
    assert str(caught.value) == 'refused by the plugin'
