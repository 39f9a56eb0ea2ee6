"""Tests for GuestInfo: an agent's identity from guest_info.conf."""

from oslo_config import cfg
import pytest

from trove_lite.guestagent import info as guest_info

CONF = cfg.CONF


def write(path, text):
    path.write_text(text)
    return str(path)


def test_load_reads_every_field(tmp_path):
    path = write(tmp_path / 'guest_info.conf', """
[DEFAULT]
guest_id = inst-1
transport_url = kombu+memory:////
[guest]
datastore_manager = mariadb
datastore_version = 10.11
tenant_id = t-1
instance_dir = /srv/inst-1
bind_host = 127.77.0.12
port = 3307
instance_key = s3cret
""")
    info = guest_info.load(path)
    assert info == guest_info.GuestInfo(
        guest_id='inst-1', datastore_manager='mariadb',
        datastore_version='10.11', tenant_id='t-1',
        instance_dir='/srv/inst-1', bind_host='127.77.0.12', port=3307,
        instance_key='s3cret', transport_url='kombu+memory:////')


def test_key_never_in_repr(tmp_path):
    info = guest_info.GuestInfo(guest_id='a', instance_key='s3cret',
                                transport_url='rabbit://g:pw@mq//')
    assert 's3cret' not in repr(info)
    assert 'pw@mq' not in repr(info)


def test_port_defaults_to_the_datastores(tmp_path):
    path = write(tmp_path / 'g.conf', '[DEFAULT]\nguest_id = a\n'
                 '[guest]\ndatastore_manager = mysql\n')
    assert guest_info.load(path).port == 3306


def test_guest_id_is_required(tmp_path):
    path = write(tmp_path / 'g.conf', '[guest]\ntenant_id = t\n')
    with pytest.raises(cfg.RequiredOptError):
        guest_info.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(cfg.ConfigFilesNotFoundError):
        guest_info.load(tmp_path / 'nope.conf')


def test_bad_port(tmp_path):
    path = write(tmp_path / 'g.conf', '[DEFAULT]\nguest_id = a\n'
                 '[guest]\nport = 99999\n')
    with pytest.raises(cfg.ConfigFileValueError):
        guest_info.load(path)


def test_agents_do_not_share_or_touch_global_conf(tmp_path):
    one = write(tmp_path / 'one.conf', '[DEFAULT]\nguest_id = one\n'
                '[guest]\nbind_host = 127.77.0.1\n')
    two = write(tmp_path / 'two.conf', '[DEFAULT]\nguest_id = two\n'
                '[guest]\nbind_host = 127.77.0.2\n')
    first, second = guest_info.load(one), guest_info.load(two)
    assert (first.guest_id, first.bind_host) == ('one', '127.77.0.1')
    assert (second.guest_id, second.bind_host) == ('two', '127.77.0.2')
    assert CONF.guest_id is None


def test_later_files_win(tmp_path):
    one = write(tmp_path / 'one.conf', '[DEFAULT]\nguest_id = one\n'
                '[guest]\ntenant_id = t1\n')
    two = write(tmp_path / 'two.conf', '[guest]\ntenant_id = t2\n')
    info = guest_info.load([one, two])
    assert (info.guest_id, info.tenant_id) == ('one', 't2')


def test_path():
    info = guest_info.GuestInfo(guest_id='a', instance_dir='/srv/a')
    assert info.path('data') == '/srv/a/data'
    with pytest.raises(ValueError):
        guest_info.GuestInfo(guest_id='a').path('data')
