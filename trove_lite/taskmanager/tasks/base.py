"""What the tasks share: the errors that end a flow."""

from trove_lite.common import exception


class FlowError(exception.ServerError):
    """Base of the errors tasks raise to end their flow.

    :param tenant_message: what the instance's owner reads in its fault
        (the class's ``tenant_message`` when omitted, filled in from the
        same ``kwargs`` as ``message``).
    """

    tenant_message = None

    def __init__(self, message=None, tenant_message=None, **kwargs):
        super().__init__(message, **kwargs)
        if tenant_message:
            self.tenant_message = tenant_message
        elif self.tenant_message:
            try:
                self.tenant_message = self.tenant_message % kwargs
            except (KeyError, TypeError, ValueError):
                pass


class GuestIncompatible(FlowError):
    """An agent whose guest API this control plane cannot speak.

    NOTE(upgrade): the versions go into the tenant's fault too: they say
    nothing about the cloud, and tell whoever reads it that the image, not
    the request, is at fault.
    """

    message = ('The guest agent of instance %(uuid)s speaks guest API '
               '%(version)s; this control plane needs %(needed)s.')
    tenant_message = ('The guest agent of the instance is incompatible with '
                      'this service: it speaks guest API %(version)s, and '
                      'this service needs %(needed)s. Delete the instance '
                      'and ask an administrator to update the guest image.')


class LockLost(FlowError):
    message = 'Instance %(uuid)s was taken over by another operation.'


class GuestFailed(FlowError):
    message = 'The guest of instance %(uuid)s reported a failure: %(fault)s'
    tenant_message = 'The database failed to start on the instance.'


class AgentFailed(FlowError):
    message = ('The guest agent of instance %(uuid)s is not running (its '
               'server is %(server_status)s). Last output:\n%(output)s')
    tenant_message = ('The guest agent of the instance could not be '
                      'started; delete the instance and create it again.')


class GuestTimeout(FlowError):
    message = ('The guest of instance %(uuid)s did not become ready before '
               'the deadline %(deadline)s.')
    tenant_message = 'The instance did not become ready in time.'
