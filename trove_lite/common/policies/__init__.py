"""Policy defaults in code, one module per resource (oslo.policy)."""

import itertools

from trove_lite.common.policies import backup_schedules
from trove_lite.common.policies import backups
from trove_lite.common.policies import base
from trove_lite.common.policies import configuration_parameters
from trove_lite.common.policies import configurations
from trove_lite.common.policies import databases
from trove_lite.common.policies import datastores
from trove_lite.common.policies import flavors
from trove_lite.common.policies import instances
from trove_lite.common.policies import limits
from trove_lite.common.policies import quotas
from trove_lite.common.policies import root
from trove_lite.common.policies import users


def list_rules():
    """Every default rule; the ``oslo.policy.policies`` entry point."""
    return list(itertools.chain(
        base.list_rules(),
        datastores.list_rules(),
        configuration_parameters.list_rules(),
        configurations.list_rules(),
        flavors.list_rules(),
        instances.list_rules(),
        backups.list_rules(),
        limits.list_rules(),
        quotas.list_rules(),
        databases.list_rules(),
        users.list_rules(),
        root.list_rules(),
        backup_schedules.list_rules(),
    ))
