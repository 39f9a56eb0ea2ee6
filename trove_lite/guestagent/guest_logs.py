"""The guest's side of guest logs: what each log is, and publishing it.

A datastore manager names its logs (``DatastoreManager
.guest_log_definitions``): a ``LogDefinition`` with a type (``USER``: the
tenant turns it on and off, ``SYS``: always on) and a source to read
from (a file the server writes, or memory for the fake datastore).
``GuestLogs`` keeps, per log, whether it is enabled and how much of it
was published, in ``guest_logs.json`` of the instance (memory for a
datastore without a directory), so a restarted agent knows what it
already sent and a restarted server logs what was enabled.

Publishing sends what was not yet published, in objects of at most
``limit`` bytes cut at line ends (a line still being written waits for
the next publish), each with its count of lines, then a metafile: what
troveclient's ``log tail`` reads. A log the server started afresh (its
file replaced or truncated: ``Rotated``) is discarded from the storage
first and published from its start.

The control plane decides where and how much (the storage description,
prefix, object size and expiry come with each request); the guest
decides nothing about names, so one instance cannot write over another's
objects by its own choice.
"""

import dataclasses
import datetime
import json
import os
import threading
import typing

from oslo_log import log as logging

from trove_lite.common import exception
from trove_lite.common import guest_logs as vocabulary
from trove_lite.guestagent import storage

LOG = logging.getLogger(__name__)

STATE_FILE = 'guest_logs.json'


class FileSource:
    """A log the server writes to ``path``."""

    def __init__(self, path):
        self.path = path

    def stat(self):
        """``(size, identity)``, or None while there is no such file.

        The identity (device and inode) changes when the file is
        replaced: a rotation.
        """
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            return None
        return found.st_size, '%d:%d' % (found.st_dev, found.st_ino)

    def read(self, offset, size):
        with open(self.path, 'rb') as handle:
            handle.seek(offset)
            return handle.read(size)


class MemorySource:
    """A log kept in memory (the fake datastore's), appended by lines."""

    def __init__(self):
        self._data = bytearray()
        self._lock = threading.Lock()

    def append(self, line):
        with self._lock:
            self._data += line.rstrip('\n').encode('utf-8') + b'\n'

    def stat(self):
        with self._lock:
            return len(self._data), 'memory'

    def read(self, offset, size):
        with self._lock:
            return bytes(self._data[offset:offset + size])


@dataclasses.dataclass(frozen=True)
class LogDefinition:
    """One log of a datastore.

    :param type: ``common.guest_logs.USER`` or ``SYS``.
    :param source: a ``FileSource`` or ``MemorySource``.
    """

    name: str
    type: str
    source: typing.Any


@dataclasses.dataclass(frozen=True)
class Publication:
    """Where and how a publish or discard writes, as the control plane
    sent it (``guest_log_action``'s ``publication``).

    :param storage: the storage description (``guestagent.storage.load``)
        whose container holds the logs.
    :param prefix: the log's object prefix (``common.guest_logs.prefix``).
    :param metafile: the metafile's name.
    :param limit: most bytes per object.
    :param expiry: seconds the storage keeps an object (0: until
        discarded).
    """

    storage: dict
    prefix: str
    metafile: str
    limit: int = 1000000
    expiry: int = 0

    @classmethod
    def of(cls, values):
        """:raises: exception.BadValue for a malformed description."""
        if not isinstance(values, dict):
            raise exception.BadValue(message='A publish needs where to.')
        try:
            made = cls(storage=values['storage'], prefix=values['prefix'],
                       metafile=values['metafile'],
                       limit=int(values.get('limit') or cls.limit),
                       expiry=int(values.get('expiry') or 0))
        except (KeyError, TypeError, ValueError) as err:
            raise exception.BadValue(
                message='Malformed log publication: %s' % err)
        if not made.prefix.endswith('/') or made.limit < 1:
            raise exception.BadValue(message='Malformed log publication.')
        return made


