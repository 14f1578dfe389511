"""WSGI entry point for gunicorn and the `flask` command."""
from tsunagi import create_app

app = create_app()
