"""Shapes of an instance's users and their access (upstream's UserView
and UserAccessView). Passwords never leave the guest in a view.
"""

from trove_lite.api.views import databases as database_views


def user(entry, hidden_databases=()):
    """One user; databases in ``hidden_databases`` are left out."""
    return {
        'name': entry['name'],
        'host': entry.get('host') or '%',
        'databases': access([db for db in entry.get('databases') or []
                             if db['name'] not in hidden_databases]),
    }


def access(entries):
    """The databases a user has access to."""
    return database_views.databases(entries)
