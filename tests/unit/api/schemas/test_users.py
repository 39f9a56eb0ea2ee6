"""The bodies of the database, user and root routes (upstream's schemas)."""

import pytest

from trove_lite.api.schemas import common
from trove_lite.api.schemas import databases
from trove_lite.api.schemas import root
from trove_lite.api.schemas import users
from trove_lite.common import exception


@pytest.mark.parametrize('schema, body', [
    (databases.create, {'databases': [{'name': 'a', 'character_set': 'x',
                                       'collate': 'y', 'extra': 1}]}),
    (databases.create, {'databases': []}),
    (users.create, {'users': [{'name': 'u', 'password': 'p',
                               'host': '10.0.%',
                               'databases': [{'name': 'a'}]}]}),
    (users.update, {'user': {'password': 'p'}}),
    (users.grant, {'databases': [{'name': 'a'}, {'name': 'b'}]}),
    (root.create, {}),
    (root.create, {'password': 'p'}),
])
def test_accepted(schema, body):
    assert common.validate(schema, body) == body


@pytest.mark.parametrize('schema, body, text', [
    (databases.create, {'databases': [{'name': ''}]}, "databases[0]['name']"),
    (databases.create, {}, "'databases' is a required property"),
    (users.create, {'users': [{'name': 'u'}]}, "'password' is a required"),
    (users.create, {'users': [{'name': 'u', 'password': 'p',
                               'host': 'a b'}]}, "users[0]['host']"),
    (users.update, {'user': {}}, 'should be non-empty'),
    (users.grant, {'databases': [{'name': 'a'}, {'name': 'a'}]},
     'non-unique'),
    (root.create, {'password': ''}, 'password'),
])
def test_refused(schema, body, text):
    with pytest.raises(exception.ValidationError) as caught:
        common.validate(schema, body)
    assert text in str(caught.value)
