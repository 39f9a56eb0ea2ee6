"""``trove-lite-status upgrade check``: pre-flight checks for operators.

oslo.upgradecheck runs each check and prints a table; the exit status is
the worst result (0 success, 1 warning, 2 failure, 255 if a check itself
crashed), so deployment tools can gate a rollout on it. The checks read
the infrastructure database only; they never change it.
"""

import sys

from oslo_config import cfg
from oslo_db import exception as db_exc
from oslo_upgradecheck import upgradecheck
from sqlalchemy.engine import url as sa_url
from sqlalchemy import exc as sa_exc

from trove_lite.common import context as trove_context
from trove_lite import conf  # noqa: registers the option groups on CONF
from trove_lite.db import migration
from trove_lite.db.repositories import datastores as ds_repo

CONF = cfg.CONF
Code = upgradecheck.Code
Result = upgradecheck.Result

DB_ERRORS = (db_exc.DBError, sa_exc.SQLAlchemyError)


class Checks(upgradecheck.UpgradeCommands):
    """The upgrade checks of trove_lite."""

    def _check_schema(self):
        """The infrastructure database is at the head revision."""
        try:
            current = migration.current_revision()
        except DB_ERRORS as error:
            return Result(Code.FAILURE, 'Cannot read the infrastructure '
                          'database (%s): %s' % (_safe_url(), error))
        head = migration.head_revision()
        if current != head:
            return Result(Code.FAILURE, 'The database schema is at revision '
                          '%s but this code needs %s; run '
                          '"trove-lite-manage db_sync".'
                          % (current or 'none (empty database)', head))
        return Result(Code.SUCCESS, 'Schema at revision %s.' % head)

    def _check_datastores(self):
        """At least one datastore has an active version."""
        try:
            if not migration.is_current():
                return Result(Code.WARNING, 'Not checked: the database '
                              'schema is not current.')
            active = ds_repo.list_datastores(
                trove_context.get_admin_context(), only_active=True)
        except DB_ERRORS as error:
            return Result(Code.WARNING, 'Not checked: %s' % error)
        if not active:
            return Result(Code.WARNING, 'No datastore with an active version '
                          'is registered; users cannot create instances. '
                          'Register one with "trove-lite-manage '
                          'datastore_update" and "datastore_version_update".')
        return Result(Code.SUCCESS, 'Datastores with an active version: %s.'
                      % ', '.join(sorted(ds.name for ds in active)))

    _upgrade_checks = (
        ('Database schema is current', _check_schema),
        ('Datastore with an active version registered', _check_datastores),
    )


def _safe_url():
    """``[database] connection`` without its password, for messages."""
    try:
        return sa_url.make_url(CONF.database.connection).render_as_string(
            hide_password=True)
    except sa_exc.ArgumentError:
        return '[database] connection'


def main(argv=None):
    """Entry point of ``trove-lite-status``; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    return upgradecheck.main(CONF, project='trove-lite',
                             upgrade_command=Checks(), argv=argv)
