"""What configuration group requests go through: the values checked
against the version's rules, and the groups' values carried to guests.

Values (``check_values``) are checked as upstream checks them, all
failures 422: the version must have rules, a key must be one of its
parameters (case-insensitive; stored under the rule's own name), its
JSON type must be the rule's (``integer``: a whole number, ``float``: any
number, ``boolean``: true or false, ``string``: a string), and a number
must lie within the rule's bounds.

A change that reaches servers (``apply_group``) happens only when every
instance it reaches is ready for it, and either all of them take it or
none keeps it: a guest that refuses (or does not answer) makes the
instances already changed take their previous values back, and the
request fails with the guest's error. A parameter whose rule says
``restart_required`` (or that the guest could not change live) puts the
instance in RESTART_REQUIRED until it restarts.
"""

import json

from oslo_log import log as logging

from trove_lite.api import guest_requests
from trove_lite.common import context
from trove_lite.common import exception
from trove_lite.common import states
from trove_lite.common import utils
from trove_lite.db.repositories import configurations as config_repo
from trove_lite.db.repositories import datastores as datastore_repo
from trove_lite.db.repositories import flavors as flavor_repo
from trove_lite.db.repositories import instances as instance_repo

LOG = logging.getLogger(__name__)

# The stored value (JSON) must fit configuration_parameters' column.
MAX_VALUE_LENGTH = 128
_TYPES = {
    'integer': (lambda value: isinstance(value, int)
                and not isinstance(value, bool), 'an integer'),
    'float': (lambda value: isinstance(value, (int, float))
              and not isinstance(value, bool), 'a number'),
    'boolean': (lambda value: isinstance(value, bool), 'true or false'),
    'string': (lambda value: isinstance(value, str), 'a string'),
}


def _invalid(reason):
    return exception.ConfigurationValueInvalid(reason=reason)


def rules_of(ctx, version, required=True):
    """``{lower-case name: rule row}`` of a version.

    :raises ConfigurationValueInvalid: it has none (422), unless not
        ``required``.
    """
    rules = {row.name.lower(): row for row in
             datastore_repo.list_configuration_parameters(ctx, version.id)}
    if required and not rules:
        raise _invalid('Datastore version %s (%s) has no configuration '
                       'parameters: configuration groups cannot be used '
                       'with it.' % (version.name, version.id))
    return rules


def check_values(ctx, version, values):
    """``values`` under the rules' names, checked.

    :raises ConfigurationValueInvalid: an unknown key, a value of the
        wrong type or out of bounds, or a version without rules (422).
    """
    rules = rules_of(ctx, version)
    checked = {}
    for key, value in values.items():
        rule = rules.get(key.lower())
        if rule is None:
            raise _invalid('The configuration parameter %s is not '
                           'supported by datastore version %s.'
                           % (key, version.name))
        checked[rule.name] = _checked(rule, value)
    return checked


def _checked(rule, value):
    accepts, what = _TYPES.get(rule.data_type, _TYPES['string'])
    if not accepts(value):
        raise _invalid('The value %s of configuration parameter %s must '
                       'be %s.' % (json.dumps(value), rule.name, what))
    if rule.data_type in ('integer', 'float'):
        for bound, beyond in ((rule.min_size, lambda b: value < b),
                              (rule.max_size, lambda b: value > b)):
            if bound not in (None, '') and beyond(float(bound)):
                raise _invalid(
                    'The value %s of configuration parameter %s is %s '
                    'than its %s %s.' % (
                        value, rule.name,
                        'less' if bound == rule.min_size else 'greater',
                        'minimum' if bound == rule.min_size else 'maximum',
                        _number(bound)))
    if isinstance(value, str) and (
            len(json.dumps(value)) > MAX_VALUE_LENGTH or
            any(char in value for char in '\r\n\x00')):
        raise _invalid('The value of configuration parameter %s must be '
                       'one line of at most %d characters.'
                       % (rule.name, MAX_VALUE_LENGTH - 2))
    return value


def _number(text):
    number = float(text)
    return int(number) if number == int(number) else number


# -- instances ----------------------------------------------------------------

def check_attachable(ctx, row):
    """Upstream's attach and detach gate: the server ACTIVE and no task.

    :raises InvalidInstanceState: it is not (400).
    """
    task = states.task(row.task_id)
    if row.server_status != states.SERVER_ACTIVE or \
            task is not states.NONE or row.lock_holder:
        raise exception.InvalidInstanceState(
            uuid=row.id, status=states.api_status(row.task_id,
                                                  row.server_status))


def load_group(ctx, reference):
    """The group a request names by id or href (what troveclient sends),
    of the caller's project (any project for an admin).

    :raises ConfigurationNotFound: no such group (404).
    """
    group_id = str(reference).rstrip('/').rsplit('/', 1)[-1]
    return config_repo.get(ctx, group_id,
                           project_id=context.lookup_project(ctx))


def check_version(group, version_id, instance_id='(new)'):
    """:raises ConfigurationDatastoreMismatch: the group is for another
    datastore version than ``version_id``, the instance's (400).
    """
    if group.datastore_version_id != version_id:
        raise exception.ConfigurationDatastoreMismatch(
            uuid=group.id, group_version=group.datastore_version_id,
            instance_id=instance_id, instance_version=version_id)


def apply_to_instance(ctx, row, new, old, rules):
    """Carry a group's values to one instance's guest.

    :param new: the values it must have now (``{}``: none).
    :param old: the values it had.
    :param rules: ``rules_of`` its version (or ``{}``).
    :raises: what the guest raises (as upstream faults).
    """
    flavor = flavor_repo.get_flavor(ctx, row.flavor_id)
    done = guest_requests.Guest(ctx, row).apply_configuration(
        new, flavor.ram)
    changed = utils.changed_keys(old, new)
    pending = set((done or {}).get('pending_restart') or []) | {
        key for key in changed
        if key.lower() in rules and rules[key.lower()].restart_required}
    if pending:
        LOG.info('Instance %s needs a restart for %s', row.id,
                 ', '.join(sorted(pending)))
        instance_repo.set_service_status(ctx, row.id,
                                         states.SVC_RESTART_REQUIRED)
    return sorted(pending)


def apply_group(ctx, rows, new, old, rules):
    """Carry a group's change to every instance of ``rows``; all or none.

    :raises InstanceNotReady: one of them is not ready (422); nothing
        was changed.
    :raises: what a guest raised; the instances changed before it were
        given ``old`` back.
    """
    for row in rows:
        guest_requests.check_ready(ctx, row)
    changed = []
    for row in rows:
        try:
            apply_to_instance(ctx, row, new, old, rules)
        except Exception:
            for done in reversed(changed):
                try:
                    apply_to_instance(ctx, done, old, new, rules)
                except Exception:
                    LOG.exception('Instance %s keeps the new values of its '
                                  'configuration group: they could not be '
                                  'taken back', done.id)
            raise
        changed.append(row)


def values_of(ctx, group_id):
    return config_repo.values(ctx, group_id) if group_id else {}
