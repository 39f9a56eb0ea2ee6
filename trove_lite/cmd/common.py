"""Start-up steps every trove_lite process shares.

Importing ``trove_lite`` has already chosen oslo.service's threading
backend (see ``trove_lite/__init__.py``); what is left is parsing the
command line and config files, checking every option's value, logging,
and the infrastructure database.

oslo.config checks a value (its type, bounds and choices) only when it is
read. An option first read by a request (``instances_page_size = 0``)
would let the service start and then fail every such request with a 500,
so every process reads all its options once at start and refuses to start
on a bad one, with one line on stderr and exit status 2.
"""

import errno
import sys

from oslo_config import cfg
from oslo_log import log as logging

from trove_lite.common import key_storage
from trove_lite import conf
from trove_lite.db import api as db_api
from trove_lite import version

CONF = conf.CONF
LOG = logging.getLogger(__name__)

# Exit status of a process whose configuration cannot run it: oslo.config's
# own for a bad command line.
EXIT_CONFIG_ERROR = 2


class InvalidOption(cfg.Error):
    """An option whose configured value its type, bounds or choices refuse.

    :param group: the option's group (``DEFAULT`` for none).
    :param name: the option's name.
    :param reason: what is wrong with the value.
    """

    def __init__(self, group, name, reason, files=()):
        where = ' (configuration files: %s)' % ', '.join(files) if files \
            else ''
        super().__init__('invalid value for [%s] %s: %s%s'
                         % (group, name, reason, where))


def check_options(conf=CONF):
    """Read every option registered on ``conf`` once.

    :raises InvalidOption: the first option whose value is refused.
    """
    for name in list(conf):
        try:
            value = conf[name]
        except (cfg.Error, ValueError) as err:
            raise _invalid(conf, 'DEFAULT', name, err)
        if not isinstance(value, cfg.ConfigOpts.GroupAttr):
            continue
        for opt_name in list(value):
            try:
                getattr(value, opt_name)
            except (cfg.Error, ValueError) as err:
                raise _invalid(conf, name, opt_name, err)


def _invalid(conf, group, name, err):
    # NOTE(config): oslo.config words a bad value as "Value for option X
    # from LocationInfo(...) is not valid: <reason>"; the reason is the
    # ValueError of the option's type that it was raised from.
    cause = err.__context__
    reason = str(cause if isinstance(cause, ValueError) else err)
    try:
        files = list(conf.config_file or [])
    except cfg.NoSuchOptError:
        files = []
    return InvalidOption(group, name, reason, files)


def check_config(conf=CONF):
    """``check_options``, or exit: one line on stderr, status 2.

    :raises SystemExit: an option's value is refused.
    """
    try:
        check_options(conf)
    except InvalidOption as err:
        print('%s: %s' % (conf.prog or 'trove-lite', err), file=sys.stderr)
        raise SystemExit(EXIT_CONFIG_ERROR)


def init_process(argv=None, project='trove-lite', default_config_files=None,
                 infra_db=True, check_secret=None):
    """Parse the command line and config files, and set up logging.

    :param default_config_files: files read when no ``--config-file`` is
        given; None means oslo.config's search (/etc/trove-lite/...), an
        empty list means none at all.
    :param infra_db: prepare the infrastructure database; guest agents
        never touch it and pass False.
    :param check_secret: check ``[DEFAULT] inst_rpc_key_encr_key``
        (``key_storage.check_secret``); by default the services of the
        infrastructure database, which read and write instance keys, do.
    :raises KeySecretRequired: the cloud shape without the secret.
    :raises SystemExit: an option has a value its type refuses
        (``check_config``).
    """
    logging.register_options(CONF)
    argv = sys.argv[1:] if argv is None else argv
    CONF(argv, project=project, version=version.VERSION,
         default_config_files=default_config_files)
    check_config(CONF)
    logging.setup(CONF, project)
    if infra_db if check_secret is None else check_secret:
        key_storage.check_secret(CONF)
    if infra_db:
        db_api.configure()


def cannot_listen(program, host, port, err):
    """Say in one line why ``program`` cannot serve on ``host:port`` (a
    port another process holds, most likely) and give its exit code.

    NOTE(usability): a traceback of ``bind`` tells a newcomer nothing
    about the option to change.
    """
    reason = ('the address is in use by another process'
              if err.errno == errno.EADDRINUSE else
              err.strerror or str(err))
    print('%s: cannot listen on %s:%s: %s; choose another [DEFAULT] '
          'bind_port (or bind_host) in its configuration file.'
          % (program, host, port, reason), file=sys.stderr)
    return 1
