"""JSON schemas (Draft 4, as upstream) of every request body."""
