"""The subcommands of ``trove-lite-manage``: arguments and handlers.

Each handler takes an admin ``RequestContext`` and the parsed arguments
(oslo.config's ``CONF.action``), does its work through the repositories,
prints one line per thing it did, and raises ``CommandError`` or a
``TroveLiteError`` when it cannot; ``trove_lite.cmd.manage`` turns those
into an error message and an exit status.

Argument destinations must not collide with registered config options
(oslo.config refuses such a lookup) nor be ``name`` (that is the chosen
subcommand), hence ``flavor_name`` and ``version_number``.
"""

import argparse
import collections

from trove_lite.common import exception
from trove_lite.common import plugins
from trove_lite.common import validation_rules
from trove_lite.db import migration
from trove_lite.db.repositories import backup_schedules as schedule_repo
from trove_lite.db.repositories import datastores as ds_repo
from trove_lite.db.repositories import flavors as flavor_repo
from trove_lite.guestagent import datastores

Command = collections.namedtuple(
    'Command', ['handler', 'help', 'arguments', 'needs_current_schema'])

COMMANDS = {}


class CommandError(Exception):
    """A failure whose message is meant for the operator as it is."""


def command(name, help, *arguments, needs_current_schema=True):
    """Register a handler as subcommand ``name`` with argparse arguments.

    :param arguments: ``(args, kwargs)`` pairs for ``add_argument``.
    """
    def register(handler):
        COMMANDS[name] = Command(handler, help, arguments,
                                 needs_current_schema)
        return handler
    return register


def arg(*args, **kwargs):
    return args, kwargs


def add_parsers(subparsers):
    """oslo.config ``SubCommandOpt`` handler: one sub-parser per command."""
    for name, cmd in COMMANDS.items():
        parser = subparsers.add_parser(name, help=cmd.help,
                                       description=cmd.help)
        for args, kwargs in cmd.arguments:
            parser.add_argument(*args, **kwargs)


# -- Argument types (argparse turns their errors into usage errors) -------

def boolean(value):
    """``0``/``1``/``true``/``false`` (any case) to a bool."""
    lowered = value.strip().lower()
    if lowered in ('1', 'true'):
        return True
    if lowered in ('0', 'false'):
        return False
    raise argparse.ArgumentTypeError(
        'expected 0, 1, true or false, got %r' % value)


def non_negative_int(value):
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(
            'expected a whole number >= 0, got %r' % value)
    return number


def positive_int(value):
    number = non_negative_int(value)
    if number == 0:
        raise argparse.ArgumentTypeError('expected a whole number > 0, got 0')
    return number


def comma_list(value):
    """``'a, b,,c'`` to ``['a', 'b', 'c']``; may be empty."""
    items = []
    for item in value.split(','):
        item = item.strip()
        if item and item not in items:
            items.append(item)
    return items


def non_empty_comma_list(value):
    items = comma_list(value)
    if not items:
        raise argparse.ArgumentTypeError(
            'expected a comma-separated list of ids, got %r' % value)
    return items


DATASTORE = arg('datastore', help='Name of the datastore.')
VERSION_NAME = arg('version_name', metavar='datastore_version_name',
                   help='Name of the datastore version.')
VERSION_NUMBER = arg('--version-number', '--version', dest='version_number',
                     help='Version number, when several versions share the '
                          'name (defaults to the name).')


def _find_version(context, args):
    """The datastore and version named by the arguments.

    :returns: ``(datastore, version)``.
    :raises DatastoreNotFound, DatastoreVersionNotFound: see the
        repository.
    """
    datastore = ds_repo.get_datastore(context, args.datastore)
    version = ds_repo.get_version(context, datastore.id, args.version_name,
                                  args.version_number)
    return datastore, version


def _describe(datastore, version):
    # NOTE(sessions): rows are detached here, so no relationship is used.
    return "datastore '%s' version '%s' (version %s)" % (
        datastore.name, version.name, version.version)


# -- Schema -----------------------------------------------------------------

@command('db_sync', 'Create or upgrade the database schema to the newest '
         'revision.', needs_current_schema=False)
def db_sync(context, args):
    before = migration.current_revision()
    after = migration.upgrade('head')
    if before == after:
        print('Database schema already at revision %s (head).' % after)
    else:
        print('Database schema upgraded from %s to revision %s (head).'
              % (before or 'empty', after))


# -- Datastores and versions --------------------------------------------------

@command('datastore_update', "Create a datastore if missing and set its "
         "default version ('' clears it).",
         DATASTORE,
         arg('default_version', help="Name or id of an active version of "
                                     "the datastore, or '' for none."))
