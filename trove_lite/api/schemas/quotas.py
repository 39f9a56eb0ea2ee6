"""Body of ``PUT /mgmt/quotas/{project_id}``.

Upstream answers an unknown resource with 404 (QuotaResourceUnknown), so
resource names are left to the repository; a limit must be an integer (a
null is skipped) that the quota table can hold.
"""

from trove_lite.api.schemas import common

update = {
    'type': 'object',
    'required': ['quotas'],
    'additionalProperties': False,
    'properties': {
        'quotas': {
            'type': 'object',
            'minProperties': 1,
            'additionalProperties': {
                'oneOf': [{'type': 'integer', 'minimum': -1,
                           'maximum': common.MAX_DB_INT},
                          {'type': 'null'}],
            },
        },
    },
}
