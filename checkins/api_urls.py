from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from checkins.api import CheckInResource, HealthMetricReadings, KeyResultValues, MetricReadingResource

router = SimpleRouter()
router.register("check-ins", CheckInResource, basename="check-in")
router.register("metric-readings", MetricReadingResource, basename="metric-reading")

urlpatterns: list[URLPattern | URLResolver] = [
    path("key-results/<int:pk>/values/", KeyResultValues.as_view(), name="key-result-values"),
    path("health-metrics/<int:pk>/readings/", HealthMetricReadings.as_view(), name="health-metric-readings"),
    *router.urls,
]
