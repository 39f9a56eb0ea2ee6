"""Where one backup operation stores or finds its stream, as the control
plane sees it.

The taskmanager (and the API, which checks that a backup's object is
there before a restore) do not store streams themselves: they write the
``storage`` part of a backup's description (``describe``), which the
guest agent, or the taskmanager deleting a backup, turns into a storage
plugin (``guestagent.storage.load``). See ``guestagent/storage/base.py`` for the plugins'
interface.

For Swift the description carries a storage URL and a token, never
credentials, so that the guest holds a token for one operation at most.
The token is either the requesting user's own, with the object-store
endpoint of the user's catalog (``[backup] swift_auth = keystone``, as
upstream does), or one for an account of the operator's, for a Swift that
is not behind Keystone (``static``: Swift v1 auth, e.g. tempauth).
"""

from trove_lite.common import exception
from trove_lite import conf

CONF = conf.CONF

LOCAL = 'local'
SWIFT = 'swift'
OBJECT_STORE = 'object-store'
INTERFACES = ('public', 'internal', 'admin')


def describe(context, driver=None, container=None):
    """The ``storage`` description of one backup operation.

    :param context: the request context the operation runs for (its
        token and catalog, with ``swift_auth = keystone``).
    :param driver: the storage plugin's name (default ``[backup]
        storage_driver``); a backup is restored and deleted with the one
        that wrote it.
    :param container: the Swift container (the request's
        ``swift_container``); default ``[backup] swift_container``.
    :returns: a dict for ``guestagent.storage.load``; a driver other than ``local`` and
        ``swift`` gets ``{'driver': name}`` and configures itself.
    :raises: exception.BackupStorageError when no Swift token or endpoint
        can be had (the message says which option or what is missing).
    """
    driver = driver or CONF.backup.storage_driver
    if driver == LOCAL:
        return {'driver': LOCAL, 'path': CONF.backup.local_storage_path}
    if driver != SWIFT:
        return {'driver': driver}
    if CONF.backup.swift_auth == 'static':
        storage_url, token = _static_auth()
    else:
        storage_url, token = _keystone_auth(context)
    return {'driver': SWIFT,
            'container': container or CONF.backup.swift_container,
            'storage_url': storage_url, 'auth_token': token}


def describe_logs(context):
    """The ``storage`` description a guest publishes logs with: the
    backup storage (``describe``), in ``guest_log_container_name`` (a
    directory of the local storage's path, a Swift container).

    :raises: exception.BackupStorageError as ``describe``.
    """
    container = CONF.guest_log_container_name
    description = describe(context, container=container)
    description['container'] = container
    return description


def _error(reason):
    return exception.BackupStorageError(storage=SWIFT, reason=reason)


def _static_auth():
    # NOTE(memory): swiftclient brings keystoneclient, keystoneauth1,
    # osprofiler and requests (12 MB resident) into every process that
    # imports this module, the API and trove-lite-all included, whether or
    # not a backup ever goes to Swift; only static auth uses it.
    import requests
    from swiftclient import client as swift_client

    conf = CONF.backup
    missing = [name for name in ('swift_auth_url', 'swift_user', 'swift_key')
               if not getattr(conf, name)]
    if missing:
        raise _error('[backup] swift_auth = static needs %s in [backup]'
                     % ', '.join(missing))
    try:
        storage_url, token = swift_client.get_auth(
            conf.swift_auth_url, conf.swift_user, conf.swift_key,
            timeout=30)
    except swift_client.ClientException as err:
        if err.http_status == 401:
            raise _error('Swift at %s refused the credentials of [backup] '
                         'swift_user %s (HTTP 401)' % (conf.swift_auth_url,
                                                       conf.swift_user))
        raise _error('authentication at %s failed: %s' % (
            conf.swift_auth_url, err))
    except (requests.exceptions.RequestException, OSError) as err:
        raise _error('cannot reach the Swift auth URL %s ([backup] '
                     'swift_auth_url): %s' % (conf.swift_auth_url, err))
    if not storage_url or not token:
        raise _error('Swift at %s answered without a storage URL or token'
                     % conf.swift_auth_url)
    return storage_url, token


def _interface(endpoint_type):
    """``public`` for ``publicURL`` or ``public``."""
    if endpoint_type.endswith('URL'):
        return endpoint_type[:-len('URL')]
    return endpoint_type


def _endpoint_url(endpoint, interface):
    # NOTE(catalog): keystonemiddleware hands on the catalog in the v2
    # shape (``publicURL``...) even for v3 tokens; a v3 catalog has an
    # ``interface`` and a ``url`` per endpoint. Take either.
    if endpoint.get('interface') == interface:
        return endpoint.get('url')
    return endpoint.get(interface + 'URL')


def _endpoint_region(endpoint):
    return endpoint.get('region_id') or endpoint.get('region')


def object_store_url(catalog, endpoint_type, region):
    """The object-store endpoint of ``catalog`` (a list of services) for
    ``endpoint_type`` in ``region``.

    An endpoint that names no region matches any.

    :raises: exception.BackupStorageError naming what the catalog has.
    """
    interface = _interface(endpoint_type)
    seen = []
    for service in catalog or []:
        if service.get('type') != OBJECT_STORE:
            continue
        for endpoint in service.get('endpoints') or []:
            url = _endpoint_url(endpoint, interface)
            where = _endpoint_region(endpoint)
            if url:
                seen.append(where or 'no region')
            if url and (not where or not region or where == region):
                return url
    if seen:
        raise _error('the catalog has no %s object-store endpoint in region '
                     '%s (it has one in: %s); check [DEFAULT] os_region_name '
                     'and [backup] swift_endpoint_type' % (
                         interface, region, ', '.join(sorted(set(seen)))))
    raise _error('the catalog of the request has no object-store (Swift) '
                 'endpoint of interface %s ([backup] swift_endpoint_type); '
                 'register Swift in Keystone, or set [backup] swift_auth = '
                 'static' % interface)


def _keystone_auth(context):
    token = getattr(context, 'auth_token', None)
    if not token:
        raise _error('the request carries no Keystone token to use Swift '
                     'with ([backup] swift_auth = keystone); set [backup] '
                     'swift_auth = static for a Swift outside Keystone')
    region = getattr(context, 'region_name', None) or CONF.os_region_name
    url = object_store_url(getattr(context, 'service_catalog', None),
                           CONF.backup.swift_endpoint_type, region)
    return url, token
