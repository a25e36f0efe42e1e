"""WSGI entry point (gunicorn okrapp.wsgi)."""

from django.core.wsgi import get_wsgi_application

from okrapp.boot import settings_or_exit

settings_or_exit()
application = get_wsgi_application()
