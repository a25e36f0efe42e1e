"""Django admin for operators (superusers); company admins use the app's own pages."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from okrapp.lockout import client_ip
from okrapp.models import Heartbeat, Membership, Organisation, Team, TeamMembership, User
from okrapp.security_log import company_role_event, team_role_event


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "full_name", "is_active", "is_staff", "last_login")
    search_fields = ("email", "full_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "time_zone", "checkin_day")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "organisation", "parent")
    list_filter = ("organisation",)
    list_select_related = ("organisation", "parent")


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0


def _operator(request: HttpRequest) -> tuple[Membership | None, str, str | None]:
    """Who changed a role here, for the security log: the operator's membership if they have one, a note
    naming them and this door, and their address."""
    user = request.user
    actor = Membership.objects.filter(user_id=user.pk).first() if user.pk is not None else None
    email = getattr(user, "email", "")
    return actor, f"In the Django admin, by {email}.", client_ip(request)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Operators may change roles here too: every company and team role written goes to the security
    log, as from the app's own pages."""

    list_display = ("user", "organisation", "role", "job_title")
    list_filter = ("organisation", "role")
    list_select_related = ("user", "organisation")
    inlines = (TeamMembershipInline,)

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        previous = Membership.objects.filter(pk=obj.pk).values_list("role", flat=True).first() if change else None
        super().save_model(request, obj, form, change)
        actor, note, ip_address = _operator(request)
        company_role_event(
            membership=obj, previous=previous, role=obj.role, actor=actor, ip_address=ip_address, note=note
        )

    @staticmethod
    def _team_rows(membership: Membership) -> dict[int, tuple[Team, str]]:
        rows = TeamMembership.objects.filter(membership=membership).select_related("team").order_by("pk")
        return {row.pk: (row.team, row.role) for row in rows}

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not TeamMembership:
            super().save_formset(request, form, formset, change)
            return
        # The rows before and after this save, compared: a row may be new, deleted, given another role or
        # moved to another team (out of the old one, into the new one).
        before = self._team_rows(form.instance)
        super().save_formset(request, form, formset, change)
        after = self._team_rows(form.instance)
        actor, note, ip_address = _operator(request)
        changes: list[tuple[Team, str | None, str | None]] = []
        for pk in sorted(before.keys() | after.keys()):
            (old_team, old_role), (new_team, new_role) = before.get(pk, (None, None)), after.get(pk, (None, None))
            if old_team is not None and new_team is not None and old_team.pk == new_team.pk:
                changes.append((new_team, old_role, new_role))
                continue
            if old_team is not None:
                changes.append((old_team, old_role, None))
            if new_team is not None:
                changes.append((new_team, None, new_role))
        for team, previous, role in changes:
            team_role_event(
                membership=form.instance,
                team=team,
                previous=previous,
                role=role,
                actor=actor,
                ip_address=ip_address,
                note=note,
            )


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ("received_at", "sent_at", "worker")
