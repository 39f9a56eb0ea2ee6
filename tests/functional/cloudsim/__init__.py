"""A small OpenStack for the functional tests of the ``nova`` compute driver.

The simulator speaks the subset of the Compute, Block Storage, Network and
Image APIs that trove_lite's nova driver uses (docs: the contract in the
driver's notes; the routes in ``compute``, ``volume``, ``network`` and
``image``), so that the driver is tested through the real client libraries
(novaclient, cinderclient, neutronclient, keystoneauth) behind the real
Keystone, without a cloud. A "server" it boots is a directory and a real
trove-lite guest agent process, started with the local compute driver's
machinery (``boot``), so the datastore of a server really runs.

``service.CloudSimulator`` is the fixture a test module uses; ``state``
holds every resource, the injected faults and the call log.
"""
