from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from objectives.api import (
    CycleResource,
    HealthMetricResource,
    ObjectiveResource,
    ValueDimensionResource,
    cycle_export_view,
    cycle_import_view,
)
from objectives.api_key_results import KeyResultResource

router = SimpleRouter()
router.register("cycles", CycleResource, basename="cycle")
router.register("value-dimensions", ValueDimensionResource, basename="value-dimension")
router.register("objectives", ObjectiveResource, basename="objective")
router.register("key-results", KeyResultResource, basename="key-result")
router.register("health-metrics", HealthMetricResource, basename="health-metric")

urlpatterns: list[URLPattern | URLResolver] = [
    path("cycles/<int:pk>/export/", cycle_export_view, name="cycle-export"),
    path("cycles/<int:pk>/import/", cycle_import_view, name="cycle-import"),
    *router.urls,
]
