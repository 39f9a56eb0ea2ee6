"""The chaos suite: real instances while the control plane is being killed.

What it does
============

It starts the cloud shape on this host (``harness.Cloud``):
trove-lite-api, -conductor and one or two -taskmanagers as separate
processes, the infrastructure database on a scratch database of the real
MariaDB, RabbitMQ with an exchange and topics of the run's own, the local
compute driver running each guest agent as a ``trove-lite-guestagent``
process that starts a real ``mariadbd``. Every broker connection (the
services' and, through ``[guest_broker] guest_transport_url``, the
guests') goes through a TCP proxy (``proxy.SeverableProxy``); the
machine's RabbitMQ itself is never stopped or reconfigured.

The driver (``driver.Driver``) then runs a budget of operations (create,
restart, delete of ``mysql`` instances, flavor ``m1.tiny``, 1 GB) through
the REST API, a random 1-4 s apart, while a chaos thread every 4-12 s
picks one target and:

* ``api``, ``taskmanager``, ``conductor``: SIGKILLs the process and
  starts it again 1-5 s later (with two taskmanagers, one of them);
* ``guestagent``, ``datastore``: SIGKILLs an instance's guest agent or its
  ``mariadbd``. The driver does not start them again: the system has to
  recover (the local driver starts a missing agent again only when the
  taskmanager of the instance's host starts, ``adopt_servers``) or report;
* ``rabbit``: resets every connection through the proxy, and half the
  time refuses new ones for up to 4 s.

Every random choice comes from RNGs seeded with the printed seed (the
threads' timing is not reproducible, the choices are). When the budget is
spent, the chaos stops, every service runs again, the instances get up
to a bound (``--settle``, 90 s) to come to rest (ACTIVE or ERROR), and
then everything is deleted and each delete is waited for (404).

Running it
==========

The real services of ``tests/functional`` must run (MariaDB as root on
127.0.0.1:3306, RabbitMQ on 127.0.0.1:5672 with ``rabbitmqctl`` usable
by this user; ``TROVE_LITE_TEST_MYSQL_URL`` / ``TROVE_LITE_TEST_RABBIT_URL``
override them), and ``mariadbd`` must be installed.

* ``tox -e chaos`` (``pytest -s tests/chaos``): the bounded run CI does,
  ``test_chaos.py``: 30 operations, deadlines of 60 s (so that what the
  product's deadlines end shows up as ERROR with its fault within the
  settle bound, and *stuck* means nothing ended it at all). It asserts 0
  stuck, 0 orphaned processes, directories and rows. Environment
  variables ``TROVE_LITE_TEST_CHAOS_OPERATIONS``, ``..._SEED``,
  ``..._TASKMANAGERS``, ``..._SETTLE`` and ``..._DEADLINE`` change it;
  ``..._LOGS=<dir>`` keeps the services' and guests' logs there.
* ``python -m tests.chaos --operations 200 --taskmanagers 2 --seed 7``
  (``--minutes``, ``--settle``, ``--build-timeout``, ``--restart-timeout``,
  ``--delete-timeout``, ``--targets api,rabbit``, ``--keep-logs DIR``,
  ``--never-restart taskmanager-b`` for a host that does not come back;
  ``--help``) for a longer manual run; the product's default deadlines
  unless given. Exit status 1 when something was stuck or left over.

The table
=========

``Operations``: per kind, requests attempted; *accepted* (2xx),
*refused* (4xx: e.g. a restart of an instance still in BUILD, 422),
*5xx*, *api-down* (connection refused: the request reached no API),
*no-answer* (reset or timed out: the API died mid-request, and may have
done it; the monitor finds an instance so made all the same); *settle*:
seconds from sending an accepted operation until the instance was first
seen at rest (ACTIVE, ERROR) or gone, median and max (polled each second).

``Kills``: per target, how many, how many of the killed services came
back (``restarted``), and the instances that were in flight (a
transitional status) at the moment of the kill (for a guest agent or a
datastore server: the instance killed), by how they ended: ACTIVE /
ERROR / stuck / deleted; then the longest time from the service's
restart (from the kill, for targets not restarted) until such an
instance was seen at rest, and how many never were. This is where a
kind of kill that strands instances shows (the issue's aim: ACTIVE within
10 s of a taskmanager's restart).

``Instances``: every instance the run saw, by how it ended at the settle
bound: deleted during the run; ACTIVE with a HEALTHY datastore; ACTIVE
with a datastore that is not (after a datastore kill, say); ERROR with a
fault (a reason the user can read); ERROR without one; *stuck* (still
BUILD, REBOOT, SHUTDOWN... at the bound). Then how long after the chaos
everything was at rest, and the faults by message (those saying "within
N seconds" are deadline expiries: the operation died and only the
deadline ended it).

``After deleting all``: seconds from the final deletes to 404 (median,
max) and instances not gone within the bound.

``Orphans`` once every instance answers 404 (measured at once and, if
anything was left, again after a grace of 15 s, so that a flow still
undoing its work is told apart from a leak: ``[n at 404]``):
*processes* (anything whose command line names the instances directory:
guest agents, mariadbd), *directories* left in the instances directory
(with what is in them), *rows* (live ``instances`` rows,
``local_servers`` address reservations, rows whose lock is still held),
*queues* (the run's RabbitMQ queues of deleted guests, or of its
exchange without a consumer while every service runs; those with an
``x-expires`` are counted apart: RabbitMQ removes them itself after
``rabbit_transient_queues_ttl``), *broker users* of deleted guests, and
*service processes* still running after every service was stopped (an
API worker that outlived its killed parent, say).

Finally, restarts of a killed service that failed, and services whose
SIGTERM stop at the end did not exit 0.
"""
