"""One exception hierarchy for the whole of trove_lite.

Every error a user can cause or see is a ``TroveLiteError``. The class says
which HTTP status and upstream fault name it becomes (the API's fault
middleware reads ``code``), and its message tells the user what to do next.
Subclass the HTTP-semantic base that fits, never ``TroveLiteError`` itself.

Errors survive RPC: oslo.messaging re-raises a remote ``TroveLiteError``
subclass by module and class name when the module is listed in
``ALLOWED_RPC_EXCEPTION_MODULES``.
"""

ALLOWED_RPC_EXCEPTION_MODULES = ['trove_lite.common.exception']

# HTTP status -> the fault name upstream Trove puts at the top of the body.
FAULT_NAMES = {
    400: 'badRequest',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'itemNotFound',
    405: 'badMethod',
    406: 'notAcceptable',
    409: 'conflict',
    413: 'overLimit',
    415: 'badMediaType',
    422: 'unprocessableEntity',
    500: 'instanceFault',
    501: 'notImplemented',
    503: 'serviceUnavailable',
}


def fault_name(code):
    """Return upstream's fault name for an HTTP status code."""
    return FAULT_NAMES.get(code, 'computeFault')


class TroveLiteError(Exception):
    """Base of every trove_lite error.

    :param message: overrides the class's message template.
    :param kwargs: values for the template's ``%(name)s`` fields.
    """

    code = 500
    fault = None  # defaults to fault_name(code)
    message = 'An unknown error occurred.'
    # NOTE(logging): whether the error is the caller's own doing (a typo,
    # a name that exists, a feature the datastore lacks), which the
    # caller can fix and an operator need not hear of. An RPC server
    # answers it as any other but logs it at DEBUG, not as an ERROR with
    # a traceback (``common.rpc.tenant_errors_expected``). True on the
    # 4xx bases and on NotImplementedYet; False again on the 4xx errors
    # that report a failure of ours (GuestError, for upstream's 400).
    tenant_error = False

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        if message is None:
            try:
                message = self.message % kwargs
            except (KeyError, TypeError):
                message = self.message
        self.msg = message
        super().__init__(message)

    @property
    def fault_name(self):
        return self.fault or fault_name(self.code)

    def __str__(self):
        return self.msg


# -- HTTP-semantic bases ----------------------------------------------------

class BadRequest(TroveLiteError):
    code = 400
    tenant_error = True
    message = 'The server could not comply with the request since it is ' \
              'either malformed or otherwise incorrect.'


class Unauthorized(TroveLiteError):
    code = 401
    tenant_error = True
    message = 'This request requires authentication.'


class Forbidden(TroveLiteError):
    code = 403
    tenant_error = True
    message = 'You are not allowed to perform this operation.'


class NotFound(TroveLiteError):
    code = 404
    tenant_error = True
    message = 'Resource %(uuid)s cannot be found.'


class MethodNotAllowed(TroveLiteError):
    code = 405
    tenant_error = True
    message = 'The method %(method)s is not allowed for this resource.'


class Conflict(TroveLiteError):
    code = 409
    tenant_error = True
    message = 'The request conflicts with the current state of the resource.'


class OverLimit(TroveLiteError):
    code = 413
    tenant_error = True
    message = 'This request was rate-limited.'


class UnsupportedMediaType(TroveLiteError):
    code = 415
    tenant_error = True
    message = 'Unsupported Content-Type: %(content_type)s.'


class UnprocessableEntity(TroveLiteError):
    code = 422
    tenant_error = True
    message = 'Unable to process the contained request.'


class ServerError(TroveLiteError):
    code = 500
    fault = 'serverError'
    message = 'The server failed to complete the request.'


class NotImplementedYet(TroveLiteError):
    code = 501
    tenant_error = True
    message = 'This operation is not implemented.'


class ServiceUnavailable(TroveLiteError):
    code = 503
    message = 'The service is temporarily unavailable; try again later.'


