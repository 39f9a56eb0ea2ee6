"""The guest image recipe (tools/guest-image) against what the agent reads.

The image's systemd unit must start ``trove-lite-guestagent`` on the
``guest_info.conf`` that the taskmanager renders for every server
(``compute.base.GUEST_INFO_PATH``), after the image's own defaults, and
the agent must find its identity in the two files together.
"""

import configparser
import os
import pathlib
import shlex
import shutil
import subprocess
import sys

from trove_lite.common import guest_logs
from trove_lite.compute import base as compute_base
from trove_lite.guestagent import info as guest_info
from trove_lite.taskmanager import guest_files

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
RECIPE = REPO_ROOT / 'tools' / 'guest-image'
UNIT = RECIPE / 'trove-lite-guestagent.service'
IMAGE_CONF = '/etc/trove/conf.d/trove-guestagent.conf'
AGENT = '/opt/trove-lite/bin/trove-lite-guestagent'


def _unit():
    config = configparser.ConfigParser(interpolation=None, strict=True)
    config.optionxform = str
    config.read_string(UNIT.read_text())
    return config


def test_unit_starts_the_agent_on_the_image_then_the_guest_info_file():
    unit = _unit()
    assert shlex.split(unit['Service']['ExecStart']) == [
        AGENT, '--config-file', IMAGE_CONF,
        '--config-file', compute_base.GUEST_INFO_PATH]
    assert unit['Unit']['ConditionPathExists'] == \
        compute_base.GUEST_INFO_PATH
    assert 'cloud-init.service' in unit['Unit']['After'].split()
    assert unit['Install']['WantedBy'] == 'multi-user.target'


def test_systemd_accepts_the_unit(tmp_path):
    # NOTE(verify): systemd-analyze also checks that ExecStart's binary
    # exists; point it at this environment's agent.
    analyze = shutil.which('systemd-analyze')
    assert analyze, 'systemd-analyze is missing (Debian package systemd)'
    agent = pathlib.Path(sys.executable).parent / 'trove-lite-guestagent'
    assert agent.exists(), agent
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text().replace(AGENT, str(agent)))
    result = subprocess.run([analyze, 'verify', str(unit)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_agent_reads_its_identity_and_the_image_defaults(tmp_path):
    image_conf = tmp_path / 'trove-guestagent.conf'
    shutil.copy(RECIPE / 'trove-guestagent.conf', image_conf)
    rendered = tmp_path / 'guest_info.conf'
    rendered.write_text(guest_files.guest_files(
        'i-1', 'k3y', {'datastore_manager': 'mariadb',
                       'datastore_version': '10.11', 'tenant_id': 'p1'},
        {'transport_url': 'rabbit://g:p@10.0.0.1:5672/'})[
            compute_base.GUEST_INFO_PATH])
    info = guest_info.load([str(image_conf), str(rendered)])
    assert (info.guest_id, info.datastore_manager, info.datastore_version,
            info.tenant_id, info.instance_key, info.transport_url) == (
        'i-1', 'mariadb', '10.11', 'p1', 'k3y', 'rabbit://g:p@10.0.0.1:5672/')
    assert (info.instance_dir, info.bind_host, info.port) == (
        '/var/lib/trove-lite/instance', '0.0.0.0', 3306)
    # The unit's StateDirectory is where the image puts instances, and
    # the agent's log (the "guest" log) is in the instance's log/.
    conf = configparser.ConfigParser(interpolation=None)
    conf.read(image_conf)
    made = ['/var/lib/%s' % path for path in
            _unit()['Service']['StateDirectory'].split()]
    assert info.instance_dir in made
    assert os.path.join(info.instance_dir, guest_logs.AGENT_LOG_FILE) == (
        os.path.join(conf['DEFAULT']['log_dir'], conf['DEFAULT']['log_file']))
    assert conf['DEFAULT']['log_dir'] in made


def test_build_script_refuses_an_unknown_datastore(tmp_path):
    result = subprocess.run(
        ['bash', str(RECIPE / 'build-guest-image.sh'), 'oracle',
         str(tmp_path / 'base.img'), str(tmp_path / 'out.qcow2')],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith('usage:')
    assert not (tmp_path / 'out.qcow2').exists()
