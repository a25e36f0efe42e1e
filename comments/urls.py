from django.urls import path

from comments import views

urlpatterns = [
    path("key-results/<int:pk>/comments/", views.key_result_thread, name="comment_thread_key_result"),
    path("check-ins/<int:pk>/comments/", views.checkin_thread, name="comment_thread_checkin"),
    path("epics/<int:pk>/comments/", views.epic_thread, name="comment_thread_epic"),
    path("comments/<int:pk>/edit/", views.comment_edit, name="comment_edit"),
    path("comments/<int:pk>/delete/", views.comment_delete, name="comment_delete"),
]
