"""The vocabulary of guest logs, shared by the API and the guest agent.

A guest log is a file the datastore (or the agent) writes on the
instance, which its owner can read without a shell: the guest publishes
it, on request, to the backup storage as objects under a prefix of the
instance and log, one object per ``guest_log_limit`` bytes cut at line
ends, each with the metadata ``lines`` that troveclient's ``log tail``
counts; a metafile beside them describes the log. The names are
upstream's, so the client finds the objects.

``USER`` logs are the tenant's to enable and disable (general and slow
query logs cost the server); ``SYS`` logs are always on (error logs).
"""

USER = 'USER'
SYS = 'SYS'

# Statuses, as upstream shows them.
DISABLED = 'Disabled'
ENABLED = 'Enabled'
UNAVAILABLE = 'Unavailable'
READY = 'Ready'
PUBLISHED = 'Published'
PARTIAL = 'Partial'
ROTATED = 'Rotated'
RESTART_REQUIRED = 'Restart Required'

ACTIONS = ('enable', 'disable', 'publish', 'discard')

#: The guest agent's own log: a system log of every datastore, for
#: administrators (why a prepare or a restart failed), at
#: ``AGENT_LOG_FILE`` of the instance's directory, where the local
#: driver's launcher (and a guest image's service unit) writes it.
AGENT_LOG = 'guest'
AGENT_LOG_FILE = 'log/agent.log'


def prefix(instance_id, datastore, log_name):
    """The object prefix of one log of one instance (ends with ``/``)."""
    return '%s/%s-%s/' % (instance_id, datastore, log_name)


def metafile(instance_id, datastore, log_name):
    """The name of the object that describes one published log."""
    return prefix(instance_id, datastore, log_name).rstrip('/') + '_metafile'
