"""Small helpers with no better home, shared by several layers."""

import secrets
import string

_PASSWORD_ALPHABET = string.ascii_letters + string.digits


def generate_password(length):
    """A random password of ``length`` letters and digits.

    Letters and digits only, as upstream generates them: every datastore
    and every shell accepts them unquoted.
    """
    return ''.join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


def changed_keys(old, new):
    """The keys whose value differs between the mappings ``old`` and
    ``new`` (a key in only one of them counts), sorted.
    """
    return sorted(key for key in set(old) | set(new)
                  if old.get(key) != new.get(key))
