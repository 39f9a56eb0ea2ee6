"""The conductor's cache of instance keys."""

from trove_lite.conductor import instance_keys


class Lookup:
    """An uncached ``key_of`` that counts its calls."""

    def __init__(self, keys):
        self.keys = keys
        self.calls = []

    def __call__(self, instance_id):
        self.calls.append(instance_id)
        return self.keys.get(instance_id)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_key_is_read_once_within_its_ttl():
    lookup = Lookup({'a': 'key-a'})
    clock = Clock()
    keys = instance_keys.KeyCache(lookup, ttl=60, clock=clock)
    assert [keys('a') for _ in range(4)] == ['key-a'] * 4
    assert lookup.calls == ['a']
    clock.now += 61
    assert keys('a') == 'key-a'
    assert lookup.calls == ['a', 'a']


def test_unknown_instances_are_not_kept():
    lookup = Lookup({})
    keys = instance_keys.KeyCache(lookup, ttl=60)
    assert keys('ghost') is None
    assert keys('ghost') is None
    assert lookup.calls == ['ghost', 'ghost']
    assert len(keys) == 0


def test_a_forgotten_instance_is_read_again():
    lookup = Lookup({'a': 'key-a'})
    keys = instance_keys.KeyCache(lookup, ttl=60)
    keys('a')
    del lookup.keys['a']  # deleted meanwhile
    assert keys('a') == 'key-a'  # still cached
    keys.forget('a')
    assert keys('a') is None
    assert lookup.calls == ['a', 'a']


def test_fresh_replaces_a_changed_key():
    lookup = Lookup({'a': 'old'})
    keys = instance_keys.KeyCache(lookup, ttl=60)
    assert keys('a') == 'old'
    lookup.keys['a'] = 'new'
    assert keys.fresh('a') == 'new'
    assert keys('a') == 'new'
    assert lookup.calls == ['a', 'a']


def test_the_least_recently_used_key_goes_first():
    lookup = Lookup({'a': 'ka', 'b': 'kb', 'c': 'kc'})
    keys = instance_keys.KeyCache(lookup, ttl=60, max_entries=2)
    keys('a')
    keys('b')
    keys('a')  # b is now the least recently used
    keys('c')
    assert len(keys) == 2
    lookup.calls.clear()
    keys('a')
    keys('b')
    assert lookup.calls == ['b']


def test_a_ttl_of_zero_keeps_nothing():
    lookup = Lookup({'a': 'key-a'})
    keys = instance_keys.KeyCache(lookup, ttl=0)
    keys('a')
    keys('a')
    assert lookup.calls == ['a', 'a']
    assert len(keys) == 0
