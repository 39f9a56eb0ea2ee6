"""Small taskflow tasks the taskmanager's flows are made of.

Each task does one thing and, where that thing leaves something behind,
undoes it in ``revert``. The first task of every flow turns the instance
to its error task on revert, with a fault (see ``instances``). Values
travel through the flow's store: ``context``, ``instance_id`` and
``holder`` (the lock holder of this flow run) are always there.
"""
