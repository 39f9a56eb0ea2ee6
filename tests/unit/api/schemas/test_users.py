"""The bodies of the users routes (upstream's schemas)."""

import pytest

from trove_lite.api.schemas import common
from trove_lite.api.schemas import users
from trove_lite.common import exception


@pytest.mark.parametrize('schema, body', [
    (users.create, {'users': [{'name': 'u', 'password': 'p',
                               'host': '10.0.%',
                               'databases': [{'name': 'a'}]}]}),
    (users.update, {'user': {'password': 'p'}}),
    (users.grant, {'databases': [{'name': 'a'}, {'name': 'b'}]}),
])
def test_accepted(schema, body):
    assert common.validate(schema, body) == body


@pytest.mark.parametrize('schema, body, text', [
    (users.create, {'users': [{'name': 'u'}]}, "'password' is a required"),
    (users.create, {'users': [{'name': 'u', 'password': 'p',
                               'host': 'a b'}]}, "users[0]['host']"),
    (users.update, {'user': {}}, 'should be non-empty'),
    (users.grant, {'databases': [{'name': 'a'}, {'name': 'a'}]},
     'non-unique'),
])
def test_refused(schema, body, text):
    with pytest.raises(exception.ValidationError) as caught:
        common.validate(schema, body)
    assert text in str(caught.value)
