"""Tasks that make a guest's key and files."""

from trove_lite.compute import base as compute_base
from trove_lite.db.repositories import instances
from trove_lite.taskmanager.tasks import guest_files


def test_make_instance_key_stores_it_encrypted(ctx, new_instance):
    row = new_instance()
    key = guest_files.MakeInstanceKey().execute(ctx, row.id)
    assert instances.key_of(ctx, row.id) == key
    assert key not in instances.get(ctx, row.id).encrypted_key


def test_render_guest_files():
    files = guest_files.RenderGuestFiles().execute(
        'i-1', 'k3y', {'tenant_id': 'p1'}, None)
    assert list(files) == [compute_base.GUEST_INFO_PATH]
    assert 'instance_key = k3y' in files[compute_base.GUEST_INFO_PATH]
    assert 'guest_id = i-1' in files[compute_base.GUEST_INFO_PATH]
