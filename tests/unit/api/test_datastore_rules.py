import pytest

from trove_lite.api import datastore_rules
from trove_lite.common import exception


def test_initial_databases_and_users_are_normalised():
    rules = datastore_rules.DatastoreRules('mysql')
    databases, users = rules.initial(
        [{'name': 'app', 'character_set': 'utf8mb4'}],
        [{'name': 'u', 'password': 'pw', 'databases': [{'name': 'app'}]}])
    assert databases == [{'name': 'app', 'character_set': 'utf8mb4'}]
    assert users == [{'name': 'u', 'host': '%', 'password': 'pw',
                      'databases': [{'name': 'app'}]}]


def test_ignored_names_come_from_the_datastore_group(override):
    override('ignore_users', ['reserved_user'], group='postgresql')
    rules = datastore_rules.DatastoreRules('postgresql')
    with pytest.raises(exception.BadValue):
        rules.user('reserved_user')
    assert rules.user('app') == ('app', '%')


@pytest.mark.parametrize('name', ['postgres', 'root', 'os_admin'])
def test_postgresql_reserves_its_superusers_and_root(name):
    rules = datastore_rules.DatastoreRules('postgresql')
    # Upstream's [postgresql] ignore_users, and the manifest's own rule.
    assert name in rules.ignored_users
    with pytest.raises(exception.BadValue):
        rules.user(name)
    with pytest.raises(exception.BadValue):
        rules.initial([], [{'name': name, 'password': 'pw'}])


def test_features_come_from_the_manifest():
    rules = datastore_rules.DatastoreRules('redis')
    assert rules.root_on_create
    with pytest.raises(exception.DatastoreFeatureNotSupported):
        rules.initial([], [{'name': 'u', 'password': 'p'}])
    assert rules.initial([], []) == ([], [])


def test_a_datastore_without_group_or_manifest():
    rules = datastore_rules.DatastoreRules('cassandra')
    assert rules.password_length == datastore_rules.DEFAULT_PASSWORD_LENGTH
    assert not rules.root_on_create
    with pytest.raises(exception.DatastoreFeatureNotSupported):
        rules.require('databases')
