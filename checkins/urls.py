from django.urls import path

from checkins import views

urlpatterns = [
    path("my-week/", views.my_week, name="my_week"),
    path("check-ins/<int:pk>/", views.checkin_row, name="checkin_row"),
    path("key-results/<int:pk>/check-ins/", views.checkin_week, name="checkin_week"),
]
