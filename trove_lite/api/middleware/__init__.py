"""WSGI middleware of the API pipeline (see api-paste.ini)."""
