"""The root views, and the management root history."""

import datetime
import types

from trove_lite.api.views import root


def test_root_views():
    assert root.root_user('root', 'pw') == {
        'user': {'name': 'root', 'password': 'pw'}}
    assert root.root_enabled(None) == {'rootEnabled': False}
    row = types.SimpleNamespace(
        created=datetime.datetime(2024, 5, 1, 12, 0, 0, 123), user=None)
    assert root.root_history('i1', row) == {'root_history': {
        'id': 'i1', 'enabled': '2024-05-01T12:00:00', 'user': 'Nobody'}}