# -- Request handling ---------------------------------------------------------

class MalformedRequestBody(BadRequest):
    message = 'Malformed request body: %(reason)s.'


class ValidationError(BadRequest):
    message = 'Validation error: %(reason)s'


class BadValue(BadRequest):
    message = 'Value could not be converted: %(msg)s'


class TenantMismatch(Forbidden):
    message = 'User with tenant id %(tenant)s cannot access this resource.'


class AdminRequired(Unauthorized):
    message = 'User does not have admin privileges.'


class PolicyNotAuthorized(Forbidden):
    message = "Policy doesn't allow %(action)s to be performed."


class ResourceNotFound(NotFound):
    message = 'The resource could not be found.'


class RateLimited(OverLimit):
    message = 'This request was rate-limited.'

    def __init__(self, details, retry_after):
        super().__init__(details=details)
        self.details = details
        self.retry_after = retry_after


# -- Datastores and flavors ---------------------------------------------------

class DatastoreNotFound(NotFound):
    message = 'Datastore %(datastore)s cannot be found.'


class DatastoreDefaultDatastoreNotFound(NotFound):
    # NOTE(compat): upstream's words; without a name when none is set, so
    # the sentence keeps single spaces.
    message = 'Please specify datastore. Default datastore %(datastore)s ' \
              'cannot be found.'
    unset_message = 'Please specify datastore. Default datastore cannot be ' \
                    'found.'


class DatastoreNoVersion(NotFound):
    message = 'Datastore %(datastore)s has no version %(version)s.'


# NOTE(compat): upstream answers an unknown datastore version with 400, not
# 404, and the CLI relies on nothing else; keep the status.
class DatastoreVersionNotFound(BadRequest):
    message = 'Datastore version %(version)s cannot be found.'


class DatastoreVersionInactive(BadRequest):
    message = 'Datastore version %(version)s is not active.'


class DatastoreVersionsNoUniqueMatch(BadRequest):
    message = 'Multiple datastore versions found for %(name)s; use an ID ' \
              'to be more specific.'


class DatastoreVersionAlreadyExists(BadRequest):
    message = 'A datastore version with the name %(name)s and version ' \
              '%(version)s already exists for datastore %(datastore)s.'


class DatastoreVersionInUse(BadRequest):
    message = 'Datastore version %(version)s is used by %(resource)s (deleted ' \
              'ones included) and cannot be deleted; make it inactive ' \
              'instead.'


class DatastoreVersionsExist(BadRequest):
    message = 'Datastore %(datastore)s has versions; delete them first.'


class DatastoreFlavorAssociationNotFound(NotFound):
    message = 'Flavor %(flavor_id)s is not associated with datastore ' \
              '%(datastore)s version %(version)s.'


class DatastoreFlavorAssociationAlreadyExists(BadRequest):
    message = 'Flavor %(flavor_id)s is already associated with datastore ' \
              '%(datastore)s version %(version)s.'


class FlavorNotFound(NotFound):
    message = 'Flavor %(uuid)s cannot be found.'


class FlavorAlreadyExists(BadRequest):
    message = 'A flavor with id %(flavor_id)s or name %(name)s already ' \
              'exists.'


class FlavorInUse(BadRequest):
    message = 'Flavor %(flavor_id)s is still associated with datastore ' \
              'versions; remove the associations first.'


class ConfigurationParametersFileInvalid(BadRequest):
    tenant_error = False  # the operator's file, not the caller's request
    message = 'Invalid configuration parameter rules in %(path)s: %(reason)s'


class ConfigurationParameterNotFound(NotFound):
    message = 'Configuration parameter %(name)s of datastore version ' \
              '%(version)s cannot be found.'


class ConfigurationParameterMissing(BadRequest):
    # NOTE(compat): upstream answers a delete of an unknown rule with 400.
    message = 'Datastore version %(version)s has no configuration ' \
              'parameter %(name)s to delete.'


