"""Broker identities of guests: each guest its own, and no more.

See ``base`` for the interface and ``rabbitmq``, ``memory`` and ``shared``
for the drivers (stevedore namespace ``trove_lite.broker.drivers``).
"""
