"""Root history: enabled while the row was not deleted after creation."""

from trove_lite.db.repositories import root_history


def test_never_enabled(ctx):
    assert root_history.get(ctx, 'i1') is None
    assert not root_history.is_enabled(None)
    assert root_history.disable(ctx, 'i1') is False


def test_enable_disable_enable(ctx):
    row = root_history.enable(ctx, 'i1', 'alice')
    assert (row.id, row.user) == ('i1', 'alice')
    first = row.created
    # Enabling again keeps who and when.
    row = root_history.enable(ctx, 'i1', 'bob')
    assert (row.user, row.created) == ('alice', first)
    assert root_history.is_enabled(root_history.get(ctx, 'i1'))
    assert root_history.disable(ctx, 'i1') is True
    row = root_history.get(ctx, 'i1')
    assert not root_history.is_enabled(row)
    assert row.deleted_at >= row.created
    assert root_history.disable(ctx, 'i1') is False
    row = root_history.enable(ctx, 'i1', 'bob')
    assert row.user == 'bob' and row.created >= first
    assert root_history.is_enabled(root_history.get(ctx, 'i1'))
