"""WSGI application modules for external servers (uWSGI, gunicorn, httpd)."""
