"""Shape of ``/limits``: absolute quota limits first, then rate limits."""


def limits(quota_limits, rate_limits):
    absolute = {'verb': 'ABSOLUTE'}
    for resource in ('instances', 'ram', 'backups', 'volumes'):
        absolute['max_%s' % resource] = quota_limits[resource]
    return {'limits': [absolute] + list(rate_limits)}
