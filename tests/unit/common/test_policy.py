import pytest

from trove_lite.cmd import common
from trove_lite.common import context
from trove_lite.common import exception
from trove_lite.common import policy

RULE = 'instance:index'


@pytest.fixture(autouse=True)
def parsed():
    # NOTE(tests): oslo.policy finds its file through the parsed config;
    # the in-process command tests leave it unparsed.
    common.CONF([], project='trove-lite', default_config_files=[])


def _member():
    return context.RequestContext(user_id='u', project_id='p',
                                  roles=['member'])


def test_policy_file_changes_apply_after_the_reload_interval(
        override, tmp_path, monkeypatch):
    rules = tmp_path / 'policy.yaml'
    rules.write_text('"%s": "role:member"\n' % RULE)
    policy.get_enforcer()  # registers [oslo_policy]
    policy.reset()
    override('policy_file', str(rules), group='oslo_policy')
    monkeypatch.setattr(policy, 'RELOAD_INTERVAL', 3600)
    policy.authorize(_member(), RULE)

    rules.write_text('"%s": "role:admin"\n' % RULE)
    # Within the interval the file is not looked at again...
    policy.authorize(_member(), RULE)
    # ...and once it is over, the edit applies without a restart.
    policy.get_enforcer()._next_check = 0.0
    with pytest.raises(exception.PolicyNotAuthorized):
        policy.authorize(_member(), RULE)


def test_a_policy_file_can_bring_back_the_old_default(override, tmp_path):
    # An operator's policy.yaml written for upstream's admin_or_owner
    # keeps meaning what it meant: here a reader may delete again.
    reader = context.RequestContext(user_id='u', project_id='p',
                                    roles=['reader'])
    with pytest.raises(exception.PolicyNotAuthorized):
        policy.authorize(reader, 'instance:delete')
    rules = tmp_path / 'policy.yaml'
    rules.write_text('"instance:delete": "rule:admin_or_owner"\n')
    policy.reset()
    override('policy_file', str(rules), group='oslo_policy')
    policy.authorize(reader, 'instance:delete')
    with pytest.raises(exception.PolicyNotAuthorized):
        policy.authorize(reader, 'instance:create')


def test_the_enforcer_is_ours():
    assert isinstance(policy.get_enforcer(), policy.Enforcer)


def test_remembered_decisions_are_per_target_and_credentials():
    enforcer = policy.get_enforcer()
    # NOTE(roles): as Keystone's implied roles give them.
    owner = context.RequestContext(user_id='u', project_id='p',
                                   roles=['member', 'reader'])
    other = context.RequestContext(user_id='u', project_id='q',
                                   roles=['member', 'reader'])
    for _ in range(2):  # the second round answers from memory
        policy.authorize(owner, RULE, {'tenant': 'p'})
        with pytest.raises(exception.PolicyNotAuthorized):
            policy.authorize(other, RULE, {'tenant': 'p'})
        with pytest.raises(exception.PolicyNotAuthorized):
            policy.authorize(owner, RULE, {'tenant': 'q'})
    assert len(enforcer._decisions) >= 3


def test_an_unknown_rule_is_an_error_every_time():
    for _ in range(2):
        with pytest.raises(Exception) as caught:
            policy.authorize(_member(), 'no:such:rule')
        assert 'no:such:rule' in str(caught.value)
