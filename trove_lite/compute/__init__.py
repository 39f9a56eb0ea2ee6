"""Compute drivers: where a database instance's host comes from."""
