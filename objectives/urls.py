from django.urls import path

from objectives import views

urlpatterns = [
    path("okrs/", views.okrs, name="okrs"),
    path("objectives/add/", views.objective_add, name="objective_add"),
    path("objectives/<int:pk>/", views.objective_detail, name="objective_detail"),
    path("objectives/<int:pk>/edit/", views.objective_edit, name="objective_edit"),
    path("objectives/<int:pk>/key-results/add/", views.key_result_add, name="key_result_add"),
    path("key-results/<int:pk>/edit/", views.key_result_edit, name="key_result_edit"),
    path("key-results/<int:pk>/move/", views.key_result_move, name="key_result_move"),
    path("key-results/<int:pk>/promote/", views.key_result_promote, name="key_result_promote"),
    path("key-results/<int:pk>/grade/", views.key_result_grade, name="key_result_grade"),
    path("objectives/<int:pk>/carry-over/", views.objective_carry_over, name="objective_carry_over"),
    path("cycles/", views.cycle_list, name="cycle_list"),
    path("cycles/<int:pk>/<slug:action>/", views.cycle_transition, name="cycle_transition"),
]
