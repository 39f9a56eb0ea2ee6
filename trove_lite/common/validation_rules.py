"""Validation rules files: which configuration parameters a datastore takes.

An operator loads one ``validation-rules.json`` per datastore version
(``trove-lite-manage db_load_datastore_config_parameters``); configuration
groups are later checked against the stored rules. The file format is
upstream Trove's, so its templates load unchanged::

    {"configuration-parameters": [
        {"name": "max_connections", "restart_required": false,
         "type": "integer", "min": 1, "max": 100000}, ...]}

This module only reads and checks such a file; it answers every mistake
with one message that names the entry and the key at fault, because the
operator reads it on a terminal, not in a log. trove_lite ships one file
per datastore manager (``etc/trove-lite/datastores/<manager>/``,
installed under ``<prefix>/share/trove-lite/datastores/``); ``shipped``
finds it, for the embedded shape's first start.
"""

import json
import numbers
import os
import sys

from oslo_config import cfg

from trove_lite.common import exception

FILE_NAME = 'validation-rules.json'

TOP_KEY = 'configuration-parameters'
TYPES = ('string', 'integer', 'float', 'boolean')
NUMERIC_TYPES = ('integer', 'float')
REQUIRED_KEYS = ('name', 'restart_required', 'type')
OPTIONAL_KEYS = ('min', 'max')


def load(path):
    """Read and check a rules file.

    :returns: the list of rule dicts (``name``, ``restart_required``,
        ``type`` and maybe ``min``/``max``).
    :raises ConfigurationParametersFileInvalid: unreadable file, bad JSON,
        or a rule that breaks the format.
    """
    try:
        with open(path, encoding='utf-8') as handle:
            document = json.load(handle)
    except OSError as error:
        raise _invalid(path, 'cannot read the file (%s)' % error.strerror)
    except ValueError as error:
        raise _invalid(path, 'not valid JSON (%s)' % error)
    return validate(document, path)


def search_dirs():
    """Where ``shipped`` looks: ``[DEFAULT] validation_rules_dirs``, or
    the installed share directory, then the source tree (a checkout or an
    editable install has no share directory).
    """
    configured = cfg.CONF.validation_rules_dirs
    if configured:
        return list(configured)
    source_tree = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    return [os.path.join(sys.prefix, 'share', 'trove-lite', 'datastores'),
            os.path.join(source_tree, 'etc', 'trove-lite', 'datastores')]


def shipped(manager):
    """The path of the rules file shipped for datastore ``manager``, or
    None when no directory of ``search_dirs`` has one.
    """
    for directory in search_dirs():
        path = os.path.join(directory, manager, FILE_NAME)
        if os.path.isfile(path):
            return path
    return None


def validate(document, path='<rules>'):
    """Check a parsed rules document; see ``load``.

    :raises ConfigurationParametersFileInvalid: the document breaks the
        format.
    """
    if not isinstance(document, dict) or TOP_KEY not in document:
        raise _invalid(path, 'expected an object with a "%s" list' % TOP_KEY)
    rules = document[TOP_KEY]
    if not isinstance(rules, list):
        raise _invalid(path, '"%s" must be a list' % TOP_KEY)
    seen = set()
    for index, rule in enumerate(rules):
        reason = _rule_problem(rule)
        if reason is None and rule['name'] in seen:
            reason = 'duplicate name %r' % rule['name']
        if reason is not None:
            raise _invalid(path, 'entry %d: %s' % (index, reason))
        seen.add(rule['name'])
    return rules


def rule_problem(rule):
    """Why ``rule`` (one entry of a rules file) is not a valid rule, or
    ``None`` when it is: for a rule that comes alone (the management API).
    """
    return _rule_problem(rule)


def _rule_problem(rule):
    """Why ``rule`` is not a valid rule, or ``None`` when it is."""
    if not isinstance(rule, dict):
        return 'must be an object'
    missing = [key for key in REQUIRED_KEYS if key not in rule]
    if missing:
        return 'missing key(s) %s' % ', '.join(missing)
    unknown = sorted(set(rule) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        return 'unknown key(s) %s' % ', '.join(unknown)
    if not isinstance(rule['name'], str) or not rule['name'].strip():
        return '"name" must be a non-empty string'
    if not isinstance(rule['restart_required'], bool):
        return '%s: "restart_required" must be true or false' % rule['name']
    if rule['type'] not in TYPES:
        return '%s: "type" must be one of %s' % (rule['name'],
                                                 ', '.join(TYPES))
    return _bounds_problem(rule)


def _bounds_problem(rule):
    bounds = {key: rule[key] for key in OPTIONAL_KEYS if key in rule}
    if bounds and rule['type'] not in NUMERIC_TYPES:
        return '%s: "min"/"max" only apply to integer and float ' \
               'parameters' % rule['name']
    for key, value in bounds.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return '%s: "%s" must be a number' % (rule['name'], key)
        if rule['type'] == 'integer' and value != int(value):
            return '%s: "%s" must be a whole number' % (rule['name'], key)
    if len(bounds) == 2 and bounds['min'] > bounds['max']:
        return '%s: "min" is greater than "max"' % rule['name']
    return None


def _invalid(path, reason):
    return exception.ConfigurationParametersFileInvalid(path=path,
                                                        reason=reason)
