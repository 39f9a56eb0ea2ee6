"""What a guest is told about itself: its key and its files.

The taskmanager, not the compute driver, decides what a guest knows, so
that every driver boots the same guest: a local directory and a Nova
server with a config drive get the same ``guest_info.conf``. It holds:

* ``[DEFAULT] guest_id``, and the broker options a guest that runs apart
  from the control plane needs (``guest_transport``: the one place they
  come from);
* ``[guest]``: the datastore, the owning project, the port and the
  per-instance key that seals the guest channel (``common.sealing``).

A driver adds only what it alone knows (the local driver: the instance
directory and its loopback address). The files are keyed by their path on
the server (``compute.base.GUEST_INFO_PATH``).
"""

import configparser
import io

from oslo_config import cfg

from trove_lite.common import sealing
from trove_lite.compute import base as compute_base

# [DEFAULT] options a separate guest process copies from the control plane.
BROKER_OPTIONS = ('transport_url', 'control_exchange', 'conductor_queue')


def new_instance_key():
    """A fresh per-instance key (the sealing key of one guest)."""
    return sealing.generate_key()


def _option(name):
    # oslo.messaging registers its options when the first transport is
    # built; a taskmanager has built one before any create.
    try:
        return getattr(cfg.CONF, name) or ''
    except cfg.NoSuchOptError:
        return ''


def guest_transport(driver):
    """The ``[DEFAULT]`` broker options of a new guest, or None.

    NOTE(guest): the one source of a guest's broker identity. Today it is
    the control plane's own ``transport_url`` (with its exchange and the
    conductors' topic, since a non-default one would otherwise go
    unheard), and only for a guest that runs apart from the control plane
    (``driver.guest_needs_transport``); an agent thread shares the control
    plane's transport and gets none. A per-instance broker identity
    replaces this value.

    :returns: ``{option: value}`` or None.
    """
    if not driver.guest_needs_transport:
        return None
    return {name: _option(name) for name in BROKER_OPTIONS}


def render_guest_info(instance_id, key, guest_info, transport=None):
    """The text of a guest's ``guest_info.conf``.

    :param key: the per-instance key (plain text; the file is the guest's
        only copy outside the infra database).
    :param guest_info: ``{'tenant_id', 'datastore_manager',
        'datastore_version'}`` and optionally ``'port'`` (what
        ``LoadBuildInfo`` provides).
    :param transport: ``guest_transport``'s value.
    """
    config = configparser.ConfigParser(interpolation=None)
    default = {'guest_id': instance_id}
    default.update(transport or {})
    config['DEFAULT'] = default
    guest = {
        'datastore_manager': guest_info.get('datastore_manager') or '',
        'datastore_version': guest_info.get('datastore_version') or '',
        'tenant_id': guest_info.get('tenant_id') or '',
        'instance_key': key,
    }
    if guest_info.get('port'):
        guest['port'] = str(guest_info['port'])
    config['guest'] = guest
    out = io.StringIO()
    config.write(out)
    return out.getvalue()


def guest_files(instance_id, key, guest_info, transport=None):
    """Every file a new guest's server gets: ``{path: text}``."""
    return {compute_base.GUEST_INFO_PATH: render_guest_info(
        instance_id, key, guest_info, transport)}
