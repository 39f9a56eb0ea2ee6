"""What a guest is told about itself: its key and its files.

The taskmanager, not the compute driver, decides what a guest knows, so
that every driver boots the same guest: a local directory and a Nova
server with a config drive get the same ``guest_info.conf``. It holds:

* ``[DEFAULT] guest_id``, and the broker options of the guest's own broker
  identity (``guest_transport``, made by the broker driver in
  ``taskmanager/tasks/broker.py``: never the control plane's credentials);
* ``[guest]``: the datastore, the owning project, the port and the
  per-instance key that seals the guest channel (``common.sealing``).

A driver adds only what it alone knows (the local driver: the instance
directory and its loopback address). The files are keyed by their path on
the server (``compute.base.GUEST_INFO_PATH``).
"""

import configparser
import io

from trove_lite.common import sealing
from trove_lite.compute import base as compute_base


def new_instance_key():
    """A fresh per-instance key (the sealing key of one guest)."""
    return sealing.generate_key()


def render_guest_info(instance_id, key, guest_info, transport=None):
    """The text of a guest's ``guest_info.conf``.

    :param key: the per-instance key (plain text; the file is the guest's
        only copy outside the infra database).
    :param guest_info: ``{'tenant_id', 'datastore_manager',
        'datastore_version'}`` and optionally ``'port'`` and
        ``'server_path'`` (what ``LoadBuildInfo`` provides).
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
    if guest_info.get('server_path'):
        guest['server_path'] = ','.join(guest_info['server_path'])
    config['guest'] = guest
    out = io.StringIO()
    config.write(out)
    return out.getvalue()


def guest_files(instance_id, key, guest_info, transport=None):
    """Every file a new guest's server gets: ``{path: text}``."""
    return {compute_base.GUEST_INFO_PATH: render_guest_info(
        instance_id, key, guest_info, transport)}
