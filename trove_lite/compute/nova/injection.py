"""How the guest's files reach a Nova server (``[nova] file_injection``).

``personality``: the server's injected files, which Nova writes into the
config drive (microversions below 2.57). ``user_data``: a ``#cloud-config``
document whose ``write_files`` cloud-init writes at first boot, for clouds
that no longer inject files. Either way the files hold the guest's key, so
they are written readable by root only.
"""

import yaml

CLOUD_CONFIG = '#cloud-config\n'
PRIVATE = '0600'


def personality(files):
    """``servers.create(files=...)``: ``{path: text}`` as it is."""
    return dict(files)


def cloud_config(files, user_data=None):
    """The user data that writes ``files``.

    :param user_data: the spec's own user data; a ``#cloud-config``
        document gets the files added to its ``write_files``, anything
        else (a script) cannot carry them and is refused.
    :raises: ValueError for user data that is not cloud-config.
    """
    document = {}
    if user_data:
        if not user_data.startswith(CLOUD_CONFIG):
            raise ValueError('user data that is not #cloud-config cannot '
                             'carry the guest\'s files')
        document = yaml.safe_load(user_data) or {}
    writes = list(document.get('write_files') or [])
    writes += [{'path': path, 'content': text, 'permissions': PRIVATE,
                'owner': 'root:root'}
               for path, text in sorted(files.items())]
    document['write_files'] = writes
    return CLOUD_CONFIG + yaml.safe_dump(document, default_flow_style=False)
