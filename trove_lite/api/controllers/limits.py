"""Absolute and rate limits of the caller's project."""

from trove_lite.api.controllers import base
from trove_lite.api.middleware import ratelimit
from trove_lite.api.views import limits as views
from trove_lite.db.repositories import quotas as quota_repo


class LimitsController:

    def index(self, req, body):
        ctx = base.authorize(req, 'limits:index')
        limiter = req.environ.get(ratelimit.LIMITER_ENV)
        rates = limiter.status(ctx.project_id) if limiter else []
        return views.limits(quota_repo.get_limits(ctx, ctx.project_id),
                            rates)
