"""Explicit queries and the rules for changing rows, one module per area."""
