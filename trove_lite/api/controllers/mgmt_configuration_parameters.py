"""Configuration parameter rules of a datastore version (management API,
admins only).

The one-rule-at-a-time counterpart of ``trove-lite-manage
db_load_datastore_config_parameters``. A rule is checked as a rules file
entry is (``common.validation_rules``); as upstream, an integer rule
needs both bounds, a create answers 200 with the rule (unwrapped) and a
delete of a rule that does not exist is a 400.
"""

from trove_lite.api.controllers import base
from trove_lite.api.schemas import common as schema
from trove_lite.api.schemas import mgmt_configuration_parameters as schemas
from trove_lite.api.views import configuration_parameters as views
from trove_lite.api import wsgi
from trove_lite.common import exception
from trove_lite.common import validation_rules
from trove_lite.db.repositories import datastores as repo

WRAPPER = 'configuration-parameters'


def _bound(spec, key):
    value = spec.get(key)
    if value is None or isinstance(value, (int, float)):
        return value
    try:
        number = float(value)
    except ValueError:
        raise exception.ConfigurationParameterInvalid(
            reason='%s %r is not a number' % (key, value))
    return int(number) if number == int(number) else number


def _rule(body):
    """The ``validation_rules`` shape of a request's rule.

    :raises ConfigurationParameterInvalid: an inconsistent rule (400).
    """
    spec = schema.validate(schemas.parameter, body)['configuration-parameter']
    rule = {'name': spec['name'],
            'restart_required': bool(spec['restart_required']),
            'type': spec['data_type']}
    for key, bound in (('min', 'min_size'), ('max', 'max_size')):
        value = _bound(spec, bound)
        if value is not None:
            rule[key] = value
    if rule['type'] == 'integer' and not ('min' in rule and 'max' in rule):
        raise exception.ConfigurationParameterInvalid(
            reason='an integer parameter needs both min_size and max_size')
    problem = validation_rules.rule_problem(rule)
    if problem is not None:
        raise exception.ConfigurationParameterInvalid(reason=problem)
    return rule


class MgmtConfigurationParameterController:

    def index(self, req, body, version_id):
        ctx = base.require_admin(req, 'mgmt:configuration_parameter:index')
        version = repo.get_version_by_id(ctx, version_id)
        return {WRAPPER: [views.mgmt_parameter(row) for row in
                          repo.list_configuration_parameters(ctx,
                                                             version.id)]}

    def show(self, req, body, version_id, name):
        ctx = base.require_admin(req, 'mgmt:configuration_parameter:show')
        version = repo.get_version_by_id(ctx, version_id)
        return views.mgmt_parameter(repo.get_configuration_parameter(
            ctx, version.id, name))

    def create(self, req, body, version_id):
        ctx = base.require_admin(req, 'mgmt:configuration_parameter:create')
        rule = _rule(body)
        return views.mgmt_parameter(repo.create_configuration_parameter(
            ctx, repo.get_version_by_id(ctx, version_id).id, rule))

    def update(self, req, body, version_id, name):
        ctx = base.require_admin(req, 'mgmt:configuration_parameter:update')
        rule = _rule(body)
        if rule['name'] != name:
            raise exception.ConfigurationParameterInvalid(
                reason='the body names %r, the URL %r' % (rule['name'],
                                                          name))
        return views.mgmt_parameter(repo.update_configuration_parameter(
            ctx, repo.get_version_by_id(ctx, version_id).id, rule))

    def delete(self, req, body, version_id, name):
        ctx = base.require_admin(req, 'mgmt:configuration_parameter:delete')
        version = repo.get_version_by_id(ctx, version_id)
        repo.delete_configuration_parameter(ctx, version.id, name)
        return wsgi.Response(204)
