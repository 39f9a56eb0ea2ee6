"""What every controller needs from the request."""

from trove_lite.api.middleware import context as context_mw
from trove_lite.common import exception
from trove_lite.common import policy


def context_of(req):
    return context_mw.get_context(req)


def authorize(req, rule, target=None):
    """Check a policy rule for the caller; returns the context."""
    ctx = context_of(req)
    policy.authorize(ctx, rule, target)
    return ctx


def require_admin(req, rule):
    """Management routes: admins only (401, as upstream), then policy."""
    ctx = context_of(req)
    if not ctx.is_admin:
        raise exception.AdminRequired()
    policy.authorize(ctx, rule)
    return ctx
