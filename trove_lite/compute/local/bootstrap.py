"""First-start registration for the embedded shape.

On a fresh infrastructure database ``trove-lite-all`` registers what this
host can run (with the configuration parameters trove_lite ships for each
datastore, as ``trove-lite-manage db_load_datastore_config_parameters``
would load them) and a devstack-like set of flavors, so that a new user
sees something useful at once. Both steps only add what is missing: an
operator's own registrations, rules and flavors are never changed.
"""

from oslo_log import log as logging

from trove_lite.common import validation_rules
from trove_lite.compute.local import discovery
from trove_lite.db.repositories import datastores as datastore_repo
from trove_lite.db.repositories import flavors as flavor_repo

LOG = logging.getLogger(__name__)

# (id, name, ram MB, vcpus, disk GB): devstack's classic m1 flavors.
DEFAULT_FLAVORS = (
    ('1', 'm1.tiny', 512, 1, 1),
    ('2', 'm1.small', 2048, 1, 20),
    ('3', 'm1.medium', 4096, 2, 40),
    ('4', 'm1.large', 8192, 4, 80),
)


def register_host_datastores(context, host_datastores=None):
    """Register each detected datastore that has no version yet.

    :returns: the names of the datastores registered now.
    """
    host_datastores = (discovery.detect() if host_datastores is None
                       else host_datastores)
    registered = []
    for found in host_datastores:
        store = datastore_repo.update_datastore(context, found.datastore)
        if datastore_repo.list_versions(context, store.id):
            continue
        version = datastore_repo.upsert_version(
            context, found.datastore, found.version, found.manager,
            active=True)
        datastore_repo.update_datastore(context, found.datastore, version.id)
        rules = load_shipped_rules(context, version)
        LOG.info('Registered datastore %s version %s (%s) with %d '
                 'configuration parameters', found.datastore, found.version,
                 found.binary, rules)
        registered.append(found.datastore)
    return registered


def load_shipped_rules(context, version):
    """Load the validation rules shipped for ``version``'s manager.

    :returns: how many were loaded (0 when none are shipped for it).
    :raises ConfigurationParametersFileInvalid: the shipped file is
        broken (a packaging mistake, not to be hidden).
    """
    path = validation_rules.shipped(version.manager)
    if path is None:
        LOG.warning('No configuration parameter rules are shipped for the '
                    '%s datastore manager: configuration groups of %s are '
                    'refused until an operator loads some.', version.manager,
                    version.name)
        return 0
    return datastore_repo.load_configuration_parameters(
        context, version.id, validation_rules.load(path))


def ensure_default_flavors(context):
    """Create the default flavors when there are no flavors at all.

    :returns: the number of flavors created.
    """
    if flavor_repo.list_flavors(context):
        return 0
    for flavor_id, name, ram, vcpus, disk in DEFAULT_FLAVORS:
        flavor_repo.create_flavor(context, flavor_id, name, ram, vcpus, disk)
    LOG.info('Created the default flavors %s',
             ', '.join(f[1] for f in DEFAULT_FLAVORS))
    return len(DEFAULT_FLAVORS)
