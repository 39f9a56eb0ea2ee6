"""The database view: only the name, as upstream."""

from trove_lite.api.views import databases


def test_database_shows_only_the_name():
    assert databases.databases([{'name': 'a', 'character_set': 'utf8'}]) == [
        {'name': 'a'}]
