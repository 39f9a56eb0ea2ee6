"""Policy enforcement: one enforcer per process, defaults from code."""

import threading

from oslo_config import cfg
from oslo_policy import policy

from trove_lite.common import exception
from trove_lite.common import policies

_ENFORCER = None
_LOCK = threading.Lock()


def get_enforcer():
    """Return the process's enforcer (also the oslo.policy entry point)."""
    global _ENFORCER
    with _LOCK:
        if _ENFORCER is None:
            _ENFORCER = policy.Enforcer(cfg.CONF)
            _ENFORCER.register_defaults(policies.list_rules())
    return _ENFORCER


def reset():
    """Forget the enforcer, so the next call rereads config (tests)."""
    global _ENFORCER
    with _LOCK:
        _ENFORCER = None


def authorize(context, rule, target=None):
    """Check ``rule`` for ``context``.

    :param target: the object acted on; defaults to the caller's project,
        which is what list and create requests are checked against.
    :raises PolicyNotAuthorized: the rule denies the request (403).
    """
    target = target if target is not None else {'tenant': context.project_id}
    credentials = context.to_policy_values()
    try:
        get_enforcer().authorize(rule, target, credentials,
                                 do_raise=True)
    except policy.PolicyNotAuthorized:
        raise exception.PolicyNotAuthorized(action=rule)


def check_is_admin(context):
    """Whether the policy calls ``context`` an administrator."""
    return get_enforcer().authorize(
        'context_is_admin', {}, context.to_policy_values())
