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
