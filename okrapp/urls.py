from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from okrapp import views, views_notifications, views_people, views_security, views_tokens, views_webhooks
from okrapp.views_signup import signup

account_patterns: list[URLPattern | URLResolver] = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("password_reset/", views_security.PasswordResetView.as_view(), name="password_reset"),
    path("", include("django.contrib.auth.urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include(account_patterns)),
    path("signup/", signup, name="signup"),
    path("people/", views.people_list, name="people_list"),
    path("people/add/", views.person_add, name="person_add"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("people/<int:pk>/unlock/", views_security.person_unlock, name="person_unlock"),
    path("people/<int:pk>/deactivate/", views_people.person_deactivate, name="person_deactivate"),
    path("people/<int:pk>/reactivate/", views_people.person_reactivate, name="person_reactivate"),
    path("people/<int:pk>/handover/", views_people.person_handover, name="person_handover"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/add/", views.team_add, name="team_add"),
    path("teams/<int:pk>/people/", views.team_people, name="team_people"),
    path("teams/<int:pk>/edit/", views.team_edit, name="team_edit"),
    path("teams/<int:pk>/members/add/", views.team_member_add, name="team_member_add"),
    path("teams/<int:pk>/members/<int:member_pk>/role/", views.team_member_role, name="team_member_role"),
    path("teams/<int:pk>/members/<int:member_pk>/remove/", views.team_member_remove, name="team_member_remove"),
    path("system/", views.system_status, name="system_status"),
    path("notifications/", views.notifications, name="notifications"),
    path("profile/tokens/", views_tokens.api_tokens, name="api_tokens"),
    path("profile/notifications/", views_notifications.notification_settings, name="notification_settings"),
    path("unsubscribe/<str:token>/", views_notifications.unsubscribe_view, name="unsubscribe"),
    path("profile/tokens/<int:pk>/revoke/", views_tokens.api_token_revoke_view, name="api_token_revoke"),
    path("settings/", views.organisation_settings, name="organisation_settings"),
    path("settings/security-log/", views_security.security_log, name="security_log"),
    path("settings/webhooks/", views_webhooks.webhook_list, name="webhook_list"),
    path("settings/webhooks/<int:pk>/", views_webhooks.webhook_detail, name="webhook_detail"),
    path("settings/webhooks/<int:pk>/active/", views_webhooks.webhook_active, name="webhook_active"),
    path("settings/webhooks/<int:pk>/delete/", views_webhooks.webhook_delete, name="webhook_delete"),
    path("", include("objectives.urls")),
    path("", include("objectives.urls_health")),
    path("", include("checkins.urls")),
    path("", include("backlog.urls")),
    path("", include("dashboards.urls")),
    path("", include("comments.urls")),
    path("api/", include("okrapp.api_urls")),
    path("admin/", admin.site.urls),
]

handler404 = "okrapp.api.base.api_not_found"
handler500 = "okrapp.api.base.api_server_error"
