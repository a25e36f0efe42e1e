from django.urls import URLPattern, URLResolver, include, path

from backlog import views, views_order, views_plan, views_sprint

urlpatterns: list[URLPattern | URLResolver] = [
    path("backlog/", views.backlog_page, name="backlog"),
    path("backlog/teams/<int:pk>/stories/add/", views.story_add, name="story_add"),
    path("backlog/teams/<int:pk>/ranked/", views.ranked, name="backlog_ranked"),
    path("backlog/teams/<int:pk>/epics/", views_plan.epic_list, name="epic_list"),
    path("backlog/teams/<int:pk>/sprints/", views_sprint.sprint_list, name="sprint_list"),
    path("backlog/stories/<int:pk>/", views.story_edit, name="story_edit"),
    path("backlog/stories/<int:pk>/status/", views.story_status, name="story_status"),
    path("backlog/stories/<int:pk>/move/", views_order.story_move, name="story_move"),
    path("backlog/stories/<int:pk>/links/", views.story_link, name="story_link"),
    path("backlog/stories/<int:pk>/links/<int:kr_pk>/remove/", views.story_unlink, name="story_unlink"),
    path("backlog/epics/<int:pk>/", views_plan.epic_detail, name="epic_detail"),
    path("backlog/sprints/<int:pk>/", views_sprint.sprint_detail, name="sprint_detail"),
    path("backlog/sprints/<int:pk>/start/", views_sprint.sprint_start, name="sprint_start"),
    path("backlog/sprints/<int:pk>/complete/", views_sprint.sprint_complete, name="sprint_complete"),
    path("roadmap/", views_plan.roadmap, name="roadmap"),
    path("roadmap/themes/<int:pk>/move/", views_plan.theme_move, name="theme_move"),
    path("", include("backlog.urls_import")),
]
