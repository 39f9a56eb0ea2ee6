"""The RabbitMQ driver with rabbitmqctl and the management API faked at
their boundary (a subprocess runner, an HTTP opener)."""

import io
import json
import re
import subprocess
import urllib.error

import pytest

from tests.unit import rpc_fixtures
from trove_lite.broker import base
from trove_lite.broker import rabbitmq

GRANT = base.Grant(instance_id='a1', topic='guestagent.a1', server='a1',
                   report_topic='trove-conductor', exchange='trove')


class FakeRunner:
    """``subprocess.run`` stand-in: records argv and stdin, answers from
    ``answers`` (argv[2] -> (returncode, output)).
    """

    def __init__(self, answers=None):
        self.calls = []
        self.answers = answers or {}

    def __call__(self, args, input=None, **kwargs):
        self.calls.append((args, input))
        code, output = self.answers.get(args[2], (0, ''))
        return subprocess.CompletedProcess(args, code, output, '')


class FakeOpener:
    """``urlopen`` stand-in: records requests, raises ``errors[method]``."""

    def __init__(self, errors=None):
        self.requests = []
        self.errors = errors or {}

    def __call__(self, request, timeout=None):
        body = json.loads(request.data) if request.data else None
        self.requests.append((request.get_method(), request.full_url, body,
                              request.get_header('Authorization')))
        code = self.errors.get(request.get_method())
        if code:
            raise urllib.error.HTTPError(request.full_url, code, 'no', {},
                                         io.BytesIO())
        return io.BytesIO(b'')


# What the guest's oslo.messaging touches (found on RabbitMQ 3.10).
OWN = ['guestagent.a1', 'guestagent.a1.a1', 'guestagent.a1_fanout',
       'guestagent.a1_fanout_9f8e7d']
OTHERS = ['guestagent.b1', 'guestagent.b1.b1', 'guestagent.b1_fanout',
          'taskmanager', 'trove-conductor', 'openstack', 'amq.topic',
          'reply_0123']


@pytest.fixture
def perms():
    return rabbitmq.permissions(GRANT)


@pytest.mark.parametrize('kind', ['configure', 'write', 'read'])
def test_permissions_cover_own_names_and_the_exchange(perms, kind):
    for name in OWN + ['trove']:
        assert re.fullmatch(perms[kind], name), (kind, name)


@pytest.mark.parametrize('kind', ['configure', 'write', 'read'])
def test_permissions_exclude_other_names(perms, kind):
    for name in OTHERS:
        assert not re.fullmatch(perms[kind], name), (kind, name)


def test_only_write_reaches_the_default_exchange(perms):
    assert re.fullmatch(perms['write'], 'amq.default')
    assert not re.fullmatch(perms['configure'], 'amq.default')
    assert not re.fullmatch(perms['read'], 'amq.default')


def test_topic_permissions_allow_the_conductor_only(perms):
    topic = perms['topic']
    assert topic['exchange'] == 'trove'
    assert re.fullmatch(topic['write'], 'trove-conductor')
    for key in ('taskmanager', 'guestagent.a1', 'guestagent.b1',
                'trove-conductor.host'):
        assert not re.fullmatch(topic['write'], key)
    assert re.fullmatch(topic['read'], 'guestagent.a1')
    assert re.fullmatch(topic['read'], 'guestagent.a1.a1')
    assert not re.fullmatch(topic['read'], 'guestagent.b1')
    assert not re.fullmatch(topic['read'], 'taskmanager')


def test_rabbitmqctl_passes_the_password_on_stdin():
    runner = FakeRunner()
    ctl = rabbitmqctl_client(runner)
    ctl.put_user('trove-guest-a1', 's3cret')
    [(args, stdin)] = runner.calls
    assert args == ['sudo', 'rabbitmqctl', '--quiet', 'add_user',
                    'trove-guest-a1']
    assert stdin == 's3cret'


def rabbitmqctl_client(runner):
    return rabbitmq.Rabbitmqctl('sudo rabbitmqctl', runner=runner)


def test_rabbitmqctl_existing_user_gets_a_new_password():
    runner = FakeRunner({'add_user': (70, 'Error: user "x" already exists')})
    ctl = rabbitmq.Rabbitmqctl('rabbitmqctl', runner=runner)
    ctl.put_user('trove-guest-a1', 'new')
    assert [(a[2:], s) for a, s in runner.calls] == [
        (['add_user', 'trove-guest-a1'], 'new'),
        (['change_password', 'trove-guest-a1'], 'new')]


