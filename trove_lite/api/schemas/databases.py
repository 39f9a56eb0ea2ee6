"""Bodies of the database routes of an instance (upstream's dbschema)."""

from trove_lite.api.schemas import common

create = {
    'type': 'object',
    'required': ['databases'],
    'properties': {'databases': common.databases_def},
}
