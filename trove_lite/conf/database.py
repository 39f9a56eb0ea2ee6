"""[database]: oslo.db's options, with the embedded default connection."""

from oslo_config import cfg
from oslo_db import options as db_options

# NOTE(embedded): the default keeps the infrastructure database in a SQLite
# file under state_path so that trove-lite-all runs with no config at all.
DEFAULT_CONNECTION = 'sqlite:///$state_path/trove_lite.sqlite'

migration_opts = [
    cfg.StrOpt('migrations_path',
               help='Directory of the alembic environment. Unset means the '
                    'migrations/ directory of the source tree, or the one '
                    'installed under <prefix>/share/trove-lite.'),
]


def register_opts(conf):
    db_options.set_defaults(conf, connection=DEFAULT_CONNECTION)
    conf.register_opts(migration_opts, group='database')


def list_opts():
    # oslo.db publishes its own options under the oslo.db namespace; only
    # ours are listed here.
    return {'database': migration_opts}
