"""The fake compute driver: servers without hosts, for tests."""
