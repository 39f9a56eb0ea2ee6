"""Instance keys at rest: encrypted in the infra database.

The per-instance key (``common.sealing``) is what proves a guest's
reports; whoever reads it can speak for that guest. The infra database is
read by more people and backups than the control plane's own hosts, so a
key is stored encrypted with a control-plane secret, upstream's
``[DEFAULT] inst_rpc_key_encr_key``. When the option is unset, a random
secret is created once in ``<state_path>/inst_rpc_key_encr.key`` (mode
0600): right for the embedded shape and for control-plane processes that
share one host; a cloud deployment with control-plane services on several
hosts sets the option to one value everywhere.

``check_secret`` runs when a service starts. The cloud shape is
recognised by its compute driver: any driver but ``local`` and ``fake``
puts instances on other hosts, and a control plane that uses one spans
hosts as a rule; there an unset option refuses to start (each host would
make its own secret, and keys stored by one could not be read by
another). With ``local`` or ``fake`` an unset option is allowed but
warned about at start, naming the option to set.

Stored values carry a ``PREFIX`` so that a value written before keys were
encrypted still reads (as itself).
"""

import base64
import hashlib
import os
import threading

from cryptography import fernet
from oslo_log import log as logging

from trove_lite.common import exception
from trove_lite import conf

CONF = conf.CONF
LOG = logging.getLogger(__name__)

#: Compute drivers whose instances live on the control plane's own host
#: (or nowhere): the shapes in which a per-host secret is tolerated.
ONE_HOST_DRIVERS = ('local', 'fake')

PREFIX = 'fernet:'
SECRET_FILE = 'inst_rpc_key_encr.key'

_lock = threading.Lock()


def _secret_file():
    return os.path.join(CONF.state_path, SECRET_FILE)


def _load_or_create_secret():
    path = _secret_file()
    with _lock:
        try:
            with open(path) as handle:
                return handle.read().strip()
        except FileNotFoundError:
            pass
        os.makedirs(os.path.dirname(path), exist_ok=True)
        secret = base64.urlsafe_b64encode(os.urandom(32)).decode('ascii')
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, 'w') as handle:
            handle.write(secret + '\n')
        return secret


def check_secret(conf=None):
    """Check ``[DEFAULT] inst_rpc_key_encr_key`` as a service starts.

    :returns: True when it is set; False (after a warning) when it is
        unset in a one-host shape.
    :raises KeySecretRequired: it is unset and the compute driver is a
        cloud's (see the module's docstring).
    """
    conf = conf or CONF
    if conf.inst_rpc_key_encr_key:
        return True
    if conf.compute_driver not in ONE_HOST_DRIVERS:
        raise exception.KeySecretRequired(driver=conf.compute_driver)
    LOG.warning('[DEFAULT] inst_rpc_key_encr_key is unset: instance keys '
                'are encrypted with a secret of this host only (%s). Set '
                'inst_rpc_key_encr_key to one value on every control-plane '
                'host before services run on more than one.',
                _secret_file())
    return False


def _cipher():
    secret = CONF.inst_rpc_key_encr_key or _load_or_create_secret()
    digest = hashlib.sha256(secret.encode('utf-8')).digest()
    return fernet.Fernet(base64.urlsafe_b64encode(digest))


def encrypt(key):
    """The stored form of instance key ``key`` (None stays None)."""
    if key is None:
        return None
    return PREFIX + _cipher().encrypt(key.encode('ascii')).decode('ascii')


def decrypt(stored):
    """The instance key of a stored value (None stays None).

    :raises: cryptography.fernet.InvalidToken when it was encrypted with
        another secret (a misconfigured control plane: better loud than a
        guest whose every report is refused).
    """
    if stored is None or not stored.startswith(PREFIX):
        return stored
    return _cipher().decrypt(stored[len(PREFIX):].encode('ascii')).decode(
        'ascii')
