"""The app's URLs plus the floor endpoints under /bench-floor/ (benchmark settings only)."""

from django.urls import URLPattern, URLResolver, include, path

from bench import floor
from okrapp.urls import handler404, handler500  # noqa: F401  (the root URLconf names the error views)

urlpatterns: list[URLPattern | URLResolver] = [
    path("bench-floor/", include(floor.urlpatterns)),
    path("", include("okrapp.urls")),
]
