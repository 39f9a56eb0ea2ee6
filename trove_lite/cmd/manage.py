"""``trove-lite-manage``: the operator's tool for the infrastructure database.

The subcommands and their positional arguments are upstream
``trove-manage``'s (an oslo.config ``SubCommandOpt`` named ``action``), so
deployment tooling that registers datastores with ``trove-manage`` works by
changing the command's name. What differs, on purpose:

* Every command says what it did on stdout. A mistake is one line on
  stderr and a non-zero exit status (1; 2 for usage errors), never a
  traceback: these commands run from deployment scripts that must notice.
* Re-running a command with the same values succeeds, because deployment
  scripts are re-run (``flavor_create`` with the same id but other values
  is an error, not a silent change).
* Commands other than ``db_sync`` refuse to touch a database whose schema
  is not current.
* ``flavor_create``/``flavor_list``/``flavor_delete`` manage the flavors of
  the local compute driver (on a cloud, Nova owns flavors).

Handlers live in ``trove_lite.cmd.manage_commands``; this module parses
the command line and turns outcomes into exit statuses.
"""

import sys

from oslo_config import cfg
from oslo_db import exception as db_exc
from oslo_log import log as logging
from sqlalchemy import exc as sa_exc

from trove_lite.cmd import common
from trove_lite.cmd import manage_commands
from trove_lite.common import context as trove_context
from trove_lite.common import exception
from trove_lite.db import migration

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2

ACTION_OPT = cfg.SubCommandOpt(
    'action', title='Commands', help='Available commands',
    handler=manage_commands.add_parsers)


def _error(message):
    print('ERROR: %s' % message, file=sys.stderr)


def _parse(argv):
    """Register the ``action`` subcommand and parse CLI and config files.

    :raises SystemExit: argparse's exit for ``--help`` or a usage error.
    :raises cfg.Error: a config file is missing or malformed.
    """
    # NOTE(reentrancy): clearing lets main() run more than once in a
    # process (tests); registering the same opt object again is a no-op.
    CONF.clear()
    CONF.register_cli_opt(ACTION_OPT)
    # NOTE(output): alembic narrates every connection at INFO; db_sync
    # prints its own summary, so keep alembic for --debug.
    logging.set_defaults(default_log_levels=logging.get_default_log_levels()
                         + ['alembic=WARN'])
    # NOTE(keys): operator commands neither seal nor store instance keys.
    common.init_process(argv, check_secret=False)


def _require_current_schema():
    """:raises CommandError: the database is not at the head revision."""
    current = migration.current_revision()
    head = migration.head_revision()
    if current != head:
        raise manage_commands.CommandError(
            'The infrastructure database schema is at revision %s but this '
            'code needs %s; run trove-lite-manage db_sync first.'
            % (current or 'none (empty database)', head))


def _run(args):
    """Run the chosen handler; map its outcome to an exit status."""
    command = manage_commands.COMMANDS[args.name]
    context = trove_context.get_admin_context()
    try:
        if command.needs_current_schema:
            _require_current_schema()
        command.handler(context, args)
    except (manage_commands.CommandError, exception.TroveLiteError) as error:
        _error(error)
        return EXIT_ERROR
    except (db_exc.DBError, sa_exc.SQLAlchemyError) as error:
        LOG.debug('Database error in %s', args.name, exc_info=True)
        _error('database error: %s' % error)
        return EXIT_ERROR
    except Exception as error:  # noqa: never show the operator a traceback
        LOG.debug('Unexpected error in %s', args.name, exc_info=True)
        _error('%s failed: %s: %s (run with --debug for details)'
               % (args.name, type(error).__name__, error))
        return EXIT_ERROR
    return EXIT_OK


def main(argv=None):
    """Entry point of ``trove-lite-manage``; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        _parse(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    except cfg.Error as error:
        _error(error)
        return EXIT_USAGE
    if not CONF.action.name:
        _error('no command given; see trove-lite-manage --help')
        return EXIT_USAGE
    return _run(CONF.action)