def test_rabbitmqctl_permissions_argv():
    runner = FakeRunner()
    ctl = rabbitmq.Rabbitmqctl('rabbitmqctl', runner=runner)
    ctl.set_permissions('/', 'u', 'c', 'w', 'r')
    ctl.set_topic_permissions('/v', 'u', 'trove', 'tw', 'tr')
    assert [args[2:] for args, _ in runner.calls] == [
        ['set_permissions', '-p', '/', 'u', 'c', 'w', 'r'],
        ['set_topic_permissions', '-p', '/v', 'u', 'trove', 'tw', 'tr']]


def test_rabbitmqctl_delete_of_a_missing_user_is_no_error():
    def answer(args, input=None, **kwargs):
        return subprocess.CompletedProcess(
            args, 69, '', 'Error:\nUser "u" does not exist')

    ctl = rabbitmq.Rabbitmqctl('rabbitmqctl', runner=answer)
    assert ctl.delete_user('u') is False


def test_rabbitmqctl_failure_is_a_broker_error_without_the_password():
    def answer(args, input=None, **kwargs):
        return subprocess.CompletedProcess(args, 75, '',
                                           'Error: unable to connect')

    ctl = rabbitmq.Rabbitmqctl('rabbitmqctl', runner=answer)
    with pytest.raises(base.BrokerError) as err:
        ctl.put_user('u', 's3cret')
    assert 'unable to connect' in str(err.value)
    assert 's3cret' not in str(err.value)


def test_rabbitmqctl_missing_command_is_a_broker_error():
    def answer(args, input=None, **kwargs):
        raise FileNotFoundError(2, 'No such file', args[0])

    with pytest.raises(base.BrokerError, match='No such file'):
        rabbitmq.Rabbitmqctl('rabbitmqctl', runner=answer).delete_user('u')


def test_management_api_requests():
    opener = FakeOpener()
    api = rabbitmq.ManagementAPI('http://mq:15672/', 'admin', 'pw',
                                 opener=opener)
    api.put_user('trove-guest-a1', 's3cret')
    api.set_permissions('/', 'trove-guest-a1', 'c', 'w', 'r')
    api.set_topic_permissions('/', 'trove-guest-a1', 'trove', 'tw', 'tr')
    assert api.delete_user('trove-guest-a1') is True
    assert [r[:3] for r in opener.requests] == [
        ('PUT', 'http://mq:15672/api/users/trove-guest-a1',
         {'password': 's3cret', 'tags': ''}),
        ('PUT', 'http://mq:15672/api/permissions/%2F/trove-guest-a1',
         {'configure': 'c', 'write': 'w', 'read': 'r'}),
        ('PUT', 'http://mq:15672/api/topic-permissions/%2F/trove-guest-a1',
         {'exchange': 'trove', 'write': 'tw', 'read': 'tr'}),
        ('DELETE', 'http://mq:15672/api/users/trove-guest-a1', None)]
    assert {r[3] for r in opener.requests} == {'Basic YWRtaW46cHc='}


def test_management_api_delete_of_a_missing_user_is_no_error():
    api = rabbitmq.ManagementAPI('http://mq:15672', 'a', 'b',
                                 opener=FakeOpener({'DELETE': 404}))
    assert api.delete_user('u') is False


def test_management_api_refusal_is_a_broker_error():
    api = rabbitmq.ManagementAPI('http://mq:15672', 'a', 'b',
                                 opener=FakeOpener({'PUT': 401}))
    with pytest.raises(base.BrokerError, match='HTTP 401'):
        api.put_user('u', 'p')


def test_admin_from_config(override):
    assert isinstance(rabbitmq.admin_from_config(), rabbitmq.Rabbitmqctl)
    override('management_url', 'http://mq:15672', group='guest_broker')
    assert isinstance(rabbitmq.admin_from_config(), rabbitmq.ManagementAPI)


class RecordingAdmin:
    def __init__(self, fail=None):
        self.calls = []
        self.fail = fail

    def __getattr__(self, name):
        def record(*args):
            self.calls.append((name,) + args)
            if name == self.fail:
                raise base.BrokerError(reason='refused')
            return True
        return record


@pytest.fixture
def control_url(override):
    rpc_fixtures.register_messaging_opts()
    override('transport_url', 'rabbit://service:pw@mq1:5672,'
             'service:pw@mq2:5673/trove')


