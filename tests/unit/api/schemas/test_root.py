"""The bodies of the root routes (upstream's schemas)."""

import pytest

from trove_lite.api.schemas import common
from trove_lite.api.schemas import root
from trove_lite.common import exception


@pytest.mark.parametrize('schema, body', [
    (root.create, {}),
    (root.create, {'password': 'p'}),
])
def test_accepted(schema, body):
    assert common.validate(schema, body) == body


@pytest.mark.parametrize('schema, body, text', [
    (root.create, {'password': ''}, 'password'),
])
def test_refused(schema, body, text):
    with pytest.raises(exception.ValidationError) as caught:
        common.validate(schema, body)
    assert text in str(caught.value)
