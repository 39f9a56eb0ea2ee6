"""Body of ``POST /instances/{id}/root`` (optional; upstream has no schema
for it, the client sends ``{"password": ...}`` only when one is given).
"""

from trove_lite.api.schemas import common

create = {
    'type': 'object',
    'properties': {'password': common.non_empty_string},
}
