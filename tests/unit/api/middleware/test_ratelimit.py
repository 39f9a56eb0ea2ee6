"""The sliding-window rate limiter."""

import pytest

from trove_lite.api.middleware import ratelimit
from trove_lite.common import exception


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_window_slides(override):
    override('http_post_rate', 2)
    clock = Clock()
    limiter = ratelimit.RateLimiter(clock)
    limiter.hit('p', 'POST', '/instances')
    limiter.hit('p', 'POST', '/instances')
    with pytest.raises(exception.RateLimited) as err:
        limiter.hit('p', 'POST', '/instances')
    assert err.value.retry_after == 60
    clock.now += 30
    with pytest.raises(exception.RateLimited) as err:
        limiter.hit('p', 'POST', '/instances')
    assert err.value.retry_after == 30
    clock.now += 30
    limiter.hit('p', 'POST', '/instances')


def test_mgmt_post_has_its_own_limit(override):
    override('http_mgmt_post_rate', 1)
    limiter = ratelimit.RateLimiter(Clock())
    limiter.hit('p', 'POST', '/mgmt/quotas')
    limiter.hit('p', 'POST', '/instances')  # the general POST limit
    with pytest.raises(exception.RateLimited):
        limiter.hit('p', 'POST', '/mgmt/quotas')


def test_refused_requests_are_not_counted(override):
    override('http_get_rate', 1)
    limiter = ratelimit.RateLimiter(Clock())
    limiter.hit('p', 'GET', '/x')
    for _ in range(3):
        with pytest.raises(exception.RateLimited):
            limiter.hit('p', 'GET', '/x')
    get = [s for s in limiter.status('p') if s['verb'] == 'GET'][0]
    assert get['remaining'] == 0 and get['value'] == 1


@pytest.mark.parametrize('limit', ratelimit.LIMITS,
                         ids=[limit.option for limit in ratelimit.LIMITS])
def test_zero_is_no_limit(override, limit):
    # NOTE(issue13): http_get_rate = 0 answered every GET with a 500
    # IndexError; 0 reads as "no limit", and is that.
    override(limit.option, 0)
    limiter = ratelimit.RateLimiter(Clock())
    path = '/mgmt/x' if limit.regex == '^/mgmt' else '/x'
    for _ in range(5):
        limiter.hit('p', limit.verb, path)
    listed = [(s['verb'], s['regex']) for s in limiter.status('p')]
    assert (limit.verb, limit.regex) not in listed
    assert len(listed) == len(ratelimit.LIMITS) - 1


def test_a_limit_off_leaves_the_others_on(override):
    override('http_get_rate', 0)
    override('http_post_rate', 1)
    limiter = ratelimit.RateLimiter(Clock())
    limiter.hit('p', 'GET', '/x')
    limiter.hit('p', 'POST', '/x')
    with pytest.raises(exception.RateLimited):
        limiter.hit('p', 'POST', '/x')
    assert [s['verb'] for s in limiter.status('p')] == [
        'POST', 'PUT', 'DELETE', 'POST']
