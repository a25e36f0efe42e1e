from django.urls import path

from objectives import views

urlpatterns = [
    path("okrs/", views.okrs, name="okrs"),
    path("objectives/add/", views.objective_add, name="objective_add"),
    path("objectives/<int:pk>/", views.objective_detail, name="objective_detail"),
    path("objectives/<int:pk>/edit/", views.objective_edit, name="objective_edit"),
    path("objectives/<int:pk>/key-results/add/", views.key_result_add, name="key_result_add"),
    path("key-results/<int:pk>/", views.key_result_detail, name="key_result_detail"),
    path("key-results/<int:pk>/edit/", views.key_result_edit, name="key_result_edit"),
    path("cycles/", views.cycle_list, name="cycle_list"),
    path("cycles/<int:pk>/<slug:action>/", views.cycle_transition, name="cycle_transition"),
]