def datastore_update(context, args):
    try:
        ds_repo.get_datastore(context, args.datastore)
        existed = True
    except exception.DatastoreNotFound:
        existed = False
    ds_repo.update_datastore(context, args.datastore, args.default_version)
    print("%s datastore '%s'." % ('Updated' if existed else 'Created',
                                  args.datastore))
    if args.default_version:
        print("Default version of datastore '%s' is '%s'."
              % (args.datastore, args.default_version))
    else:
        print("Datastore '%s' has no default version." % args.datastore)


@command('datastore_version_update', 'Create or update a datastore version '
         '(the datastore must exist).',
         DATASTORE,
         arg('version_name', help='Name of the datastore version.'),
         arg('manager', help='Datastore manager of the guest agent, e.g. '
                             'mysql.'),
         arg('image_id', help="Glance image id, or '' to select the image "
                              "by --image-tags."),
         arg('packages', help="Comma-separated packages, or ''. Absolute "
                              "paths among them are the directories of "
                              "the version's server binaries, searched "
                              "instead of PATH (how two versions of a "
                              "datastore live on one host)."),
         arg('active', type=boolean, help='Whether the version can be used '
                                          '(0/1/true/false).'),
         VERSION_NUMBER,
         arg('--image-tags', type=comma_list, default=[],
             help='Comma-separated Glance image tags.'),
         arg('--registry-ext', help='Guest manager plugin (defaults to the '
                                    'manager).'),
         arg('--repl-strategy', help='Replication strategy plugin.'))
def datastore_version_update(context, args):
    try:
        datastore = ds_repo.get_datastore(context, args.datastore)
    except exception.DatastoreNotFound:
        raise CommandError(
            "Datastore '%s' does not exist; create it first with: "
            "trove-lite-manage datastore_update %s ''"
            % (args.datastore, args.datastore))
    managers = plugins.names(datastores.NAMESPACE)
    if args.manager not in managers:
        # NOTE(manage): instances of a version whose manager no guest has
        # would fail at their first start; say so now.
        raise CommandError(
            "Unknown datastore manager '%s'; the installed managers are: %s."
            % (args.manager, ', '.join(managers)))
    number = args.version_number or args.version_name
    try:
        ds_repo.get_version(context, datastore.id, args.version_name, number)
        action = 'Updated'
    except exception.DatastoreVersionNotFound:
        action = 'Created'
    version = ds_repo.upsert_version(
        context, datastore.name, args.version_name, args.manager,
        image_id=args.image_id, packages=args.packages, active=args.active,
        version=number, image_tags=args.image_tags,
        registry_ext=args.registry_ext, repl_strategy=args.repl_strategy)
    print('%s %s: id %s, manager %s, image %s, tags [%s], %s.' % (
        action, _describe(datastore, version), version.id, version.manager,
        version.image_id or '-', version.image_tags,
        'active' if version.active else 'inactive'))


# -- Configuration parameter rules -------------------------------------------

@command('db_load_datastore_config_parameters', 'Load the configuration '
         'parameter validation rules of a datastore version from a JSON '
         'file.',
         DATASTORE, VERSION_NAME,
         arg('config_file_location', metavar='rules_file',
             help='Path of a validation-rules.json file.'),
         VERSION_NUMBER)
def db_load_datastore_config_parameters(context, args):
    rules = validation_rules.load(args.config_file_location)
    datastore, version = _find_version(context, args)
    count = ds_repo.load_configuration_parameters(context, version.id, rules)
    print('Loaded %d configuration parameter rules for %s from %s.'
          % (count, _describe(datastore, version), args.config_file_location))


@command('db_remove_datastore_config_parameters', 'Delete every '
         'configuration parameter rule of a datastore version.',
         DATASTORE, VERSION_NAME, VERSION_NUMBER)
def db_remove_datastore_config_parameters(context, args):
    datastore, version = _find_version(context, args)
    count = ds_repo.delete_configuration_parameters(context, version.id)
    print('Deleted %d configuration parameter rules of %s.'
          % (count, _describe(datastore, version)))


# -- Flavors allowed for a version ------------------------------------------

@command('datastore_version_flavor_add', 'Allow flavors for a datastore '
         'version.',
         DATASTORE, VERSION_NAME,
         arg('flavor_ids', type=non_empty_comma_list,
             help='Comma-separated flavor ids.'),
         VERSION_NUMBER)
def datastore_version_flavor_add(context, args):
    datastore, version = _find_version(context, args)
    allowed = ds_repo.list_version_metadata(context, version.id,
                                            ds_repo.FLAVOR_KEY)
    new = [flavor for flavor in args.flavor_ids if flavor not in allowed]
    for flavor in args.flavor_ids:
        if flavor in allowed:
            print('Flavor %s was already allowed for %s.'
                  % (flavor, _describe(datastore, version)))
    if new:
        ds_repo.add_version_metadata(context, version.id,
                                     ds_repo.FLAVOR_KEY, new)
        print('Allowed flavor(s) %s for %s.' % (', '.join(new),
                                                _describe(datastore, version)))


