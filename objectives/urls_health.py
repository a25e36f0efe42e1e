"""Routes of the health-metric and value-dimension pages (included from okrapp/urls.py)."""

from django.urls import path

from objectives import views_health as views

urlpatterns = [
    path("health/", views.health_metric_list, name="health_metric_list"),
    path("health/add/", views.health_metric_add, name="health_metric_add"),
    path("health/<int:pk>/edit/", views.health_metric_edit, name="health_metric_edit"),
    path("value-dimensions/", views.value_dimension_list, name="value_dimension_list"),
    path("value-dimensions/<int:pk>/edit/", views.value_dimension_edit, name="value_dimension_edit"),
]
