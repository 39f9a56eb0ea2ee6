"""RabbitMQ: a broker user per instance, with the narrowest permissions
RabbitMQ can express.

The user is ``[guest_broker] user_prefix`` + the instance id, with a
random password that lives only in the guest's ``guest_info.conf`` (it is
never stored by the control plane: the user is deleted by name). It is
made through the management HTTP API when ``[guest_broker]
management_url`` is set, else with ``rabbitmqctl`` on this host.

What the guest's oslo.messaging needs, and gets, on the control exchange
E, its topic T = ``guestagent.<id>``, its server S and the conductor's
topic C (found against RabbitMQ 3.10 with oslo.messaging 18):

=========  ==========================================================
configure  E (oslo.messaging declares it before consuming and before
           publishing), queues T, T.S, T_fanout_<hex> and exchange
           T_fanout
write      E (its casts), ``amq.default`` (its replies to calls: they
           go through the default exchange to the caller's reply
           queue), its own queues (binding a queue needs write on it)
read       E and T_fanout (binding needs read on the exchange), its own
           queues (consuming)
topic      on E: publish only with routing key C; bind only with keys
           T and T.S
=========  ==========================================================

What RabbitMQ cannot restrict:

* **The default exchange.** A reply is published to ``amq.default``
  with the caller's reply queue as routing key, and RabbitMQ checks write
  permission on the exchange only, not on the queue it routes to. So a
  guest holding this identity can put a message on any queue of the
  vhost whose name it knows, including ``taskmanager`` and other guests'
  ``guestagent.<id>`` queues. Other guests drop it (messages to a guest
  are sealed with that guest's key, and so are reports to the
  conductor); the taskmanager's and API's topics are not sealed. The
  remedy is a virtual host for guest traffic only, which this driver
  does not do yet.
* **Configure on the control exchange.** Declaring E needs configure on
  it, and configure also allows ``exchange.delete``: a guest can delete
  the control exchange, dropping every binding on it until the services
  reconnect (denial of service, not disclosure). A per-guest exchange
  bound to E would avoid it.
* Publishing any payload with the allowed routing key: the broker checks
  names, not content; the conductor checks the seal.
* Connection and queue-length limits are not set.
"""

import base64
import json
import re
import secrets
import shlex
import subprocess
import urllib.error
import urllib.parse
import urllib.request

from oslo_config import cfg
from oslo_log import log as logging
import oslo_messaging

from trove_lite.broker import base

LOG = logging.getLogger(__name__)

PASSWORD_BYTES = 24
DEFAULT_VHOST = '/'


def permissions(grant):
    """``{'configure', 'write', 'read', 'topic': {exchange, write, read}}``
    regexes for ``grant`` (see the module docstring for why each).
    """
    exchange = _escape(grant.exchange)
    mine = grant.consume_pattern()
    topic = _escape(grant.topic)
    server = _escape(grant.server)
    return {
        'configure': '^(%s|%s)$' % (exchange, mine),
        'write': r'^(%s|amq\.default|%s)$' % (exchange, mine),
        'read': '^(%s|%s)$' % (exchange, mine),
        'topic': {'exchange': grant.exchange,
                  'write': '^%s$' % _escape(grant.report_topic),
                  'read': r'^%s(\.%s)?$' % (topic, server)},
    }


def _escape(name):
    # NOTE(rabbit): RabbitMQ compiles these with Erlang's re (PCRE), for
    # which Python's re.escape output is valid.
    return re.escape(name)


class Rabbitmqctl:
    """User administration with ``rabbitmqctl`` on the broker's host.

    Passwords go through stdin, never argv, so ``ps`` does not show them.

    :param command: the command, split like a shell would (e.g.
        ``sudo rabbitmqctl`` or ``docker exec rabbitmq rabbitmqctl``).
    :param runner: ``subprocess.run``-like callable (tests pass a fake).
    """

    MISSING = 'does not exist'
    EXISTS = 'already exists'
    NO_QUEUE = 'not found'

    def __init__(self, command='rabbitmqctl', runner=None, timeout=60):
        self.command = shlex.split(command)
        self.runner = runner or subprocess.run
        self.timeout = timeout

    def _run(self, args, stdin=None, allow=None):
        try:
            result = self.runner(
                self.command + ['--quiet'] + args, input=stdin,
                capture_output=True, text=True, timeout=self.timeout)
        except (OSError, subprocess.SubprocessError) as err:
            raise base.BrokerError(reason='%s %s: %s' % (
                ' '.join(self.command), args[0], err))
        output = (result.stdout or '') + (result.stderr or '')
        if result.returncode == 0:
            return True
        if allow and allow in output:
            return False
        raise base.BrokerError(reason='%s %s failed (%d): %s' % (
            ' '.join(self.command), args[0], result.returncode,
            output.strip()[-500:]))

    def put_user(self, name, password):
        if not self._run(['add_user', name], stdin=password,
                         allow=self.EXISTS):
            self._run(['change_password', name], stdin=password)

    def set_permissions(self, vhost, name, configure, write, read):
        self._run(['set_permissions', '-p', vhost, name, configure, write,
                   read])

    def set_topic_permissions(self, vhost, name, exchange, write, read):
        self._run(['set_topic_permissions', '-p', vhost, name, exchange,
                   write, read])

    def delete_user(self, name):
        """:returns: False if there was no such user."""
        return self._run(['delete_user', name], allow=self.MISSING)

    def delete_queue(self, vhost, name):
        """:returns: False if there was no such queue."""
        return self._run(['delete_queue', '-p', vhost, name],
                         allow=self.NO_QUEUE)


