"""What a guest is told about itself: its key and its files.

The taskmanager, not the compute driver, decides what a guest knows, so
that every driver boots the same guest: a local directory and a Nova
server with a config drive get the same ``guest_info.conf``. It holds:

* ``[DEFAULT] guest_id``, and the broker options of the guest's own broker
  identity (``guest_transport``, made by the broker driver in
  ``taskmanager/tasks/broker.py``: never the control plane's credentials);
* ``[guest]``: the datastore, the owning project, the port and the
  per-instance key that seals the guest channel (``common.sealing``);
* how the operator configured guests on the control plane: ``[DEFAULT]
  report_interval`` (the conductor's failover and expiry deadlines are
  measured against it), ``[guest_agent]`` (its supervisor) and
  ``[<manager>]``, the options of the instance's datastore (strategies,
  semi-synchronous replication, ignored users). An agent that runs as a
  process of its own, on this host or on a Nova server, then works as
  the operator configured it, not from the options' defaults (a source
  that never waited for a replica, heartbeats every 10 s against a
  failover deadline of 4). They are the values of the instance's create:
  a guest keeps them until it is rebuilt.

A driver adds only what it alone knows (the local driver: the instance
directory and its loopback address). The files are keyed by their path on
the server (``compute.base.GUEST_INFO_PATH``).
"""

import configparser
import io

from oslo_config import cfg

from trove_lite.common import sealing
from trove_lite.compute import base as compute_base
from trove_lite.conf import datastores as datastores_conf


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
    default = {'guest_id': instance_id,
               'report_interval': str(cfg.CONF.report_interval)}
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
    config['guest_agent'] = _section(cfg.CONF.guest_agent)
    manager = guest_info.get('datastore_manager')
    if manager:
        section = datastore_section(manager)
        if section:
            config[manager] = section
    out = io.StringIO()
    config.write(out)
    return out.getvalue()


def _option_text(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (list, tuple)):
        return ','.join(str(item) for item in value)
    return str(value)


def _section(group):
    """An option group's values as the text of an option file
    (``{option: text}``; unset options left out).
    """
    return {name: _option_text(group[name]) for name in sorted(group)
            if group[name] is not None}


def datastore_section(manager, conf=None):
    """``[<manager>]`` of the control plane's configuration, as the text
    values of an option file, or None when no such datastore manager is
    installed.
    """
    options = datastores_conf.options_for(conf or cfg.CONF, manager)
    if options is None:
        return None
    return _section(options)


def guest_files(instance_id, key, guest_info, transport=None):
    """Every file a new guest's server gets: ``{path: text}``."""
    return {compute_base.GUEST_INFO_PATH: render_guest_info(
        instance_id, key, guest_info, transport)}
