from django.urls import URLPattern, path

from dashboards import views, views_search

urlpatterns: list[URLPattern] = [
    path("teams/<int:pk>/", views.team_page, name="team_detail"),
    path("cascade/", views.cascade_page, name="cascade"),
    path("cascade/dimensions/", views.dimension_coverage, name="dimension_coverage"),
    path("heatmap/", views.heatmap_page, name="heatmap"),
    path("heatmap/rows/", views.heatmap_rows, name="heatmap_rows"),
    path("health/board/", views.health_board, name="health_board"),
    path("search/", views_search.search_page, name="search"),
]