@command('datastore_version_flavor_delete', 'Stop allowing a flavor for a '
         'datastore version.',
         DATASTORE, VERSION_NAME,
         arg('flavor_id', help='Flavor id.'),
         VERSION_NUMBER)
def datastore_version_flavor_delete(context, args):
    datastore, version = _find_version(context, args)
    ds_repo.delete_version_metadata(context, version.id, ds_repo.FLAVOR_KEY,
                                    args.flavor_id)
    print('Removed flavor %s from %s.' % (args.flavor_id,
                                          _describe(datastore, version)))


# -- Flavors of the local compute driver -------------------------------------

FLAVOR_FIELDS = ('name', 'ram', 'vcpus', 'disk', 'ephemeral')


def _flavor_summary(flavor):
    return '%s (%s): %d MB RAM, %d vCPUs, %d GB disk, %d GB ephemeral' % (
        flavor['id'], flavor['name'], flavor['ram'], flavor['vcpus'],
        flavor['disk'], flavor['ephemeral'])


@command('flavor_create', 'Create a flavor for the local compute driver.',
         arg('flavor_id', help='Flavor id (Nova style: usually a number).'),
         arg('flavor_name', metavar='name', help='Flavor name.'),
         arg('ram', metavar='ram_mb', type=positive_int,
             help='Memory in MB.'),
         arg('vcpus', type=positive_int, help='Number of vCPUs.'),
         arg('--disk', type=non_negative_int, default=0,
             help='Root disk in GB (default 0).'),
         arg('--ephemeral', type=non_negative_int, default=0,
             help='Ephemeral disk in GB (default 0).'))
def flavor_create(context, args):
    wanted = {'id': args.flavor_id, 'name': args.flavor_name,
              'ram': args.ram, 'vcpus': args.vcpus, 'disk': args.disk,
              'ephemeral': args.ephemeral}
    try:
        existing = flavor_repo.get_flavor(context, args.flavor_id).to_dict()
    except exception.FlavorNotFound:
        existing = None
    if existing is None:
        flavor_repo.create_flavor(context, args.flavor_id, args.flavor_name,
                                  args.ram, args.vcpus, disk=args.disk,
                                  ephemeral=args.ephemeral)
        print('Created flavor %s.' % _flavor_summary(wanted))
    elif all(existing[key] == wanted[key] for key in FLAVOR_FIELDS):
        print('Flavor %s already exists with the same values.'
              % _flavor_summary(existing))
    else:
        raise CommandError(
            'Flavor %s already exists with different values: %s; delete it '
            'first to change it.' % (args.flavor_id,
                                     _flavor_summary(existing)))


def format_table(headers, rows):
    """A plain-text table with a header rule, like ``openstack`` prints."""
    cells = [[str(value) for value in row] for row in rows]
    widths = [max([len(header)] + [len(row[i]) for row in cells])
              for i, header in enumerate(headers)]
    rule = '+' + '+'.join('-' * (width + 2) for width in widths) + '+'

    def line(values):
        padded = [value.ljust(width) for value, width in zip(values, widths)]
        return '| ' + ' | '.join(padded) + ' |'
    return '\n'.join([rule, line(headers), rule] +
                     [line(row) for row in cells] + [rule])


@command('flavor_list', 'List the flavors of the local compute driver.')
def flavor_list(context, args):
    flavors = flavor_repo.list_flavors(context)
    print(format_table(
        ('ID', 'Name', 'RAM (MB)', 'vCPUs', 'Disk (GB)', 'Ephemeral (GB)'),
        [(f.id, f.name, f.ram, f.vcpus, f.disk, f.ephemeral)
         for f in flavors]))


@command('flavor_delete', 'Delete a flavor of the local compute driver.',
         arg('flavor_id', help='Flavor id.'))
def flavor_delete(context, args):
    flavor_repo.delete_flavor(context, args.flavor_id)
    print('Deleted flavor %s.' % args.flavor_id)


# -- Backup schedules ---------------------------------------------------------

def _moment(value):
    return value.replace(microsecond=0).isoformat() if value else '-'


@command('backup_schedule_list', 'List the backup schedules of every '
         'instance (or of one project), with their next and last runs '
         '(UTC).',
         arg('--project-id', dest='project_id',
             help='Only the schedules of this project.'))
def backup_schedule_list(context, args):
    schedules = schedule_repo.list_all(context, project_id=args.project_id)
    print(format_table(
        ('ID', 'Project', 'Instance', 'Name', 'Pattern', 'Keep', 'Next run',
         'Last run', 'Last backup'),
        [(s.id, s.tenant_id, s.instance_id, s.name, s.pattern, s.keep,
          _moment(s.next_run), _moment(s.last_run), s.last_backup_id or '-')
         for s in schedules]))
