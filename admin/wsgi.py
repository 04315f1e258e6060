"""WSGI entry point for gunicorn and other servers: `gunicorn 'accord.admin.wsgi:app'`."""

from accord.admin import heap
from accord.admin.app import create_app

app = create_app()
heap.settle()
