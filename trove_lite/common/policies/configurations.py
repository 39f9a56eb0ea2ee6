"""Policy rules for configuration groups (upstream's names).

A group's target is its owner's project; a list or a create is checked
against the caller's. Attaching one to an instance is ``instance:update``
(as upstream); reading the defaults an instance would have is
``instance:configuration``.
"""

from trove_lite.common.policies import base

PATH = '/v1.0/{project_id}/configurations'
GROUP = PATH + '/{configuration_id}'

rules = [
    base.member('configuration:create', 'Create a configuration group.',
                base.op('POST', PATH)),
    base.reader('configuration:index', 'List configuration groups.',
                base.op('GET', PATH)),
    base.reader('configuration:show', 'Show a configuration group.',
                base.op('GET', GROUP)),
    base.reader('configuration:instances',
                'List the instances a configuration group is attached to.',
                base.op('GET', GROUP + '/instances')),
    base.member('configuration:edit',
                'Merge values into a configuration group (and its '
                'instances).', base.op('PATCH', GROUP)),
    base.member('configuration:update',
                'Replace the values of a configuration group (and of its '
                'instances).', base.op('PUT', GROUP)),
    base.member('configuration:delete', 'Delete a configuration group.',
                base.op('DELETE', GROUP)),
    base.reader('instance:configuration',
                'Show the configuration defaults of an instance.',
                base.op('GET', '/v1.0/{project_id}/instances/{instance_id}'
                               '/configuration')),
]


def list_rules():
    return rules