class ConfigurationParameterAlreadyExists(BadRequest):
    message = 'Datastore version %(version)s already has a configuration ' \
              'parameter %(name)s; update it instead.'


class ConfigurationParameterInvalid(BadRequest):
    message = 'Invalid configuration parameter rule: %(reason)s'


class ConfigurationNotFound(NotFound):
    message = 'Configuration group %(uuid)s cannot be found.'


class ConfigurationValueInvalid(UnprocessableEntity):
    """A value of a configuration group the version's rules refuse (422,
    as upstream).
    """

    message = '%(reason)s'


class InstanceAssignedToConfiguration(BadRequest):
    message = 'Configuration group %(uuid)s is attached to instances ' \
              '(%(instances)s); detach it from them first.'


class ConfigurationAlreadyAttached(BadRequest):
    message = 'Instance %(instance_id)s already has configuration group ' \
              '%(configuration_id)s attached; detach it first.'


class ConfigurationDatastoreMismatch(BadRequest):
    message = 'Configuration group %(uuid)s is for datastore version ' \
              '%(group_version)s; instance %(instance_id)s runs ' \
              '%(instance_version)s.'


class InvalidInstanceState(BadRequest):
    """Upstream's configuration attach and detach gate (400)."""

    message = 'Instance %(uuid)s is not ready for a configuration change ' \
              '(status %(status)s); wait until it is ACTIVE.'


# -- Any resource kind (common/state_machine.py) -----------------------------

class ResourceNotAvailable(UnprocessableEntity):
    message = 'The %(kind)s is not currently available for this action ' \
              '(its task is %(task)s).'


class ResourceBusy(Conflict):
    message = 'The %(kind)s %(uuid)s is being changed by another request; ' \
              'try again when it is done.'


# -- Instances ----------------------------------------------------------------

class InstanceNotFound(NotFound):
    message = 'Instance %(uuid)s cannot be found.'


class InstanceNotAvailable(UnprocessableEntity):
    message = 'Instance is not currently available for an action to be ' \
              'performed (task status was %(task)s).'


class InstanceBusy(Conflict):
    message = 'Instance %(uuid)s is being changed by another request; ' \
              'try again when it is done.'


class InvalidFlavor(BadRequest):
    message = 'Flavor %(flavor)s cannot be found.'


class FlavorNotAllowed(BadRequest):
    message = 'Flavor %(flavor)s is not allowed for datastore version ' \
              '%(version)s.'


class VolumeRequired(BadRequest):
    message = 'A volume size is required to create an instance.'


class DatastoreDefaultVersionNotFound(BadRequest):
    message = 'Datastore %(datastore)s has no default version; name one.'


class DatastoreOperationNotSupported(NotImplementedYet):
    message = 'The %(operation)s operation is not supported for the ' \
              '%(datastore)s datastore.'


class QuotaResourceUnknown(NotFound):
    message = 'Quota resources %(unknown)s are unknown; the resources are ' \
              'instances, ram, volumes and backups.'


class QuotaExceeded(OverLimit):
    message = 'Quota exceeded for resources: %(overs)s.'


class VolumeSizeTooLarge(OverLimit):
    message = 'Volume size %(size)s GB is larger than the largest ' \
              'accepted, %(maximum)s GB.'


class DatabaseAlreadyExists(BadRequest):
    message = 'A database with the name %(name)s already exists.'


class UserAlreadyExists(BadRequest):
    message = 'A user with the name %(name)s already exists.'


class DatabaseNotFound(NotFound):
    message = 'Database %(name)s cannot be found on the instance.'


class UserNotFound(NotFound):
    message = 'User %(name)s cannot be found on the instance.'


class RootHistoryNotFound(NotFound):
    message = 'Root is not enabled on instance %(uuid)s; there is nothing ' \
              'to disable.'


