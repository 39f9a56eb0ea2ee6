"""One backup strategy on real servers, run as the backup runner runs
it: what the ``test_backup_<datastore>`` modules that test a strategy on
its own share.

A module makes two instance directories (``instance_dirs``: a source and
a restore), prepares the source with its manager, takes a backup into a
file of the test (``take_to_file``; the runner compresses and stores the
stream instead) and prepares the second instance from that file (the
fixture ``restored``: the restore in place of initialising the data).
``check_full_files_plugin`` is what a full-only RESTORE_FILES strategy
promises.

To use ``restored``, import it into the module, which defines
``STRATEGY`` (the strategy's name), ``new_manager(path)`` and the
module-scoped fixtures ``dirs`` (the instance directories) and
``backup`` (``(path, metadata, ...)`` of the backup taken).
"""

import os

import pytest

from tests.functional import fixtures
from tests.functional import guests
from tests.unit.guestagent.strategies.backup import streams
from trove_lite.common import exception
from trove_lite.common import plugins
from trove_lite.conf import datastores as datastore_opts
from trove_lite.guestagent import info as guest_info
from trove_lite.guestagent.strategies.backup import base


def manager(manager_class, path, datastore, version, port):
    """A ``manager_class`` for the instance directory ``path``, on a
    loopback address of its own.
    """
    info = guest_info.GuestInfo(
        guest_id=os.path.basename(path), datastore_manager=datastore,
        datastore_version=version, instance_dir=path,
        bind_host=fixtures.free_loopback_address(port), port=port)
    return manager_class(info)


def load(manager, name):
    """The strategy ``name`` for ``manager``, loaded as the runner loads
    it (from the backup namespace).
    """
    return plugins.load(datastore_opts.BACKUP_NAMESPACE, name,
                        args=(manager,))


def instance_dirs(prefix, pattern, count=2, kill=os.kill):
    """For a fixture to ``yield from``: ``count`` instance directories,
    removed afterwards with every server ``pattern`` finds in them.
    """
    made = [guests.make_instance_dir(prefix) for _ in range(count)]
    try:
        yield made
    finally:
        for path in made:
            guests.remove_instance_dir(path, pattern, kill=kill)


def take_to_file(strategy, path):
    """Back up through ``strategy`` into the file ``path``; ``(path,
    metadata)``.
    """
    with open(path, 'wb') as sink:
        metadata = streams.take(strategy, sink)
    return path, metadata


@pytest.fixture(scope='module')
def restored(request, dirs, backup):
    """The module's second instance (``dirs[1]``) prepared from its
    ``backup`` by its ``STRATEGY``; stopped afterwards.
    """
    manager = request.module.new_manager(dirs[1])
    path, metadata = backup[:2]
    streams.prepare_from_backup(manager,
                                load(manager, request.module.STRATEGY),
                                streams.chain((str(path), metadata)))
    yield manager
    manager.stop_db()


def check_full_files_plugin(strategy, strategy_class):
    """Assert that ``strategy`` is a ``strategy_class`` that restores
    files and refuses an incremental backup.
    """
    assert isinstance(strategy, strategy_class)
    assert strategy.restore_stage == base.RESTORE_FILES
    assert not strategy.incremental
    with pytest.raises(exception.DatastoreOperationNotSupported):
        strategy.backup({'anything': 1})
