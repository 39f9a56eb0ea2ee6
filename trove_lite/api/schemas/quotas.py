"""Body of ``PUT /mgmt/quotas/{project_id}``.

Upstream answers an unknown resource with 404 (QuotaResourceUnknown), so
resource names are left to the repository; a limit must be an integer (a
null is skipped).
"""

update = {
    'type': 'object',
    'required': ['quotas'],
    'additionalProperties': False,
    'properties': {
        'quotas': {
            'type': 'object',
            'minProperties': 1,
            'additionalProperties': {
                'oneOf': [{'type': 'integer', 'minimum': -1},
                          {'type': 'null'}],
            },
        },
    },
}
