"""The nova compute driver: instances are Nova servers on a cloud."""
