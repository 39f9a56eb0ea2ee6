"""Helpers that point the process-wide DB facade at a test database.

``cfg.CONF`` and trove_lite's enginefacade are process-wide; each helper
here undoes what it did, so tests stay independent of their order.
"""

import contextlib
import uuid

from oslo_config import cfg

from trove_lite.common import context as trove_context
from trove_lite import conf  # noqa: registers [database] on cfg.CONF
from trove_lite.db import api as db_api
from trove_lite.db import migration
from trove_lite.db import models

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


@db_api.writer
def add_backup(context, instance_id, state='NEW', schedule_id=None,
               parent_id=None, created=None, tenant_id='p', name='b'):
    """A backup row of ``instance_id`` (NEW unless ``state`` says
    otherwise); returns its id.
    """
    backup = models.Backup(id=str(uuid.uuid4()), name=name, state=state,
                           instance_id=instance_id, tenant_id=tenant_id,
                           schedule_id=schedule_id, parent_id=parent_id,
                           created=created or models.utcnow())
    context.session.add(backup)
    context.session.flush()
    return backup.id
