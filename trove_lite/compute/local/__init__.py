"""The local compute driver: instances are server processes on this host."""
