"""The guest agent: one per instance, manages the datastore server."""
