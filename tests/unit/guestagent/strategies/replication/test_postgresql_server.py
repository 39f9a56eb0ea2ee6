"""The replication SQL of PostgreSQL without a server: names, LSNs,
sources, and the statements ``Server`` sends to a simulated connection
(``FakeConn``; the real server is
``tests/functional/test_replication_postgresql.py``).
"""

import psycopg
import pytest

from trove_lite.common import exception
from trove_lite.guestagent.strategies.replication import postgresql_server

INSTANCE_ID = '0b5e8f3c-0c6e-4f0e-9d55-2f1f3c7d9a10'
SLOT = 'trove_0b5e8f3c_0c6e_4f0e_9d55_2f1f3c7d9a10'


@pytest.mark.parametrize('text, expected', [
    ('0/0', 0), ('0/3000148', 0x3000148),
    ('16/B374D848', (0x16 << 32) | 0xB374D848), (None, None)])
def test_an_lsn_is_an_int(text, expected):
    assert postgresql_server.lsn(text) == expected


def test_lsns_order_by_how_far_the_wal_goes():
    lsns = ['0/FFFFFFFF', '1/0', '0/3000148']
    assert max(lsns, key=postgresql_server.lsn) == '1/0'
    assert postgresql_server.lsn('0/A') < postgresql_server.lsn('0/B')


@pytest.mark.parametrize('text', ['', '0', '0/', 'x/1', '1/2/3', 5,
                                  "0/1'; DROP", '123456789/0'])
def test_a_malformed_lsn_is_refused(text):
    with pytest.raises(exception.BadValue):
        postgresql_server.lsn(text)


def test_a_slot_is_named_from_the_replicas_instance_id():
    assert postgresql_server.slot_name(INSTANCE_ID) == SLOT
    assert len(SLOT) <= 63
    assert postgresql_server.slot_name('Inst-1') == 'trove_inst_1'


@pytest.mark.parametrize('instance_id', [None, '', 'a b', "a'", 'a/b',
                                         'x' * 57, 7])
def test_an_id_that_cannot_name_a_slot_is_refused(instance_id):
    with pytest.raises(exception.BadValue):
        postgresql_server.slot_name(instance_id)


def test_the_source_of_a_primary_conninfo():
    assert postgresql_server.source_of(
        'host=127.77.1.2 port=5433 user=os_repl passfile=/x') == {
            'host': '127.77.1.2', 'port': 5433}
    assert postgresql_server.source_of("host='h' user=u") == {
        'host': 'h', 'port': 5432}
    assert postgresql_server.source_of('') is None
    assert postgresql_server.source_of("host='unterminated") is None


# -- statements on a simulated connection ---------------------------------

class FakeCursor:

    def __init__(self, rows):
        self.rows = rows
        self.description = [('column',)] if rows is not None else None

    def fetchall(self):
        return self.rows


class FakePgConn:

    def encrypt_password(self, password, user, algorithm):
        assert algorithm == b'scram-sha-256'
        return b'SCRAM-SHA-256$verifier-of-' + password


class FakeConn:
    """Answers each statement from ``answers`` (first match of a
    statement's start; a callable may raise), and records it.
    """

    def __init__(self, answers=()):
        self.answers = list(answers)
        self.statements = []
        self.pgconn = FakePgConn()

    def execute(self, query, args=None):
        if not isinstance(query, str):
            query = query.as_string(None)
        self.statements.append((query, args))
        for start, answer in self.answers:
            if query.startswith(start):
                rows = answer() if callable(answer) else answer
                return FakeCursor(rows)
        return FakeCursor(None)

    def ran(self, start):
        return [(query, args) for query, args in self.statements
                if query.startswith(start)]


