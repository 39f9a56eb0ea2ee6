"""The Redis datastore: a ``redis-server`` per instance, with root only."""
