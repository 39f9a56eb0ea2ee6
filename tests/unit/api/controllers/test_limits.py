"""The limits route: quota limits, then the live rate limits."""

from trove_lite.db import api as db_api
from trove_lite.db import models


def test_absolute_limits_come_from_config(client, override):
    override('max_instances_per_tenant', 3)
    absolute = client.v1('GET', '/limits').json['limits'][0]
    assert absolute == {'verb': 'ABSOLUTE', 'max_instances': 3,
                        'max_ram': -1, 'max_backups': 50,
                        'max_volumes': 40}


def test_quota_row_overrides_default(client, ctx):
    with db_api.writer.using(ctx) as session:
        session.add(models.Quota(id='q1', tenant_id='p1',
                                 resource='volumes', hard_limit=7))
    absolute = client.v1('GET', '/limits').json['limits'][0]
    assert absolute['max_volumes'] == 7


def test_rate_limits_count_requests(client, override):
    override('http_get_rate', 5)
    client.v1('GET', '/flavors')
    rates = client.v1('GET', '/limits').json['limits'][1:]
    get = [r for r in rates if r['verb'] == 'GET'][0]
    assert get['value'] == 5 and get['unit'] == 'MINUTE'
    assert get['remaining'] == 3  # two GETs so far, this one included
    assert len(rates) == 5


def test_a_rate_of_zero_is_no_limit(client, override):
    override('http_get_rate', 0)
    for _ in range(3):
        assert client.v1('GET', '/flavors').status_int == 200
    rates = client.v1('GET', '/limits').json['limits'][1:]
    assert 'GET' not in [r['verb'] for r in rates]
    assert len(rates) == 4
