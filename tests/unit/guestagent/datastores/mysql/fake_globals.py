"""A fake root session that keeps a server's global variables.

It understands the two statements of ``variables.py`` (``SELECT
@@GLOBAL.`name``` and ``SET GLOBAL `name` = %s | DEFAULT``), answers
them as MariaDB does (error 1193 for an unknown variable, 1238 for a
read-only one, 1232 for a value the variable's check refuses) and logs
every statement with its parameters.
"""

import re

import pymysql

_SELECT = re.compile(r'^SELECT @@GLOBAL\.`([A-Za-z0-9_]+)`$')
_SET = re.compile(r'^SET GLOBAL `([A-Za-z0-9_]+)` = (%s|DEFAULT)$')


class Globals:
    """``values``: ``{name: value}``; ``defaults``: the compiled-in
    defaults; ``read_only``: names SET refuses with 1238; ``checks``:
    ``{name: predicate}`` a new value must pass.
    """

    def __init__(self, values, defaults=None, read_only=(), checks=None):
        self.values = dict(values)
        self.defaults = dict(defaults or {})
        self.read_only = set(read_only)
        self.checks = dict(checks or {})
        self.log = []
        self.closed = False
        # Called with each statement before it runs (to look at locks).
        self.on_execute = None

    def cursor(self):
        return _Cursor(self)

    def close(self):
        self.closed = True

    def sets(self):
        """``(name, value)`` of each SET GLOBAL, in order (``'DEFAULT'``
        for a default).
        """
        result = []
        for sql, args in self.log:
            match = _SET.match(sql)
            if match:
                result.append((match.group(1), args[0] if args
                               else 'DEFAULT'))
        return result

    def execute(self, sql, args):
        self.log.append((sql, args))
        if self.on_execute is not None:
            self.on_execute(sql)
        match = _SELECT.match(sql)
        if match:
            return ((self._known(match.group(1)),),)
        match = _SET.match(sql)
        if not match:
            raise AssertionError('unexpected statement %r' % sql)
        name = match.group(1)
        self._known(name)
        if name in self.read_only:
            raise pymysql.err.OperationalError(
                1238, "Variable '%s' is a read only variable" % name)
        if args is None:
            self.values[name] = self.defaults[name]
            return ()
        (value,) = args
        check = self.checks.get(name)
        if check is not None and not check(value):
            raise pymysql.err.OperationalError(
                1232, "Incorrect argument type to variable '%s'" % name)
        self.values[name] = value
        return ()

    def _known(self, name):
        if name not in self.values:
            raise pymysql.err.OperationalError(
                1193, "Unknown system variable '%s'" % name)
        return self.values[name]


class _Cursor:
    def __init__(self, server):
        self.server = server
        self.rows = ()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, sql, args=None):
        self.rows = self.server.execute(sql, args)

    def fetchall(self):
        return self.rows
