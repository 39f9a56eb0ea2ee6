"""Validation itself: every violation, and no crash on any document."""

import sys

import pytest

from trove_lite.api.schemas import common
from trove_lite.api.schemas import instances
from trove_lite.common import exception


def test_every_violation_is_named():
    with pytest.raises(exception.ValidationError) as caught:
        common.validate(instances.create, {'instance': {'name': ''}})
    assert "instance['name']" in str(caught.value)


def test_no_body_is_a_bad_request():
    with pytest.raises(exception.BadRequest):
        common.validate(instances.create, None)


def test_a_document_too_deep_to_walk_is_a_validation_error():
    # NOTE(limits): the API refuses such a body before validation
    # (wsgi.MAX_BODY_DEPTH); a caller that did not would get a 500
    # RecursionError from jsonschema's messages without the guard.
    deep = 'x'
    for _ in range(sys.getrecursionlimit()):
        deep = [deep]
    with pytest.raises(exception.ValidationError) as caught:
        common.validate(instances.create, {'instance': deep})
    assert 'nested too deeply' in str(caught.value)
