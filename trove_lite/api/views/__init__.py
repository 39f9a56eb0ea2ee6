"""API shapes of resources; models never leave the API unshaped."""
