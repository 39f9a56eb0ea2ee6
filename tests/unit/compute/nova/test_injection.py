"""How the guest's files reach a Nova server."""

import pytest
import yaml

from trove_lite.compute.nova import injection

FILES = {'/etc/trove/conf.d/guest_info.conf': '[DEFAULT]\nkey = k\n'}


def test_personality_is_the_files_themselves():
    assert injection.personality(FILES) == FILES


def test_cloud_config_writes_the_files_readable_by_root_only():
    data = injection.cloud_config(FILES)
    assert data.startswith('#cloud-config\n')
    [write] = yaml.safe_load(data)['write_files']
    assert write == {'path': '/etc/trove/conf.d/guest_info.conf',
                     'content': '[DEFAULT]\nkey = k\n',
                     'permissions': '0600', 'owner': 'root:root'}


def test_cloud_config_keeps_the_operators_own_document():
    own = '#cloud-config\npackages: [htop]\nwrite_files:\n- path: /a\n' \
          '  content: b\n'
    document = yaml.safe_load(injection.cloud_config(FILES, own))
    assert document['packages'] == ['htop']
    assert [w['path'] for w in document['write_files']] == [
        '/a', '/etc/trove/conf.d/guest_info.conf']


def test_a_script_cannot_carry_the_files():
    with pytest.raises(ValueError):
        injection.cloud_config(FILES, '#!/bin/sh\necho hi\n')