class ManagementAPI:
    """User administration through the management plugin's HTTP API.

    :param url: e.g. ``http://rabbit:15672``.
    :param opener: ``urllib.request.urlopen``-like callable (tests pass a
        fake).
    """

    def __init__(self, url, username, password, timeout=30, opener=None):
        self.url = url.rstrip('/')
        self.timeout = timeout
        self.opener = opener or urllib.request.urlopen
        token = ('%s:%s' % (username, password)).encode('utf-8')
        self._auth = 'Basic ' + base64.b64encode(token).decode('ascii')

    @staticmethod
    def _path(*parts):
        return '/api/' + '/'.join(urllib.parse.quote(part, safe='')
                                  for part in parts)

    def _request(self, method, path, body=None, missing_ok=False):
        data = None if body is None else json.dumps(body).encode('utf-8')
        request = urllib.request.Request(
            self.url + path, data=data, method=method,
            headers={'Authorization': self._auth,
                     'Content-Type': 'application/json'})
        try:
            with self.opener(request, timeout=self.timeout):
                return True
        except urllib.error.HTTPError as err:
            if missing_ok and err.code == 404:
                return False
            raise base.BrokerError(reason='%s %s: HTTP %s' % (
                method, path, err.code))
        except (OSError, urllib.error.URLError) as err:
            raise base.BrokerError(reason='%s %s: %s' % (method, path, err))

    def put_user(self, name, password):
        self._request('PUT', self._path('users', name),
                      {'password': password, 'tags': ''})

    def set_permissions(self, vhost, name, configure, write, read):
        self._request('PUT', self._path('permissions', vhost, name),
                      {'configure': configure, 'write': write, 'read': read})

    def set_topic_permissions(self, vhost, name, exchange, write, read):
        self._request('PUT', self._path('topic-permissions', vhost, name),
                      {'exchange': exchange, 'write': write, 'read': read})

    def delete_user(self, name):
        """:returns: False if there was no such user."""
        return self._request('DELETE', self._path('users', name),
                             missing_ok=True)

    def delete_queue(self, vhost, name):
        """:returns: False if there was no such queue."""
        return self._request('DELETE', self._path('queues', vhost, name),
                             missing_ok=True)


def admin_from_config(conf=None):
    """The admin client ``[guest_broker]`` asks for.

    A ``ManagementAPI`` when ``management_url`` is set, else a
    ``Rabbitmqctl``.
    """
    conf = conf or cfg.CONF
    group = conf.guest_broker
    if group.management_url:
        return ManagementAPI(group.management_url, group.management_username,
                             group.management_password)
    return Rabbitmqctl(group.rabbitmqctl_command)


class RabbitMQDriver(base.BrokerDriver):
    """A RabbitMQ user per instance (see the module docstring).

    :param admin: a ``Rabbitmqctl`` or ``ManagementAPI``; from
        ``[guest_broker]`` when omitted.
    :param conf: the ``ConfigOpts`` (``cfg.CONF`` when omitted).
    """

    def __init__(self, admin=None, conf=None):
        self.conf = conf or cfg.CONF
        self.admin = admin or admin_from_config(self.conf)

    def user_name(self, instance_id):
        return self.conf.guest_broker.user_prefix + instance_id

    def _url(self):
        """The parsed URL guests connect to (without credentials)."""
        url = self.conf.guest_broker.guest_transport_url or \
            base.transport_url(self.conf)
        if not url:
            raise base.BrokerError(reason='no transport_url to give guests')
        try:
            return oslo_messaging.TransportURL.parse(self.conf, url)
        except oslo_messaging.InvalidTransportURL as err:
            raise base.BrokerError(reason='invalid transport URL: %s'
                                   % err.args[0].split('@')[-1])

    def create_identity(self, context, grant):
        url = self._url()
        vhost = url.virtual_host or DEFAULT_VHOST
        name = self.user_name(grant.instance_id)
        password = secrets.token_urlsafe(PASSWORD_BYTES)
        perms = permissions(grant)
        self.admin.put_user(name, password)
        try:
            self.admin.set_permissions(vhost, name, perms['configure'],
                                       perms['write'], perms['read'])
            topic = perms['topic']
            self.admin.set_topic_permissions(vhost, name, topic['exchange'],
                                             topic['write'], topic['read'])
        except base.BrokerError:
            self._delete_quietly(name)
            raise
        LOG.info('Made broker user %s (vhost %s) for instance %s', name,
                 vhost, grant.instance_id)
        hosts = [oslo_messaging.TransportHost(
            hostname=host.hostname, port=host.port, username=name,
            password=password) for host in url.hosts]
        guest_url = oslo_messaging.TransportURL(
            self.conf, transport=url.transport,
            virtual_host=url.virtual_host, hosts=hosts, query=url.query)
        return base.GuestTransport(transport_url=str(guest_url),
                                   control_exchange=grant.exchange,
                                   conductor_queue=grant.report_topic)

    def _delete_quietly(self, name):
        try:
            self.admin.delete_user(name)
        except base.BrokerError:
            LOG.exception('Could not remove broker user %s', name)

    def delete_identity(self, context, instance_id):
        name = self.user_name(instance_id)
        if self.admin.delete_user(name):
            LOG.info('Removed broker user %s of instance %s', name,
                     instance_id)

    def delete_queues(self, context, names):
        vhost = self._url().virtual_host or DEFAULT_VHOST
        for name in names:
            try:
                if self.admin.delete_queue(vhost, name):
                    LOG.info('Removed queue %s', name)
            except base.BrokerError as err:
                LOG.warning('Could not remove queue %s: %s', name, err)
