"""Quota limits: a ``quotas`` row overrides the configured default."""

from oslo_config import cfg

from trove_lite.db import api as db_api
from trove_lite.db import models

# resource name -> option holding its default limit
RESOURCES = {
    'instances': 'max_instances_per_tenant',
    'ram': 'max_ram_per_tenant',
    'volumes': 'max_volumes_per_tenant',
    'backups': 'max_backups_per_tenant',
}


@db_api.reader
def get_limits(context, project_id):
    """Hard limits of a project, ``{resource: limit}``; -1 is unlimited."""
    limits = {resource: getattr(cfg.CONF, option)
              for resource, option in RESOURCES.items()}
    rows = context.session.query(models.Quota).filter_by(
        tenant_id=project_id)
    for row in rows:
        if row.resource in limits:
            limits[row.resource] = row.hard_limit
    return limits
