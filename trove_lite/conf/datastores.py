"""Per-datastore groups ``[mysql]``, ``[mariadb]``, ``[postgresql]``,
``[redis]`` (upstream's names and defaults).

They tune what the API shows and offers for instances of that datastore
manager: accounts and schemas hidden from listings (and refused on
create), whether root is enabled at create time, and how long generated
passwords are. What a datastore can do at all is not configuration but
its manifest (``guestagent/datastores/<family>/manifest.py``).
"""

from oslo_config import cfg

# (group, ignore_users, ignore_dbs, root_on_create)
_DEFAULTS = (
    ('mysql', ['os_admin', 'root'],
     ['mysql', 'information_schema', 'performance_schema', 'sys'], False),
    ('mariadb', ['os_admin', 'root'],
     ['mysql', 'information_schema', 'performance_schema'], False),
    ('postgresql', ['os_admin', 'postgres'], ['os_admin', 'postgres'],
     False),
    # NOTE(redis): an instance's server always requires a password, and
    # create is the only moment the tenant can be told it.
    ('redis', [], [], True),
)

GROUPS = tuple(group for group, _, _, _ in _DEFAULTS)


def _opts(ignore_users, ignore_dbs, root_on_create):
    return [
        cfg.ListOpt('ignore_users', default=ignore_users,
                    help='Users hidden from user listings and refused by '
                         'user create, update and delete.'),
        cfg.ListOpt('ignore_dbs', default=ignore_dbs,
                    help='Databases hidden from database listings and '
                         'refused by create, delete and grants.'),
        cfg.BoolOpt('root_on_create', default=root_on_create,
                    help='Enable root when an instance is created; the '
                         'create response then carries its password.'),
        cfg.IntOpt('default_password_length', default=36, min=8, max=255,
                   help='Length of the passwords generated for root.'),
    ]


_OPTS = {group: _opts(users, dbs, root)
         for group, users, dbs, root in _DEFAULTS}


def register_opts(conf):
    for group, opts in _OPTS.items():
        conf.register_opts(opts, group=group)


def list_opts():
    return dict(_OPTS)


def options_for(conf, manager):
    """The group of datastore manager ``manager``, or None when it has
    none (the fake datastore).
    """
    if manager not in _OPTS:
        return None
    return conf[manager]
