from django.urls import path

from checkins import views

urlpatterns = [
    path("my-week/", views.my_week, name="my_week"),
    # The KR page combines the definition (objectives) with its series (check-ins).
    path("key-results/<int:pk>/", views.key_result_page, name="key_result_detail"),
    # The health metric page combines its definition with its readings.
    path("health/<int:pk>/", views.health_metric_page, name="health_metric_detail"),
    path("check-ins/<int:pk>/", views.checkin_row, name="checkin_row"),
    path("check-ins/compliance/", views.compliance, name="compliance"),
    path("teams/<int:pk>/check-in/", views.team_meeting, name="team_meeting"),
    path("key-results/<int:pk>/check-ins/", views.checkin_week, name="checkin_week"),
]
