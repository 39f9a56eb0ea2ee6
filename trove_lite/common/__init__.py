"""Shared building blocks. Imports nothing from the trove_lite packages above it."""
