"""The benchmark's settings: the app's own, plus the floor endpoints and a query-count header. Used only
by ``make bench`` (gunicorn and the Celery worker it starts); never in the app's URL configuration."""

from okrapp.settings import *  # noqa: F403
from okrapp.settings import MIDDLEWARE

ROOT_URLCONF = "bench.urls"
# Outermost, so it counts every query a request makes (sessions and authentication included).
MIDDLEWARE = ["bench.middleware.count_queries", *MIDDLEWARE]
