"""The one API surface, /api/v1/, and its schema and docs. Each app routes its own resources."""

from csp.decorators import csp_update
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from okrapp.api.views import TeamResource, token_obtain

router = SimpleRouter()
router.register("teams", TeamResource, basename="team")

v1: list[URLPattern | URLResolver] = [
    path("auth/token/", token_obtain, name="api-token"),
    path("", include("objectives.api_urls")),
    path("", include("checkins.api_urls")),
    path("", include("backlog.api_urls")),
    *router.urls,
]

# Swagger UI draws with inline styles: allowed on this page only (its script is a file, not inline).
docs = csp_update({"style-src": ["'self'", "'unsafe-inline'"], "img-src": ["'self'", "data:"]})(
    SpectacularSwaggerSplitView.as_view(url_name="api-schema")
)

urlpatterns: list[URLPattern | URLResolver] = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", docs, name="api-docs"),
]
