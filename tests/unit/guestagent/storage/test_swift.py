"""Tests for the Swift storage plugin's parts that need no Swift.

Saving, reading and deleting are tested against a real Swift in
tests/functional/test_backup_swift.py.
"""

import io

import requests
from swiftclient import client as swift_client

from trove_lite.guestagent.storage import swift

URL = 'http://swift.example:8080/v1/AUTH_demo'


def storage():
    return swift.SwiftStorage({'container': 'c', 'storage_url': URL + '/',
                               'auth_token': 't'})


def segments(data, segment_size, chunk_size):
    stream = swift._Stream(io.BytesIO(data), segment_size, chunk_size)
    result = []
    while True:
        segment = stream.segment()
        parts = []
        while True:
            part = segment.read(chunk_size)
            if not part:
                break
            parts.append(part)
        result.append(b''.join(parts))
        if stream.at_end():
            return result


def test_segments_cut_at_segment_size():
    assert segments(b'abcdefghij', 4, 3) == [b'abcd', b'efgh', b'ij']


def test_exact_multiple_has_no_empty_last_segment():
    assert segments(b'abcdefgh', 4, 3) == [b'abcd', b'efgh']


def test_empty_stream_is_one_empty_segment():
    assert segments(b'', 4, 3) == [b'']


def test_segment_etag_is_md5_of_its_bytes():
    stream = swift._Stream(io.BytesIO(b'hello world'), 5, 2)
    segment = stream.segment()
    while segment.read(2):
        pass
    assert segment.etag == '5d41402abc4b2a76b9719d911017c592'


def test_split_location():
    assert storage()._split(URL + '/c/b1.zst') == (URL, 'c', 'b1.zst')
    assert storage()._split('http://old.example/v1/AUTH_x/d/b2.zst') == (
        'http://old.example/v1/AUTH_x', 'd', 'b2.zst')


def test_location_of_saved_object():
    assert storage()._location('c', 'b1.zst') == URL + '/c/b1.zst'


def test_explain_refused():
    err = requests.exceptions.ConnectionError(
        ConnectionRefusedError(111, 'Connection refused'))
    assert swift.explain(err, URL) == (
        'cannot connect to Swift at %s: connection refused (is the proxy '
        'running and the storage URL right?)' % URL)


def test_explain_http_statuses():
    expired = swift_client.ClientException('nope', http_status=401)
    full = swift_client.ClientException('nope', http_status=507)
    assert 'refused the token (HTTP 401)' in swift.explain(expired, URL)
    assert 'out of space' in swift.explain(full, URL)
