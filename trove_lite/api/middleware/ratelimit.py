"""Per-project request rate limits, in memory, as upstream keeps them.

Each limit allows ``value`` requests of one verb per minute (a sliding
window); POST under /mgmt has its own limit. A limit set to 0 is no limit,
as an operator reading ``http_get_rate = 0`` would take it: nothing is
counted against it and ``/limits`` does not list it. Like upstream, the counters
live in the API process: several API processes (the workers of one
trove-lite-api included) each allow the full rate.
The ``/limits`` view reads the same limiter through the request environ.
"""

import collections
import datetime
import threading
import time

from oslo_config import cfg

from trove_lite.api.middleware import base
from trove_lite.api.middleware import context as context_mw
from trove_lite.common import exception

LIMITER_ENV = 'trove_lite.rate_limiter'
WINDOW = 60.0

Limit = collections.namedtuple('Limit', 'verb uri regex option')

LIMITS = (
    Limit('POST', '*', '.*', 'http_post_rate'),
    Limit('PUT', '*', '.*', 'http_put_rate'),
    Limit('DELETE', '*', '.*', 'http_delete_rate'),
    Limit('GET', '*', '.*', 'http_get_rate'),
    Limit('POST', '*/mgmt', '^/mgmt', 'http_mgmt_post_rate'),
)


class RateLimiter:
    """Sliding one-minute windows keyed by (project, limit)."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._hits = collections.defaultdict(collections.deque)
        self._lock = threading.Lock()

    @staticmethod
    def applicable(verb, path):
        """The limits a request of ``verb`` on ``path`` counts against."""
        mgmt = path.startswith('/mgmt')
        return [limit for limit in LIMITS if limit.verb == verb and (
            limit.regex != '^/mgmt' or mgmt)]

    def _trim(self, hits, now):
        while hits and now - hits[0] >= WINDOW:
            hits.popleft()

    @staticmethod
    def _enforced(limits):
        """``(limit, allowed)`` of each of ``limits`` that is not off (0)."""
        found = []
        for limit in limits:
            allowed = getattr(cfg.CONF, limit.option)
            if allowed:
                found.append((limit, allowed))
        return found

    def hit(self, project, verb, path):
        """Count a request.

        :raises RateLimited: a limit is used up; nothing is counted.
        """
        now = self._clock()
        with self._lock:
            limits = self._enforced(self.applicable(verb, path))
            for limit, allowed in limits:
                hits = self._hits[(project, limit)]
                self._trim(hits, now)
                if len(hits) >= allowed:
                    retry = max(1, int(WINDOW - (now - hits[0]) + 0.999))
                    raise exception.RateLimited(
                        details='Only %d %s request(s) can be made to %s '
                                'every minute.' % (allowed, limit.verb,
                                                   limit.uri),
                        retry_after=retry)
            for limit, _ in limits:
                self._hits[(project, limit)].append(now)

    def status(self, project):
        """What each limit allows now: dicts in upstream's limits shape."""
        now = self._clock()
        wall = time.time()
        result = []
        with self._lock:
            for limit, allowed in self._enforced(LIMITS):
                hits = self._hits.get((project, limit), collections.deque())
                self._trim(hits, now)
                remaining = max(0, allowed - len(hits))
                next_at = wall if remaining else wall + (
                    WINDOW - (now - hits[0]))
                result.append({
                    'verb': limit.verb, 'uri': limit.uri,
                    'regex': limit.regex, 'value': allowed,
                    'remaining': remaining, 'unit': 'MINUTE',
                    'nextAvailable': _iso(next_at)})
        return result


def _iso(seconds):
    moment = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


class RateLimit(base.Middleware):
    """Count each request against its project's limits."""

    def __init__(self, application, limiter=None):
        super().__init__(application)
        self.limiter = limiter or RateLimiter()

    def process_request(self, req):
        ctx = context_mw.get_context(req)
        req.environ[LIMITER_ENV] = self.limiter
        path = req.path_info
        # path_info is /<project>/...; the limits look at what follows.
        rest = '/' + path.strip('/').partition('/')[2]
        self.limiter.hit(ctx.project_id, req.method, rest)
