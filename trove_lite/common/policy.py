"""Policy enforcement: one enforcer per process, defaults from code.

The defaults (``common/policies``) tell the reader, member and admin
personas apart, and each keeps upstream's older ``admin_or_owner``-style
default as an oslo.policy deprecated rule. oslo.policy ORs a deprecated
default with the new one unless ``[oslo_policy] enforce_new_defaults`` is
true, and that would let a reader change things again (any role in the
project passes ``admin_or_owner``). So the enforcer pins that option's
default to true, whatever the library's release defaults it to; an
operator who needs the old behaviour during an upgrade sets it to false.

Every rule is scoped to projects (``scope_types``); oslo.policy refuses a
system- or domain-scoped token for them, which is a 403 like any other
refusal.
"""

import threading
import time

from oslo_config import cfg
from oslo_policy import opts
from oslo_policy import policy

from trove_lite.common import exception
from trove_lite.common import policies

_ENFORCER = None
_LOCK = threading.Lock()
# Seconds between two looks for a changed policy file.
RELOAD_INTERVAL = 1.0
# Decisions remembered between two looks at the rules.
MAX_DECISIONS = 10000


class Enforcer(policy.Enforcer):
    """oslo.policy's enforcer, looking for policy file changes at most once
    per ``RELOAD_INTERVAL``.

    oslo.policy looks for the file on every check (and, when there is
    none, searches every config directory for it): about a millisecond,
    twice per request. An operator's edit of ``policy.yaml`` still applies
    within a second, without a restart.
    """

    _next_check = 0.0
    _decisions = None

    def load_rules(self, force_reload=False):
        now = time.monotonic()
        if not force_reload and self.rules and now < self._next_check:
            return
        self._next_check = now + RELOAD_INTERVAL
        super().load_rules(force_reload)
        # The rules may have changed: decide everything afresh.
        self._decisions = {}

    def decide(self, rule, target, credentials):
        """Whether ``rule`` allows ``credentials`` on ``target``.

        Decisions are remembered until the rules are next looked at
        (``RELOAD_INTERVAL``): oslo.policy inspects the signature of every
        check it runs, which cost more than the rest of a list request's
        policy work, and one API process sees the same few (rule, roles,
        project) combinations over and over.

        :raises PolicyNotRegistered: ``rule`` is not a registered rule.
        """
        self.load_rules()
        key = _decision_key(rule, target, credentials)
        decisions = self._decisions
        if key is None or decisions is None:
            return self._evaluate(rule, target, credentials)
        decision = decisions.get(key)
        if decision is None:
            decision = self._evaluate(rule, target, credentials)
            if len(decisions) < MAX_DECISIONS:
                decisions[key] = decision
        return decision

    def _evaluate(self, rule, target, credentials):
        try:
            return bool(self.authorize(rule, target, credentials))
        except policy.InvalidScope:
            # A token of the wrong scope (system, domain) is refused.
            return False


def _frozen(value):
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return value


def _decision_key(rule, target, credentials):
    """A hashable key of one decision, or None when there is none."""
    try:
        key = (rule,
               tuple(sorted((k, _frozen(v)) for k, v in target.items())),
               tuple(sorted((k, _frozen(v))
                            for k, v in credentials.items())))
        hash(key)
    except TypeError:
        return None
    return key


def get_enforcer():
    """Return the process's enforcer (also the oslo.policy entry point)."""
    global _ENFORCER
    with _LOCK:
        if _ENFORCER is None:
            opts.set_defaults(cfg.CONF, enforce_new_defaults=True)
            _ENFORCER = Enforcer(cfg.CONF)
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
    if not get_enforcer().decide(rule, target, credentials):
        raise exception.PolicyNotAuthorized(action=rule)


def check_is_admin(context):
    """Whether the policy calls ``context`` an administrator."""
    return get_enforcer().decide('context_is_admin', {},
                                 context.to_policy_values())
