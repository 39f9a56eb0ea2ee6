"""The user view: no passwords, no ignored databases."""

from trove_lite.api.views import users


def test_user_hides_passwords_and_ignored_databases():
    entry = {'name': 'u', 'host': None, 'password': 'secret',
             'databases': [{'name': 'app'}, {'name': 'sys'}]}
    assert users.user(entry, hidden_databases={'sys'}) == {
        'name': 'u', 'host': '%', 'databases': [{'name': 'app'}]}
