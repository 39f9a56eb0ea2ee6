"""Behaviour of the datastore repository on a migrated SQLite file."""

import pytest

from trove_lite.common import exception
from trove_lite.db.repositories import datastores as repo
from trove_lite.db.repositories import instances as instance_repo


def _mysql(ctx, active=True, name='8.0', version=None):
    repo.update_datastore(ctx, 'mysql')
    return repo.upsert_version(ctx, 'mysql', name, 'mysql',
                               active=active, version=version,
                               image_tags=['trove', 'mysql'])


class TestDatastores:

    def test_update_creates_once(self, ctx):
        first = repo.update_datastore(ctx, 'mysql')
        second = repo.update_datastore(ctx, 'mysql')
        assert first.id == second.id
        assert [d.name for d in repo.list_datastores(ctx)] == ['mysql']

    def test_get_by_id_or_name(self, ctx):
        created = repo.update_datastore(ctx, 'mysql')
        assert repo.get_datastore(ctx, created.id).name == 'mysql'
        assert repo.get_datastore(ctx, 'mysql').id == created.id

    def test_get_unknown_raises(self, ctx):
        with pytest.raises(exception.DatastoreNotFound):
            repo.get_datastore(ctx, 'nosuch')

    def test_default_version_set_and_cleared(self, ctx):
        version = _mysql(ctx)
        datastore = repo.update_datastore(ctx, 'mysql', '8.0')
        assert datastore.default_version_id == version.id
        datastore = repo.update_datastore(ctx, 'mysql', '')
        assert datastore.default_version_id is None

    def test_default_version_must_be_active(self, ctx):
        _mysql(ctx, active=False)
        with pytest.raises(exception.DatastoreVersionInactive):
            repo.update_datastore(ctx, 'mysql', '8.0')

    def test_default_version_must_exist(self, ctx):
        repo.update_datastore(ctx, 'mysql')
        with pytest.raises(exception.DatastoreVersionNotFound):
            repo.update_datastore(ctx, 'mysql', '9.9')

    def test_only_active_lists_datastores_with_active_versions(
            self, ctx):
        _mysql(ctx, active=False)
        repo.update_datastore(ctx, 'redis')
        assert repo.list_datastores(ctx, only_active=True) == []
        _mysql(ctx, active=True)
        assert [d.name for d in repo.list_datastores(
            ctx, only_active=True)] == ['mysql']

    def test_delete_refuses_while_versions_exist(self, ctx):
        version = _mysql(ctx)
        with pytest.raises(exception.DatastoreVersionsExist):
            repo.delete_datastore(ctx, 'mysql')
        repo.delete_version(ctx, version.id)
        repo.delete_datastore(ctx, 'mysql')
        assert repo.list_datastores(ctx) == []


class TestVersions:

    def test_upsert_requires_datastore(self, ctx):
        with pytest.raises(exception.DatastoreNotFound):
            repo.upsert_version(ctx, 'nosuch', '8.0', 'mysql')

    def test_upsert_is_keyed_by_name_and_version(self, ctx):
        first = _mysql(ctx)
        again = repo.upsert_version(ctx, 'mysql', '8.0', 'mysql',
                                    image_id='img', active=False)
        assert again.id == first.id
        assert again.image_id == 'img'
        assert again.active is False
        other = _mysql(ctx, version='8.0.36')
        assert other.id != first.id
        assert len(repo.list_versions(ctx)) == 2

    def test_upsert_defaults(self, ctx):
        version = _mysql(ctx)
        assert version.version == '8.0'
        assert version.image_tags == 'trove,mysql'
        assert version.registry_ext == 'mysql'
        assert version.repl_strategy == ''
        assert version.image_id is None

    def test_get_version_by_id_name_and_number(self, ctx):
        version = _mysql(ctx, name='8.0', version='8.0.36')
        datastore_id = version.datastore_id
        for key in (version.id, '8.0', '8.0.36'):
            assert repo.get_version(ctx, datastore_id, key).id == \
                version.id

    def test_same_name_needs_a_version_number(self, ctx):
        _mysql(ctx, version='8.0.35')
        wanted = _mysql(ctx, version='8.0.36')
        with pytest.raises(exception.DatastoreVersionsNoUniqueMatch):
            repo.get_version(ctx, wanted.datastore_id, '8.0')
        found = repo.get_version(ctx, wanted.datastore_id, '8.0',
                                 version_number='8.0.36')
        assert found.id == wanted.id

    def test_delete_version_clears_default_and_constraints(self, ctx):
        version = _mysql(ctx)
        repo.update_datastore(ctx, 'mysql', '8.0')
        repo.add_version_metadata(ctx, version.id, repo.FLAVOR_KEY,
                                  ['1'])
        repo.delete_version(ctx, version.id)
        assert repo.get_datastore(ctx, 'mysql').default_version_id \
            is None
        assert repo.list_version_metadata(ctx, version.id,
                                          repo.FLAVOR_KEY) == []

    def test_delete_version_refuses_a_version_in_use(self, ctx, flavor):
        # NOTE(issue13): found by tests/unit/api/test_fuzz.py: the foreign
        # key of an instance refused the delete, a 500.
        version = _mysql(ctx)
        instance_repo.create(ctx, {
            'name': 'db', 'tenant_id': 'p1', 'flavor_id': flavor.id,
            'volume_size': 1, 'datastore_version_id': version.id})
        with pytest.raises(exception.DatastoreVersionInUse) as caught:
            repo.delete_version(ctx, version.id)
        assert 'used by instances' in str(caught.value)
        assert repo.get_version_by_id(ctx, version.id).id == version.id


