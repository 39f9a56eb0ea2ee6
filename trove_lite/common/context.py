"""The request context: who is asking, and the DB session they ask with.

Every API request, RPC call and manage command carries one. It is an
oslo.context ``RequestContext`` (so logs and RPC know it) that oslo.db's
enginefacade can hang a session on (``@reader``/``@writer`` functions use
``context.session``).
"""

from oslo_context import context as oslo_context
from oslo_db.sqlalchemy import enginefacade


@enginefacade.transaction_context_provider
class RequestContext(oslo_context.RequestContext):
    """A trove_lite request context.

    :param limit: page size asked for by a list request (query ``limit``).
    :param marker: where the page starts (query ``marker``).
    :param service_catalog: the Keystone catalog of the caller, if any.
    """

    def __init__(self, limit=None, marker=None, service_catalog=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.limit = limit
        self.marker = marker
        self.service_catalog = service_catalog or []

    def to_dict(self):
        values = super().to_dict()
        values.update(limit=self.limit, marker=self.marker,
                      service_catalog=self.service_catalog)
        return values

    @classmethod
    def from_dict(cls, values, **kwargs):
        kwargs.setdefault('limit', values.get('limit'))
        kwargs.setdefault('marker', values.get('marker'))
        kwargs.setdefault('service_catalog', values.get('service_catalog'))
        return super().from_dict(values, **kwargs)

    def elevated(self):
        """Return a copy of this context with admin rights."""
        copy = self.from_dict(self.to_dict())
        copy.is_admin = True
        if 'admin' not in copy.roles:
            copy.roles.append('admin')
        return copy


def lookup_project(context):
    """The project a lookup of one resource by id is limited to: the
    caller's own, or None (any project) for an administrator.

    Upstream loads a row with the project filter only for contexts that
    are not admin, so a cloud admin scoped to any project reaches every
    project's resource by id through the tenant routes: its cleanup
    tooling shows, resets and deletes a tenant's stuck instance that way.
    The policy rule then decides, with the row's owner as its target.
    Anyone else gets the 404 of an unknown id for another project's
    resource, and lists stay the caller's project's.
    """
    return None if context.is_admin else context.project_id


def get_admin_context():
    """A context for operator tools and background work."""
    return RequestContext(user_id=None, project_id=None, is_admin=True,
                          roles=['admin'], overwrite=False)