def test_the_account_is_created_with_a_verifier_and_its_grants():
    conn = FakeConn([('SELECT 1 FROM pg_roles', [])])
    postgresql_server.Server(conn).set_account('pw-1')
    [(create, _)] = conn.ran('CREATE ROLE')
    assert create.startswith('CREATE ROLE "os_repl" WITH LOGIN REPLICATION '
                             'NOSUPERUSER')
    # Never the password itself: libpq's SCRAM verifier of it.
    assert "PASSWORD 'SCRAM-SHA-256$verifier-of-pw-1'" in create
    assert conn.ran('GRANT CONNECT ON DATABASE "postgres" TO "os_repl"')
    grants = [query for query, _ in conn.ran('GRANT EXECUTE')]
    assert len(grants) == 4
    assert 'pg_catalog.pg_ls_dir(text, boolean, boolean)' in grants[0]


def test_an_existing_account_gets_the_new_password():
    conn = FakeConn([('SELECT 1 FROM pg_roles', [(1,)])])
    postgresql_server.Server(conn).set_account('pw-2')
    assert conn.ran('CREATE ROLE') == []
    assert 'verifier-of-pw-2' in conn.ran('ALTER ROLE')[0][0]


def test_a_slot_is_created_once_and_reserves_wal_at_once():
    conn = FakeConn([('SELECT 1 FROM pg_replication_slots', [])])
    postgresql_server.Server(conn).ensure_slot(SLOT)
    assert conn.ran('SELECT pg_create_physical_replication_slot') == [
        ('SELECT pg_create_physical_replication_slot(%s, true)', (SLOT,))]
    there = FakeConn([('SELECT 1 FROM pg_replication_slots', [(1,)])])
    postgresql_server.Server(there).ensure_slot(SLOT)
    assert there.ran('SELECT pg_create') == []


def test_dropping_a_busy_slot_ends_its_stream_and_tries_again(monkeypatch):
    monkeypatch.setattr(postgresql_server, 'DROP_RETRY', 0)
    attempts = []

    def drop():
        attempts.append(1)
        if len(attempts) == 1:
            raise psycopg.errors.ObjectInUse('busy')
        return []
    conn = FakeConn([('SELECT active_pid', [(4242,)]),
                     ('SELECT pg_drop_replication_slot', drop)])
    postgresql_server.Server(conn).drop_slot(SLOT)
    assert conn.ran('SELECT pg_terminate_backend') == [
        ('SELECT pg_terminate_backend(%s)', (4242,))] * 2
    assert len(attempts) == 2


def test_a_slot_that_stays_busy_is_an_error(monkeypatch):
    monkeypatch.setattr(postgresql_server, 'DROP_RETRY', 0)

    def drop():
        raise psycopg.errors.ObjectInUse('busy')
    conn = FakeConn([('SELECT active_pid', [(4242,)]),
                     ('SELECT pg_drop_replication_slot', drop)])
    with pytest.raises(exception.GuestError):
        postgresql_server.Server(conn).drop_slot(SLOT)
    assert len(conn.ran('SELECT pg_drop')) == postgresql_server.DROP_ATTEMPTS


def test_a_missing_slot_is_dropped_already():
    conn = FakeConn([('SELECT active_pid', [])])
    postgresql_server.Server(conn).drop_slot(SLOT)
    assert conn.ran('SELECT pg_drop') == []


def test_a_promotion_is_waited_for_then_checkpointed():
    conn = FakeConn([('SELECT pg_promote', [(True,)])])
    assert postgresql_server.Server(conn).promote(30) is True
    assert conn.statements == [('SELECT pg_promote(true, %s)', (30,)),
                               ('CHECKPOINT', None)]
    late = FakeConn([('SELECT pg_promote', [(False,)])])
    assert postgresql_server.Server(late).promote(30) is False
    assert late.ran('CHECKPOINT') == []


def test_only_the_strategys_slots_are_listed():
    conn = FakeConn([('SELECT slot_name', [('trove_a',), ('trove_b',)])])
    assert postgresql_server.Server(conn).slots() == ['trove_a', 'trove_b']
    [(query, args)] = conn.statements
    assert "slot_type = 'physical'" in query
    assert args == ('trove\\_%',)
