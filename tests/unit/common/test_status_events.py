from trove_lite.common import status_events


def test_changed_sets_the_events_of_that_instance_only():
    with status_events.watching('a') as first, \
            status_events.watching('a') as second, \
            status_events.watching('b') as other:
        status_events.changed('a')
        assert first.is_set() and second.is_set()
        assert not other.is_set()


def test_nothing_is_kept_once_nobody_watches():
    with status_events.watching('a'):
        with status_events.watching('a'):
            pass
        assert 'a' in status_events._watchers
    assert 'a' not in status_events._watchers
    status_events.changed('a')  # nobody to wake: no error
