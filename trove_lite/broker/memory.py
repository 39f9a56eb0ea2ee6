"""The embedded shape's guests: agent threads on the in-process bus.

With ``kombu+trove-lite-memory`` (``common/memory_bus``) the guest agent
is a thread of ``trove-lite-all`` and shares the control plane's
transport; it needs no broker options, so ``create_identity`` answers
None and there is no identity to remove.

NOTE(embedded): what this does NOT give, and why. An agent thread runs
in the control plane's address space: whatever channel it were handed,
code in that thread could reach the process's shared transport, the infra
DB engine and every instance key in memory. A per-agent identity checked
by the in-process bus would only guard against a well-behaved agent
sending to the wrong topic, not against a compromised one, so the
embedded shape does not pretend to isolate guests; the datastore servers
it manages are separate processes of the local user anyway. Where guests
must be isolated, run agents as processes (``[local] agent_mode =
process``) over RabbitMQ with the ``rabbitmq`` driver.
"""

from trove_lite.broker import base


class MemoryDriver(base.BrokerDriver):
    """Agent threads share the in-process transport: no identity."""

    def create_identity(self, context, grant):
        return None

    def delete_identity(self, context, instance_id):
        pass
