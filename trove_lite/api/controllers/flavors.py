"""Flavors (tenant API)."""

from trove_lite.api.controllers import base
from trove_lite.api.views import flavors as views
from trove_lite.db.repositories import flavors as repo


class FlavorController:

    def index(self, req, body):
        ctx = base.authorize(req, 'flavor:index')
        return {'flavors': [views.flavor(req, row)
                            for row in repo.list_flavors(ctx)]}

    def show(self, req, body, id):
        ctx = base.authorize(req, 'flavor:show')
        return {'flavor': views.flavor(req, repo.get_flavor(ctx, id))}
