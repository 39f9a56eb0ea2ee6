"""What an instance's access means."""

import pytest

from trove_lite.common import access
from trove_lite.common import exception


@pytest.mark.parametrize('given, meant', [
    (None, access.DEFAULT),
    ({}, access.DEFAULT),
    ({'is_public': True}, access.Access(True, ())),
    # Upstream reads a missing is_public as False.
    ({'allowed_cidrs': ['192.0.2.9']}, access.Access(False,
                                                     ('192.0.2.9/32',))),
    ({'is_public': False, 'allowed_cidrs': ['10.9.8.7/8', '10.0.0.0/8',
                                            '127.0.0.2/32']},
     access.Access(False, ('10.0.0.0/8', '127.0.0.2/32'))),
])
def test_effective(given, meant):
    assert access.effective(given) == meant


@pytest.mark.parametrize('cidrs', [[], None, ['0.0.0.0/0'],
                                   ['10.1.2.3/8', '192.0.2.1']])
def test_good_cidrs_pass(cidrs):
    access.check_cidrs(cidrs)


@pytest.mark.parametrize('cidr', ['256.0.0.1', '10.0.0.0/33', '1.2.3',
                                  '01.2.3.4', '::1', '', 'x'])
def test_bad_cidrs_are_400_naming_the_value(cidr):
    with pytest.raises(exception.BadRequest) as raised:
        access.check_cidrs(['10.0.0.0/8', cidr])
    assert raised.value.code == 400
    assert repr(cidr) in str(raised.value)


def test_stored_as_json_and_none_for_none():
    assert access.load(access.dump({'is_public': True})) == {
        'is_public': True}
    assert access.dump(None) is None and access.load(None) is None
