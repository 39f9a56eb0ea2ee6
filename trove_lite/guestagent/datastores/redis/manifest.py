"""Manifest of Redis (manager ``redis``).

Redis has no databases or users in Trove's sense, only root: the ACL user
``default``, whose password ``root enable`` sets.
"""

from trove_lite.guestagent.datastores import manifest
from trove_lite.guestagent.datastores.redis import config


class Manifest(manifest.Manifest):
    features = frozenset([manifest.ROOT])
    guest_logs = {'server': 'SYS', 'guest': 'SYS'}
    # NOTE(redis): upstream Trove answers ``root enable`` with the name
    # "-" (from the requirepass days, when Redis had no user names).
    # Since Redis 6 the account is the ACL user "default": the name that
    # ``AUTH default <password>`` and ``redis-cli --user default`` take,
    # and the one a plain ``redis-cli -a <password>`` logs in as.
    root_user = config.ROOT_USER
