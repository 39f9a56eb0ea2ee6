"""The embedded shape's first-start registration."""

import json

from trove_lite.common import validation_rules
from trove_lite.compute.local import bootstrap
from trove_lite.compute.local import discovery
from trove_lite.db.repositories import datastores as datastore_repo
from trove_lite.db.repositories import flavors as flavor_repo

MARIADB = discovery.HostDatastore(datastore='mariadb', version='10.11',
                                  manager='mariadb',
                                  binary='/usr/sbin/mariadbd')


def _rules(ctx, name, version):
    found = datastore_repo.get_version(
        ctx, datastore_repo.get_datastore(ctx, name).id, version)
    return {rule.name: rule for rule in
            datastore_repo.list_configuration_parameters(ctx, found.id)}


def test_a_detected_datastore_is_registered_with_its_shipped_rules(ctx):
    assert bootstrap.register_host_datastores(ctx, [MARIADB]) == ['mariadb']
    datastore = datastore_repo.get_datastore(ctx, 'mariadb')
    [version] = datastore_repo.list_versions(ctx, datastore.id)
    assert datastore.default_version_id == version.id
    assert (version.name, version.manager, version.active) == (
        '10.11', 'mariadb', True)
    rules = _rules(ctx, 'mariadb', '10.11')
    shipped = validation_rules.load(validation_rules.shipped('mariadb'))
    assert set(rules) == {rule['name'] for rule in shipped}
    assert rules['max_connections'].data_type == 'integer'
    assert rules['max_connections'].restart_required is False


def test_registration_changes_nothing_an_operator_registered(ctx):
    datastore_repo.update_datastore(ctx, 'mariadb')
    datastore_repo.upsert_version(ctx, 'mariadb', '10.6', 'mariadb',
                                  active=True)
    assert bootstrap.register_host_datastores(ctx, [MARIADB]) == []
    datastore = datastore_repo.get_datastore(ctx, 'mariadb')
    assert [v.name for v in datastore_repo.list_versions(
        ctx, datastore.id)] == ['10.6']
    assert _rules(ctx, 'mariadb', '10.6') == {}


def test_the_rules_directories_are_configurable(ctx, tmp_path, override):
    (tmp_path / 'mariadb').mkdir()
    (tmp_path / 'mariadb' / 'validation-rules.json').write_text(json.dumps(
        {'configuration-parameters': [{'name': 'only_this',
                                       'restart_required': True,
                                       'type': 'string'}]}))
    override('validation_rules_dirs', [str(tmp_path / 'missing'),
                                       str(tmp_path)])
    bootstrap.register_host_datastores(ctx, [MARIADB])
    assert list(_rules(ctx, 'mariadb', '10.11')) == ['only_this']


def test_a_manager_without_shipped_rules_is_registered_without(
        ctx, tmp_path, override, caplog):
    override('validation_rules_dirs', [str(tmp_path)])
    assert bootstrap.register_host_datastores(ctx, [MARIADB]) == ['mariadb']
    assert _rules(ctx, 'mariadb', '10.11') == {}
    assert 'No configuration parameter rules are shipped for the mariadb' \
        in caplog.text


def test_default_flavors_only_on_an_empty_catalogue(ctx):
    assert bootstrap.ensure_default_flavors(ctx) == 4
    assert bootstrap.ensure_default_flavors(ctx) == 0
    assert [f.name for f in flavor_repo.list_flavors(ctx)] == [
        'm1.tiny', 'm1.small', 'm1.medium', 'm1.large']