class LogNotFound(NotFound):
    message = 'Log %(name)s cannot be found on this instance.'


class LogAccessForbidden(Forbidden):
    # NOTE(compat): upstream's words.
    message = "User does not have admin privileges to '%(action)s' the " \
              "'%(log)s' log."


class LogsNotAvailable(NotImplementedYet):
    message = 'Log actions are not supported for the %(datastore)s ' \
              'datastore.'


class DatastoreFeatureNotSupported(UnprocessableEntity):
    """Databases and users of a datastore that has none.

    Upstream answers 422 for managers outside its database/user extension.
    """

    message = 'The %(feature)s feature is not supported by the ' \
              '%(datastore)s datastore.'


class GuestError(BadRequest):
    tenant_error = False
    message = 'An error occurred communicating with the guest: %(reason)s.'


class GuestTimeout(BadRequest):
    """A guest call that got no answer (upstream answers 400, not 503)."""

    tenant_error = False
    message = 'Timeout trying to connect to the Guest Agent of instance ' \
              '%(uuid)s; check that the instance is ACTIVE and try again.'


class InstanceNotReady(UnprocessableEntity):
    """Upstream's ``validate_can_perform_action`` refusal."""

    message = 'Instance %(uuid)s is not ready, status is %(status)s; wait ' \
              'until it is ACTIVE and HEALTHY, then try again.'


class ComputeError(ServerError):
    message = 'The compute driver failed: %(reason)s'


# -- Infrastructure -----------------------------------------------------------

class DatabaseSchemaNotCurrent(ServiceUnavailable):
    message = 'The infrastructure database is at revision %(current)s but ' \
              'this code needs %(head)s; run "trove-lite-manage db_sync".'


class KeySecretRequired(ServiceUnavailable):
    message = '[DEFAULT] inst_rpc_key_encr_key is unset, and compute ' \
              'driver %(driver)s runs a control plane on several hosts: ' \
              'each would encrypt instance keys with a secret of its own. ' \
              'Set inst_rpc_key_encr_key to one value on every ' \
              'control-plane host.'


class UnsealError(Forbidden):
    tenant_error = False
    message = 'A message was not sealed with the key of the instance it ' \
              'claims to come from.'


class ForgedReport(Forbidden):
    tenant_error = False
    message = 'A report about instance %(instance)s was not sealed by that ' \
              'instance and was refused.'


class IncompatibleService(BadRequest):
    tenant_error = False
    message = '%(service)s cannot handle %(method)s (RPC API version ' \
              '%(version)s): it runs an older release. Upgrade it, or cap ' \
              'the version in [upgrade_levels].'


class GuestAPIIncompatible(NotImplementedYet):
    """A request the instance's guest agent refused for its version.

    501, as upstream answers an operation the guest cannot do: the agent
    is of a release that lacks it (older) or speaks another major version
    of the guest API.
    """

    message = 'The guest agent of instance %(uuid)s cannot %(method)s: it ' \
              'speaks %(version)s, and this request needs guest API ' \
              '%(needed)s. Ask an administrator to bring the guest agent ' \
              'and the control plane to compatible releases.'


class RPCTimeout(ServiceUnavailable):
    message = 'No answer from %(service)s within %(timeout)s seconds.'


# -- Backups ------------------------------------------------------------------

class BackupNotFound(NotFound):
    message = 'Backup %(uuid)s cannot be found.'


class BackupNotCompleteError(Conflict):
    message = 'Unable to create instance because backup %(backup_id)s is ' \
              'not completed. Actual state: %(state)s.'


class BackupTooLarge(Forbidden):
    message = 'Backup is too large for given flavor or volume. Backup ' \
              'size: %(backup_size)s GBs. Available size: %(disk_size)s GBs.'


class BackupFileNotFound(NotFound):
    message = 'Backup file in %(location)s was not found in the object ' \
              'storage.'


