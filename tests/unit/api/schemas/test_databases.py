"""The bodies of the databases routes (upstream's schemas)."""

import pytest

from trove_lite.api.schemas import common
from trove_lite.api.schemas import databases
from trove_lite.common import exception


@pytest.mark.parametrize('schema, body', [
    (databases.create, {'databases': [{'name': 'a', 'character_set': 'x',
                                       'collate': 'y', 'extra': 1}]}),
    (databases.create, {'databases': []}),
])
def test_accepted(schema, body):
    assert common.validate(schema, body) == body


@pytest.mark.parametrize('schema, body, text', [
    (databases.create, {'databases': [{'name': ''}]}, "databases[0]['name']"),
    (databases.create, {}, "'databases' is a required property"),
])
def test_refused(schema, body, text):
    with pytest.raises(exception.ValidationError) as caught:
        common.validate(schema, body)
    assert text in str(caught.value)
