"""Real services for functional tests: MariaDB, RabbitMQ, free ports.

The machine's shared MariaDB and RabbitMQ are used as infrastructure
(never as datastore instances): each test session gets a database of its
own on MariaDB and an exchange of its own on RabbitMQ, so runs never see
each other. Override the servers with ``TROVE_LITE_TEST_MYSQL_URL`` (a
server URL without a database) and ``TROVE_LITE_TEST_RABBIT_URL``.
"""

import configparser
import contextlib
import os
import random
import socket
import uuid

import pymysql
from sqlalchemy.engine import url as sa_url

MYSQL_SERVER_URL = os.environ.get('TROVE_LITE_TEST_MYSQL_URL',
                                  'mysql+pymysql://root@127.0.0.1:3306/')
RABBIT_URL = os.environ.get('TROVE_LITE_TEST_RABBIT_URL',
                            'rabbit://guest:guest@127.0.0.1:5672/')


def free_port(host='127.0.0.1'):
    """A TCP port nothing listens on right now."""
    with contextlib.closing(socket.socket()) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _server_connection():
    url = sa_url.make_url(MYSQL_SERVER_URL)
    return pymysql.connect(host=url.host or '127.0.0.1',
                           port=url.port or 3306,
                           user=url.username or 'root',
                           password=url.password or '', autocommit=True)


@contextlib.contextmanager
def mariadb_database(prefix='trove_lite_test'):
    """Create a scratch database on MariaDB; yield its SQLAlchemy URL."""
    name = '%s_%s' % (prefix, uuid.uuid4().hex[:12])
    conn = _server_connection()
    try:
        with conn.cursor() as cursor:
            cursor.execute('CREATE DATABASE `%s` CHARACTER SET utf8mb4' % name)
        url = sa_url.make_url(MYSQL_SERVER_URL).set(
            database=name, query={'charset': 'utf8mb4'})
        yield url.render_as_string(hide_password=False)
    finally:
        with conn.cursor() as cursor:
            cursor.execute('DROP DATABASE IF EXISTS `%s`' % name)
        conn.close()


def unique_exchange(prefix='trove_lite_test'):
    """An oslo.messaging control_exchange no other run uses."""
    return '%s_%s' % (prefix, uuid.uuid4().hex[:12])


def unique_bus(prefix='trove_lite_test'):
    """``[DEFAULT]`` options that give a run a bus of its own.

    NOTE(rabbit): an exchange alone does not isolate a run: oslo.messaging
    names a topic's queue after the topic only, so every conductor and
    taskmanager on the broker, whatever its exchange, would consume from
    the same ``trove-conductor`` and ``taskmanager`` queues and take
    each other's messages.
    """
    name = unique_exchange(prefix)
    return {'control_exchange': name,
            'conductor_queue': '%s_conductor' % name,
            'taskmanager_queue': '%s_taskmanager' % name}


def port_free(host, port):
    """Whether nothing holds ``port`` on ``host``."""
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def private_address_range(prefix=24):
    """A random ``127.X.Y.0/<prefix>`` (X in 100..250) for one control
    plane's ``[local] address_range``.

    NOTE(local): the local driver hands out the lowest address no row of
    its infra database holds. Two control planes on one host (two
    modules run at once by ``pytest -n``, or two developers' runs) know
    nothing of each other's rows: with the same range, both would give
    their first instance the same address, and its packet filter chain.
    """
    return '127.%d.%d.0/%d' % (random.randint(100, 250),
                               random.randint(0, 255), prefix)


def with_private_address_range(sections):
    """``sections`` (a config's ``{group: {option: value}}``, or None)
    with ``[local] address_range`` set to a ``private_address_range()``
    unless it sets one.
    """
    sections = dict(sections or {})
    sections['local'] = dict({'address_range': private_address_range()},
                             **sections.get('local', {}))
    return sections


def free_loopback_address(port):
    """A random 127.77.x.y on which ``port`` is free: a datastore server
    of a guest test binds there, never on the machine's shared servers.
    """
    for _ in range(50):
        address = '127.77.%d.%d' % (random.randint(0, 255),
                                    random.randint(2, 254))
        if port_free(address, port):
            return address
    raise AssertionError('no free loopback address in 127.77.0.0/16 for '
                         'port %s' % port)


def write_config(path, sections):
    """Write an oslo.config file from ``{group: {option: value}}``."""
    parser = configparser.ConfigParser(interpolation=None)
    for group, options in sections.items():
        if group != 'DEFAULT':
            parser.add_section(group)
        for key, value in options.items():
            parser.set(group, key, str(value))
    with open(path, 'w') as handle:
        parser.write(handle)
    return str(path)