class BackupDatastoreMismatchError(BadRequest):
    message = 'The datastore from which the backup was taken, ' \
              '%(datastore1)s, does not match the destination datastore ' \
              'of %(datastore2)s.'


class BackupParentMismatch(BadRequest):
    message = 'Backup %(parent_id)s cannot be the parent of a backup of ' \
              'instance %(instance_id)s: it is a backup of %(reason)s.'


class BackupCreationError(BadRequest):
    message = 'Unable to create Backup: %(reason)s'


class BackupStorageError(ServerError):
    """A storage backend failed; the message says which and why."""

    message = 'Backup storage %(storage)s failed: %(reason)s'


class BackupChecksumMismatch(ServerError):
    message = 'backup checksum mismatch: backup %(backup_id)s stored ' \
              '%(expected)s, read %(actual)s (%(size)s bytes). The backup ' \
              'is kept for inspection.'


class BackupCancelled(GuestError):
    message = 'Backup %(backup_id)s was cancelled: it is being deleted.'


class BackupScheduleNotFound(NotFound):
    message = 'Backup schedule %(uuid)s cannot be found.'


class BackupNotAvailable(UnprocessableEntity):
    """A backup (or one of its incremental children) that cannot be
    deleted now: it is already being deleted.
    """

    message = 'Backup %(uuid)s is %(state)s and cannot be deleted now; ' \
              'its delete is under way (one that cannot finish ends in ' \
              'DELETE_FAILED, and may be deleted again).'


# -- Replication ----------------------------------------------------------------

class ReplicationNotSupported(BadRequest):
    message = 'Replication is not supported for the %(datastore)s ' \
              'datastore: [%(datastore)s] replication_strategy is not set.'


class ReplicationStrategyMissing(ReplicationNotSupported):
    message = 'Replication is not supported for the %(datastore)s ' \
              'datastore: its replication strategy %(name)s is not ' \
              'installed (entry point namespace %(namespace)s).'


class ReplicaOfReplica(Unauthorized):
    """Upstream answers a replica of a replica with its Forbidden, whose
    HTTP code is 401.
    """

    fault = 'unauthorized'
    message = 'Cannot create a replica of a replica %(uuid)s.'


class ReplicaSourceDeleteForbidden(Forbidden):
    message = 'The replica source %(uuid)s cannot be deleted while it has ' \
              'replicas; detach or delete them first.'


class ReplicaReadOnly(BadRequest):
    message = 'Instance %(uuid)s is a read-only replica: its databases, ' \
              'users and root are its source\'s; change them on the ' \
              'source.'


class NotAReplica(BadRequest):
    message = 'Instance %(uuid)s is not a replica.'


class ReplicaSourceAlive(BadRequest):
    message = 'Replica source %(uuid)s cannot be ejected: its last ' \
              'heartbeat was %(age)d seconds ago, less than ' \
              'agent_heartbeat_expiry (%(expiry)d s). Promote a replica ' \
              'instead.'


class TopologyChanged(Conflict):
    message = 'The replication group of %(uuid)s changed while it was ' \
              'being changed: %(reason)s'


# -- Datastore version upgrades and management actions -------------------------

class DatastoreVersionOfAnotherDatastore(BadRequest):
    message = 'Datastore version %(version)s is a version of datastore ' \
              '%(other)s; instance %(uuid)s runs datastore %(datastore)s ' \
              'and can only be upgraded to one of its versions.'


class DatastoreVersionUnchanged(BadRequest):
    message = 'Instance %(uuid)s already runs datastore version ' \
              '%(version)s; name another version to upgrade it.'


class DatastoreUpgradeNotSupported(BadRequest):
    message = 'Instance %(uuid)s cannot be upgraded to datastore version ' \
              '%(version)s: %(reason)s'


class ComputeOperationNotSupported(NotImplementedYet):
    message = 'The %(driver)s compute driver cannot %(operation)s an ' \
              'instance: %(reason)s'
