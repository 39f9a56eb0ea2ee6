"""Generated passwords."""

from trove_lite.common import utils


def test_generate_password():
    first = utils.generate_password(36)
    assert len(first) == 36 and first.isalnum() and first.isascii()
    assert utils.generate_password(36) != first
