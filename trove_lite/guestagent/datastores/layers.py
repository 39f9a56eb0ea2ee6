"""Configuration files built from layers.

A datastore's configuration is the merge, in this order, of:

1. its defaults (``config.defaults``): what every instance gets;
2. the values derived from the flavor (``config.flavor_derived``): cache
   and connection sizes that follow the RAM;
3. the instance's overrides (``DatastoreManager.config_overrides``, what
   configuration groups will feed);
4. the instance's own places (``config.fixed``): paths into the instance
   directory, address, port, OS user. They come last so that no override
   can point the server at another instance's files or port.

A later layer replaces an earlier one option by option; an option whose
value is None is removed (so an override can drop a default flag such as
MySQL's ``skip-name-resolve``). ``True`` is a bare flag where the file
format has them (``my.cnf``).
"""

import re

from trove_lite.common import exception

_NAME = re.compile(r'^[A-Za-z0-9_.\-]+$')


def _check(key, value):
    """Refuse what could break out of one line of a configuration file."""
    if not isinstance(key, str) or not _NAME.match(key):
        raise exception.BadValue(
            message='Invalid configuration option name %r.' % (key,))
    if value is None or isinstance(value, (bool, int, float)):
        return
    if not isinstance(value, str) or '\n' in value or '\r' in value:
        raise exception.BadValue(
            message='Invalid value %r for configuration option %s.'
                    % (value, key))


def merge(*layers):
    """One flat ``{option: value}`` from ``layers`` (later ones win).

    :raises: exception.BadValue for an option name or value that cannot
        be written on one line.
    """
    merged = {}
    for layer in layers:
        for key, value in (layer or {}).items():
            _check(key, value)
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
    return merged


def merge_sections(*layers):
    """``{section: {option: value}}`` from ``layers`` of the same shape,
    merged section by section as ``merge`` does.
    """
    merged = {}
    for layer in layers:
        for section, options in (layer or {}).items():
            if not isinstance(options, dict):
                raise exception.BadValue(
                    message='Configuration section %r is not a mapping of '
                            'options.' % (section,))
            _check(section, None)
            merged[section] = merge(merged.get(section), options)
    return merged


def check_plain_value(name, value):
    """Refuse a configuration group's value a file cannot carry as one
    plain value: anything but a string, a number or a boolean, and a
    string with a line break or a NUL.

    :raises: exception.BadValue.
    """
    if isinstance(value, str):
        if any(char in value for char in '\r\n\0'):
            raise exception.BadValue(
                message='The value of %s must be one line of text.' % name)
    elif not isinstance(value, (bool, int, float)):
        raise exception.BadValue(
            message='The value of %s must be a string, a number or a '
                    'boolean, not %r.' % (name, value))
