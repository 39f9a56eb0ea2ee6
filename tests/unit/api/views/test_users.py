"""Views of users, databases and root: only the fields upstream shows."""

import datetime
import types

from trove_lite.api.views import databases
from trove_lite.api.views import root
from trove_lite.api.views import users


def test_database_shows_only_the_name():
    assert databases.databases([{'name': 'a', 'character_set': 'utf8'}]) == [
        {'name': 'a'}]


def test_user_hides_passwords_and_ignored_databases():
    entry = {'name': 'u', 'host': None, 'password': 'secret',
             'databases': [{'name': 'app'}, {'name': 'sys'}]}
    assert users.user(entry, hidden_databases={'sys'}) == {
        'name': 'u', 'host': '%', 'databases': [{'name': 'app'}]}


def test_root_views():
    assert root.root_user('root', 'pw') == {
        'user': {'name': 'root', 'password': 'pw'}}
    assert root.root_enabled(None) == {'rootEnabled': False}
    row = types.SimpleNamespace(
        created=datetime.datetime(2024, 5, 1, 12, 0, 0, 123), user=None)
    assert root.root_history('i1', row) == {'root_history': {
        'id': 'i1', 'enabled': '2024-05-01T12:00:00', 'user': 'Nobody'}}