def test_create_identity_makes_user_and_permissions(control_url, caplog):
    admin = RecordingAdmin()
    transport = rabbitmq.RabbitMQDriver(admin=admin).create_identity(
        None, GRANT)
    [put, perms, topic] = admin.calls
    assert put[:2] == ('put_user', 'trove-guest-a1')
    password = put[2]
    assert len(password) >= 32
    expected = rabbitmq.permissions(GRANT)
    assert perms == ('set_permissions', 'trove', 'trove-guest-a1',
                     expected['configure'], expected['write'],
                     expected['read'])
    assert topic == ('set_topic_permissions', 'trove', 'trove-guest-a1',
                     'trove', expected['topic']['write'],
                     expected['topic']['read'])
    assert transport['transport_url'] == (
        'rabbit://trove-guest-a1:%s@mq1:5672,trove-guest-a1:%s@mq2:5673/'
        'trove' % (password, password))
    assert transport['control_exchange'] == 'trove'
    assert transport['conductor_queue'] == 'trove-conductor'
    assert password not in caplog.text


def test_each_identity_gets_a_fresh_password(control_url):
    driver = rabbitmq.RabbitMQDriver(admin=RecordingAdmin())
    first = driver.create_identity(None, GRANT)['transport_url']
    assert driver.create_identity(None, GRANT)['transport_url'] != first


def test_guest_transport_url_sets_where_guests_connect(control_url,
                                                       override):
    override('guest_transport_url', 'rabbit://x:y@10.0.0.5:5672/',
             group='guest_broker')
    transport = rabbitmq.RabbitMQDriver(admin=RecordingAdmin()) \
        .create_identity(None, GRANT)
    assert re.fullmatch(r'rabbit://trove-guest-a1:[^@]+@10\.0\.0\.5:5672/',
                        transport['transport_url'])


def test_default_vhost_is_slash(override):
    rpc_fixtures.register_messaging_opts()
    override('transport_url', 'rabbit://service:pw@mq:5672/')
    admin = RecordingAdmin()
    rabbitmq.RabbitMQDriver(admin=admin).create_identity(None, GRANT)
    assert admin.calls[1][1] == '/'


def test_failed_permissions_remove_the_user(control_url):
    admin = RecordingAdmin(fail='set_topic_permissions')
    with pytest.raises(base.BrokerError):
        rabbitmq.RabbitMQDriver(admin=admin).create_identity(None, GRANT)
    assert admin.calls[-1] == ('delete_user', 'trove-guest-a1')


def test_no_transport_url_is_a_broker_error(override):
    rpc_fixtures.register_messaging_opts()
    override('transport_url', '')
    with pytest.raises(base.BrokerError, match='no transport_url'):
        rabbitmq.RabbitMQDriver(admin=RecordingAdmin()).create_identity(
            None, GRANT)


def test_delete_identity_by_name(override):
    override('user_prefix', 'tg-', group='guest_broker')
    admin = RecordingAdmin()
    rabbitmq.RabbitMQDriver(admin=admin).delete_identity(None, 'a1')
    assert admin.calls == [('delete_user', 'tg-a1')]


def test_rabbitmqctl_delete_of_a_missing_queue_is_no_error():
    calls = []

    def answer(args, input=None, **kwargs):
        calls.append(args)
        return subprocess.CompletedProcess(args, 64, '',
                                           'Error:\nQueue not found')

    ctl = rabbitmq.Rabbitmqctl('rabbitmqctl', runner=answer)
    assert ctl.delete_queue('/v', 'guestagent.a1') is False
    assert calls[0][2:] == ['delete_queue', '-p', '/v', 'guestagent.a1']


def test_delete_queues_in_the_guests_vhost(control_url):
    admin = RecordingAdmin(fail='nothing')
    rabbitmq.RabbitMQDriver(admin=admin).delete_queues(
        None, ['guestagent.a1', 'guestagent.a1.a1'])
    assert admin.calls == [('delete_queue', 'trove', 'guestagent.a1'),
                           ('delete_queue', 'trove', 'guestagent.a1.a1')]


def test_a_queue_that_cannot_be_removed_is_only_logged(control_url):
    admin = RecordingAdmin(fail='delete_queue')
    rabbitmq.RabbitMQDriver(admin=admin).delete_queues(None, ['q1', 'q2'])
    assert [call[2] for call in admin.calls] == ['q1', 'q2']