class TestVersionMetadata:

    def test_add_list_delete_and_revive(self, ctx):
        version = _mysql(ctx)
        repo.add_version_metadata(ctx, version.id, repo.FLAVOR_KEY,
                                  ['1', '2'])
        assert sorted(repo.list_version_metadata(
            ctx, version.id, repo.FLAVOR_KEY)) == ['1', '2']
        repo.delete_version_metadata(ctx, version.id, repo.FLAVOR_KEY,
                                     '1')
        assert repo.list_version_metadata(
            ctx, version.id, repo.FLAVOR_KEY) == ['2']
        repo.add_version_metadata(ctx, version.id, repo.FLAVOR_KEY,
                                  ['1'])
        assert sorted(repo.list_version_metadata(
            ctx, version.id, repo.FLAVOR_KEY)) == ['1', '2']

    def test_duplicate_is_an_error(self, ctx):
        version = _mysql(ctx)
        repo.add_version_metadata(ctx, version.id, repo.FLAVOR_KEY,
                                  ['1'])
        with pytest.raises(exception.DatastoreFlavorAssociationAlreadyExists):
            repo.add_version_metadata(ctx, version.id, repo.FLAVOR_KEY,
                                      ['1'])

    def test_delete_missing_is_an_error(self, ctx):
        version = _mysql(ctx)
        with pytest.raises(exception.DatastoreFlavorAssociationNotFound):
            repo.delete_version_metadata(ctx, version.id,
                                         repo.FLAVOR_KEY, '1')

    def test_keys_are_separate(self, ctx):
        version = _mysql(ctx)
        repo.add_version_metadata(ctx, version.id, repo.VOLUME_TYPE_KEY,
                                  ['ssd'])
        assert repo.list_version_metadata(ctx, version.id,
                                          repo.FLAVOR_KEY) == []


class TestConfigurationParameters:

    RULES = [
        {'name': 'max_connections', 'restart_required': False,
         'type': 'integer', 'min': 1, 'max': 100000},
        {'name': 'character_set_server', 'restart_required': False,
         'type': 'string'},
    ]

    def test_load_upserts_and_lists_by_name(self, ctx):
        version = _mysql(ctx)
        assert repo.load_configuration_parameters(
            ctx, version.id, self.RULES) == 2
        changed = dict(self.RULES[0], max=500, restart_required=True)
        repo.load_configuration_parameters(ctx, version.id, [changed])
        rows = repo.list_configuration_parameters(ctx, version.id)
        assert [r.name for r in rows] == ['character_set_server',
                                          'max_connections']
        assert (rows[1].max_size, rows[1].min_size,
                rows[1].restart_required) == ('500', '1', True)
        assert rows[0].max_size is None
        assert rows[0].data_type == 'string'

    def test_delete_removes_only_that_version(self, ctx):
        version = _mysql(ctx)
        other = _mysql(ctx, name='5.7')
        repo.load_configuration_parameters(ctx, version.id, self.RULES)
        repo.load_configuration_parameters(ctx, other.id, self.RULES)
        assert repo.delete_configuration_parameters(ctx,
                                                    version.id) == 2
        assert repo.list_configuration_parameters(ctx, version.id) == []
        assert len(repo.list_configuration_parameters(ctx,
                                                      other.id)) == 2
