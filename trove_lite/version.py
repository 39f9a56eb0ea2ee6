"""The one place that knows which version of trove_lite is running."""

from importlib import metadata

try:
    VERSION = metadata.version('trove-lite')
except metadata.PackageNotFoundError:  # running from a source tree
    VERSION = '0.0.0.dev0'

# NOTE(api): the only REST API version; there are no microversions, as upstream.
API_VERSION = 'v1.0'
API_VERSION_UPDATED = '2012-08-01T00:00:00Z'
