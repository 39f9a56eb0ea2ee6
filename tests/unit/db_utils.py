"""Helpers that point the process-wide DB facade at a test database.

``cfg.CONF`` and trove_lite's enginefacade are process-wide; each helper
here undoes what it did, so tests stay independent of their order.
"""

import contextlib
import time
import uuid

from oslo_config import cfg

from trove_lite.common import context as trove_context
from trove_lite.common import states
from trove_lite import conf  # noqa: registers [database] on cfg.CONF
from trove_lite.db import api as db_api
from trove_lite.db import migration
from trove_lite.db import models
from trove_lite.db.repositories import datastores
from trove_lite.db.repositories import instances

CONF = cfg.CONF


@contextlib.contextmanager
def database(url, migrate=False):
    """Use ``url`` as ``[database] connection`` inside the block."""
    CONF.set_override('connection', url, group='database')
    db_api.reset()
    db_api.configure()
    try:
        if migrate:
            migration.upgrade()
        yield url
    finally:
        db_api.reset()
        CONF.clear_override('connection', group='database')


def admin_context():
    return trove_context.get_admin_context()


def reset_cli():
    """Forget parsed arguments and the subcommand opts of our commands.

    oslo.config allows one subcommand opt per parser and no CLI opt
    registration after parsing, so every in-process ``main()`` test starts
    and ends here. (Not ``CONF.reset()``: it would also drop the defaults
    that trove_lite.conf sets, such as the embedded ``connection``.)
    """
    CONF.clear()
    for name in ('action', 'command'):
        # NOTE(tests): oslo.config has no public lookup of a registered
        # Opt object by name, which unregister_opt needs.
        info = CONF._opts.get(name)
        if info is not None:
            CONF.unregister_opt(info['opt'])


def add_active_instance(context, manager='fake', project='p1',
                        version='1.0'):
    """An ACTIVE instance row of datastore ``manager`` (created with its
    version when missing) whose guest last reported HEALTHY just now, as
    a finished build leaves it; no guest runs.
    """
    datastores.update_datastore(context, manager)
    version_row = datastores.upsert_version(context, manager, version,
                                            manager)
    row = instances.create(context, {
        'name': 'db-%s' % manager, 'tenant_id': project, 'flavor_id': '1',
        'volume_size': 1, 'datastore_version_id': version_row.id})
    instances.update(context, row.id, server_status=states.SERVER_ACTIVE)
    instances.finish(context, row.id, 'build_done', None)
    instances.record_heartbeat(context, row.id, time.time(),
                               states.SVC_HEALTHY, '0.1.0')
    return instances.get(context, row.id)


@db_api.writer
def add_backup(context, instance_id, state='NEW', tenant_id='p', **values):
    """A backup row of ``instance_id`` in ``state`` (a state's name);
    ``values`` set other columns (``parent_id``, ``datastore_version_id``,
    ``size``, ``created``...). Returns its id.
    """
    values.setdefault('name', 'b')
    backup = models.Backup(id=values.pop('id', None) or str(uuid.uuid4()),
                           state=state, instance_id=instance_id,
                           tenant_id=tenant_id, **values)
    context.session.add(backup)
    context.session.flush()
    return backup.id


@db_api.writer
def update_rows(context, model, match, **values):
    """Set ``values`` on the rows of ``model`` matching ``match`` (a
    dict), as a test arranges a state no API call reaches quickly.
    """
    return context.session.query(model).filter_by(**match).update(
        values, synchronize_session=False)