class GuestLogs:
    """The logs of one datastore manager, and what was published.

    :param manager: the ``DatastoreManager``; its ``guest_log_definitions``
        and ``apply_guest_logs``.
    :param state_path: where the state is kept; None for memory.
    """

    def __init__(self, manager, state_path=None):
        self.manager = manager
        self.state_path = state_path
        self._lock = threading.Lock()
        self._memory = {}

    # -- the requests ------------------------------------------------------

    def list(self):
        """``[show]`` of every log."""
        with self._lock:
            state = self._load()
            return [self._show(definition, state.get(name, {}))
                    for name, definition in sorted(
                        self._definitions().items())]

    def action(self, name, enable=False, disable=False, publish=False,
               discard=False, publication=None, long_query_time=None):
        """Enable, disable, discard, then publish log ``name``, as asked;
        its ``show`` afterwards.

        Publishing a disabled user log enables it first (as upstream),
        unless the same request disables it.

        :raises: exception.LogNotFound for a log the datastore has not;
            exception.BadValue for enabling and disabling at once, or for
            turning a system log on or off; exception.BackupStorageError
            when the storage refuses.
        """
        definition = self._definitions().get(name)
        if definition is None:
            raise exception.LogNotFound(name=name)
        if enable and disable:
            raise exception.BadValue(
                message='Log %s cannot be enabled and disabled at once.'
                        % name)
        if publish and not disable and definition.type == vocabulary.USER:
            enable = True
        if (enable or disable) and definition.type != vocabulary.USER:
            if disable or not publish:
                raise exception.BadValue(
                    message='Log %s is a system log: it is always on and '
                            'cannot be enabled or disabled.' % name)
            enable = False
        with self._lock:
            state = self._load()
            entry = dict(state.get(name, {}))
            if (enable or disable) and self._changes(
                    entry, bool(enable), state, long_query_time):
                # NOTE(logs): only a change reaches the server: MariaDB
                # reopens a log file it is told again, with a new header.
                self._toggle(name, bool(enable), state, long_query_time)
                entry['enabled'] = bool(enable)
            if discard or publish:
                where = Publication.of(publication)
                target = storage.load(where.storage)
                if discard:
                    self._discard(target, where)
                    entry['published'] = 0
                if publish:
                    entry = self._publish(definition, entry, target, where)
            state[name] = entry
            self._save(state)
            return self._show(definition, entry)

    # -- enable and disable ---------------------------------------------------

    def enabled_names(self):
        """The user logs that are on (what the server's configuration
        must say at its next start).
        """
        state = self._load()
        return {name for name, definition in self._definitions().items()
                if definition.type == vocabulary.USER
                and state.get(name, {}).get('enabled')}

    @staticmethod
    def _changes(entry, enabled, state, long_query_time):
        if bool(entry.get('enabled')) != enabled:
            return True
        settings = state.get('_settings', {})
        return enabled and long_query_time is not None and \
            settings.get('long_query_time') != int(long_query_time)

    def _toggle(self, name, enabled, state, long_query_time):
        wanted = {other for other, entry in state.items()
                  if entry.get('enabled') and other != name}
        if enabled:
            wanted.add(name)
        if long_query_time is not None:
            state.setdefault('_settings', {})['long_query_time'] = \
                int(long_query_time)
        settings = state.get('_settings', {})
        self.manager.apply_guest_logs(
            frozenset(wanted & set(self._definitions())),
            settings.get('long_query_time'))
        LOG.info('Guest log %s of instance %s %s', name,
                 self.manager.info.guest_id,
                 'enabled' if enabled else 'disabled')

    def settings(self):
        """What the enables last said besides on and off
        (``long_query_time``).
        """
        return dict(self._load().get('_settings', {}))

    # -- publish and discard --------------------------------------------------

    def _discard(self, target, where):
        for name in target.list_objects(where.prefix):
            target.delete_object(name)
        target.delete_object(where.metafile)

    def _publish(self, definition, entry, target, where):
        found = definition.source.stat()
        if found is None:
            # NOTE(logs): nothing written yet (a log enabled by this very
            # request): nothing to send, and no error.
            return entry
        size, identity = found
        published = entry.get('published', 0)
        if _rotated(entry, size, identity):
            LOG.info('Guest log %s of instance %s was rotated; publishing '
                     'it afresh', definition.name,
                     self.manager.info.guest_id)
            self._discard(target, where)
            published = 0
        sent = 0
        while published < size:
            data = definition.source.read(published,
                                          min(where.limit, size - published))
            chunk = _whole_lines(data, where.limit)
            if not chunk:
                break
            target.put_object(
                where.prefix + _object_name(sent),
                chunk, metadata={'lines': chunk.count(b'\n')},
                delete_after=where.expiry)
            published += len(chunk)
            sent += 1
        entry = dict(entry, published=published, identity=identity)
        target.put_object(where.metafile, json.dumps({
            'log': definition.name, 'type': definition.type,
            'published': published,
            'updated': _now().isoformat()}).encode('utf-8'),
            delete_after=where.expiry)
        LOG.info('Published %d object(s) of guest log %s of instance %s '
                 '(%d bytes in all)', sent, definition.name,
                 self.manager.info.guest_id, published)
        return entry

    # -- what the API shows -----------------------------------------------------

    def _show(self, definition, entry):
        found = definition.source.stat()
        size = found[0] if found else 0
        published = entry.get('published', 0)
        enabled = (definition.type == vocabulary.SYS
                   or bool(entry.get('enabled')))
        if found is not None and _rotated(entry, *found):
            status, pending = vocabulary.ROTATED, size
        else:
            pending = max(size - published, 0)
            if not size or not enabled:
                if definition.type == vocabulary.SYS:
                    status = vocabulary.UNAVAILABLE
                else:
                    status = (vocabulary.ENABLED if enabled
                              else vocabulary.DISABLED)
            elif pending:
                status = (vocabulary.PARTIAL if published
                          else vocabulary.READY)
            else:
                status = vocabulary.PUBLISHED
        return {'name': definition.name, 'type': definition.type,
                'status': status, 'published': published,
                'pending': pending}

    # -- state -----------------------------------------------------------------

    def _definitions(self):
        found = dict(self.manager.guest_log_definitions())
        agent_log = self.manager.agent_log_path()
        if agent_log is not None:
            found.setdefault(vocabulary.AGENT_LOG, LogDefinition(
                vocabulary.AGENT_LOG, vocabulary.SYS, FileSource(agent_log)))
        return found

    def _load(self):
        if self.state_path is None:
            return json.loads(json.dumps(self._memory))
        try:
            with open(self.state_path) as handle:
                loaded = json.load(handle)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as err:
            LOG.warning('Ignoring the unreadable %s: %s', self.state_path,
                        err)
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def _save(self, state):
        if self.state_path is None:
            self._memory = json.loads(json.dumps(state))
            return
        temporary = self.state_path + '.tmp'
        with open(temporary, 'w') as handle:
            json.dump(state, handle, sort_keys=True)
        os.replace(temporary, self.state_path)


def _rotated(entry, size, identity):
    """Whether the log was replaced or cut since it was published."""
    published = entry.get('published', 0)
    if not published:
        return False
    return entry.get('identity') not in (None, identity) or size < published


def _whole_lines(data, limit):
    """The part of ``data`` to publish now: up to its last line end; a
    full-size piece with no line end at all goes whole (a line longer
    than an object).
    """
    end = data.rfind(b'\n')
    if end >= 0:
        return data[:end + 1]
    return data if len(data) >= limit else b''


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _object_name(sequence):
    """``log-<UTC time to the microsecond>-<n>``: names sort in the order
    they were written, as their modification times do.
    """
    return 'log-%s-%04d' % (_now().strftime('%Y-%m-%dT%H:%M:%S.%f'),
                            sequence)
