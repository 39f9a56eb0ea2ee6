"""Controllers: validate, authorize, read or test-and-set, one RPC at most."""
