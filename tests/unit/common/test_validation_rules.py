"""Reading and checking validation-rules.json files, and our templates."""

import json
import os

import pytest

from trove_lite.common import exception
from trove_lite.common import validation_rules

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
TEMPLATES = os.path.join(ROOT, 'etc', 'trove-lite', 'datastores')
DATASTORES = ('mysql', 'mariadb', 'postgresql', 'redis')


def _rules_file(tmp_path, content):
    path = tmp_path / 'rules.json'
    path.write_text(content if isinstance(content, str)
                    else json.dumps(content))
    return str(path)


def _rule(**overrides):
    rule = {'name': 'max_connections', 'restart_required': False,
            'type': 'integer', 'min': 1, 'max': 1000}
    rule.update(overrides)
    return {key: value for key, value in rule.items() if value is not None}


@pytest.mark.parametrize('datastore', DATASTORES)
def test_templates_are_valid_and_realistic(datastore):
    path = os.path.join(TEMPLATES, datastore, 'validation-rules.json')
    rules = validation_rules.load(path)
    assert 10 <= len(rules) <= 20
    names = {rule['name'] for rule in rules}
    expected = {'mysql': {'max_connections', 'innodb_buffer_pool_size',
                          'max_allowed_packet', 'wait_timeout'},
                'mariadb': {'max_connections', 'innodb_buffer_pool_size'},
                'postgresql': {'max_connections', 'shared_buffers',
                               'work_mem'},
                'redis': {'maxmemory', 'maxmemory-policy', 'timeout'}}
    assert expected[datastore] <= names


def test_valid_file(tmp_path):
    path = _rules_file(tmp_path, {'configuration-parameters': [
        _rule(), _rule(name='sql_mode', type='string', min=None, max=None),
        _rule(name='long_query_time', type='float', min=0, max=0.5)]})
    assert len(validation_rules.load(path)) == 3


def test_missing_file(tmp_path):
    with pytest.raises(exception.ConfigurationParametersFileInvalid,
                       match='cannot read'):
        validation_rules.load(str(tmp_path / 'nope.json'))


def test_bad_json(tmp_path):
    with pytest.raises(exception.ConfigurationParametersFileInvalid,
                       match='not valid JSON'):
        validation_rules.load(_rules_file(tmp_path, '{"configuration-'))


@pytest.mark.parametrize('document,reason', [
    ([], 'expected an object'),
    ({'parameters': []}, 'expected an object'),
    ({'configuration-parameters': {}}, 'must be a list'),
    ({'configuration-parameters': ['x']}, 'entry 0: must be an object'),
    ({'configuration-parameters': [_rule(type=None)]}, 'missing key'),
    ({'configuration-parameters': [_rule(maximum=3)]}, 'unknown key'),
    ({'configuration-parameters': [_rule(name='')]}, 'non-empty'),
    ({'configuration-parameters': [_rule(restart_required='no')]},
     'true or false'),
    ({'configuration-parameters': [_rule(type='int')]}, '"type" must be'),
    ({'configuration-parameters': [_rule(min='1')]}, 'must be a number'),
    ({'configuration-parameters': [_rule(min=True)]}, 'must be a number'),
    ({'configuration-parameters': [_rule(min=0.5)]}, 'whole number'),
    ({'configuration-parameters': [_rule(min=5, max=1)]}, 'greater'),
    ({'configuration-parameters': [_rule(type='string')]},
     'only apply to integer and float'),
    ({'configuration-parameters': [_rule(), _rule()]}, 'entry 1: duplicate'),
])
def test_invalid_documents(tmp_path, document, reason):
    path = _rules_file(tmp_path, document)
    with pytest.raises(exception.ConfigurationParametersFileInvalid) as info:
        validation_rules.load(path)
    assert reason in str(info.value)
    assert path in str(info.value)


def test_every_shipped_file_is_found_and_valid():
    for manager in sorted(os.listdir(TEMPLATES)):
        path = validation_rules.shipped(manager)
        assert path is not None, manager
        assert validation_rules.load(path), manager
    assert validation_rules.shipped('no-such-manager') is None
