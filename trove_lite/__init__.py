"""trove_lite: a Trove-compatible Database-as-a-Service control plane."""
