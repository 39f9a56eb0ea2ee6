"""The ``fake`` strategy: backups of the in-memory ``fake`` datastore.

Beside the real strategies a fake one (HACKING.rst, plugins), so that the
backup flows, the runner, the storage drivers and the CLI conformance
suite can run end to end on agents with ``datastore_manager = fake``.
It streams the fake manager's state (databases, users, root password;
``fake.Manager.export_state``) as JSON, and restores by replacing that
state (``import_state``).

It takes incremental backups too: each carries a sequence number one
above its parent's (the metadata's ``sequence``). An incremental's
stream holds the whole state, which is enough for a fake, but a restore
still applies the chain in order, refusing one that is out of order or
whose streams do not match their metadata, and ends with the newest
state.

Its restore stage is RESTORE_REPLAY: the fake has no files, and its
``prepare`` leaves it "running" on empty state, which the restore then
replaces.
"""

import io
import json

from trove_lite.common import exception
from trove_lite.common import states
from trove_lite.guestagent.strategies.backup import base

FORMAT = 'trove_lite.fake.v1'
SEQUENCE = 'sequence'
READ_CHUNK = 64 * 1024


def encode(state, sequence):
    """A backup's stream: ``state`` and its ``sequence`` as JSON bytes."""
    return json.dumps({'format': FORMAT, SEQUENCE: sequence,
                       'state': state}, sort_keys=True).encode('utf-8')


def decode(data):
    """``(state, sequence)`` of a stream ``encode`` wrote.

    :raises: exception.GuestError for anything else.
    """
    try:
        document = json.loads(data.decode('utf-8'))
        if document['format'] != FORMAT:
            raise ValueError('format %r' % document['format'])
        return document['state'], int(document[SEQUENCE])
    except (ValueError, KeyError, TypeError) as err:
        raise exception.GuestError(
            message='The backup is not a fake datastore backup: %s' % err)


class FakeStream(base.BackupStream):
    """A backup of the fake's state: bytes in memory, nothing to wait
    for.
    """

    def __init__(self, data, sequence):
        self._reader = io.BytesIO(data)
        self._sequence = sequence

    @property
    def reader(self):
        return self._reader

    def finish(self):
        self._reader.close()
        return {SEQUENCE: self._sequence}

    def abort(self):
        self._reader.close()


class FakeStrategy(base.BackupStrategy):
    """The fake manager's state as JSON, full or incremental."""

    name = 'fake'
    incremental = True
    restore_stage = base.RESTORE_REPLAY

    def backup(self, parent_metadata=None):
        if self.manager.status() != states.SVC_HEALTHY:
            raise exception.GuestError(
                message='The fake datastore of instance %s is not running; '
                        'start it before a backup.'
                        % self.manager.info.guest_id)
        sequence = 1
        if parent_metadata is not None:
            try:
                sequence = int(parent_metadata[SEQUENCE]) + 1
            except (KeyError, TypeError, ValueError):
                raise exception.GuestError(
                    message='The parent backup has no fake sequence number '
                            '(metadata %r); take a full backup.'
                            % (parent_metadata,))
        return FakeStream(encode(self.manager.export_state(), sequence),
                          sequence)

    def restore(self, chain):
        if not chain:
            raise exception.GuestError(
                message='The fake strategy was given no backup to restore.')
        # Check every link before the state changes at all.
        states_in_order = []
        previous = 0
        for open_stream, metadata in chain:
            with open_stream() as reader:
                state, sequence = decode(_read_all(reader))
            expected = (metadata or {}).get(SEQUENCE)
            if expected is not None and int(expected) != sequence:
                raise exception.GuestError(
                    message='A fake backup of sequence %s was recorded as '
                            'sequence %s.' % (sequence, expected))
            if sequence <= previous:
                raise exception.GuestError(
                    message='The fake backup chain is out of order: sequence '
                            '%s after %s.' % (sequence, previous))
            previous = sequence
            states_in_order.append(state)
        for state in states_in_order:
            self.manager.import_state(state)


def _read_all(reader):
    chunks = []
    while True:
        chunk = reader.read(READ_CHUNK)
        if not chunk:
            return b''.join(chunks)
        chunks.append(chunk)
