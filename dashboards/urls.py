from django.urls import URLPattern, path

from dashboards import views

urlpatterns: list[URLPattern] = [
    path("teams/<int:pk>/", views.team_page, name="team_detail"),
    path("cascade/", views.cascade_page, name="cascade"),
    path("cascade/dimensions/", views.dimension_coverage, name="dimension_coverage"),
    path("heatmap/", views.heatmap_page, name="heatmap"),
    path("health/board/", views.health_board, name="health_board"),
]
