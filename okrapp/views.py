"""Pages of the core: home, people, teams, system status. Thin: access → form → service → render."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from okrapp import lockout, selectors, services, system
from okrapp.access import access_membership, access_team, access_team_membership
from okrapp.decorators import admin_required, directory_required, member_required
from okrapp.forms import (
    EmailLoginForm,
    MembershipForm,
    OrganisationForm,
    PersonAddForm,
    TeamForm,
    TeamMemberAddForm,
    TeamRoleForm,
    apply_service_errors,
)
from okrapp.http import AuthedHttpRequest
from okrapp.models import CompanyRole, Notification
from okrapp.parsing import parse_id


class LoginView(auth_views.LoginView):
    """Login by e-mail; a refused login answers 422 like every failed form."""

    authentication_form = EmailLoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form: EmailLoginForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_invalid(form)
        response.status_code = 422
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(**kwargs) | {"signup_enabled": settings.SIGNUP_ENABLED}


@member_required
def home(request: AuthedHttpRequest) -> HttpResponse:
    """Leadership lands on the company cascade; everyone else (admins setting up included) on their teams."""
    viewer = request.viewer
    if viewer.membership.role == CompanyRole.LEADERSHIP:
        return redirect("cascade")
    my_team_ids = set(viewer.team_roles)
    context = {
        "my_teams": selectors.team_tree(viewer.organisation, only_ids=my_team_ids) if my_team_ids else [],
        "team_count": viewer.organisation.teams.count(),
        "people_count": viewer.organisation.memberships.count(),
    }
    return render(request, "okrapp/home.html", context)


@directory_required
def people_list(request: AuthedHttpRequest) -> HttpResponse:
    status = "deactivated" if request.GET.get("status") == "deactivated" else "active"
    people = selectors.people_directory(request.viewer.organisation).filter(deactivated_at__isnull=status == "active")
    return render(request, "okrapp/people_list.html", {"people": people, "status": status})


@admin_required
@require_http_methods(["GET", "POST"])
def person_add(request: AuthedHttpRequest) -> HttpResponse:
    organisation = request.viewer.organisation
    form = PersonAddForm(request.POST if request.method == "POST" else None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.person_add(
                organisation=organisation,
                invited_by=request.user,
                actor=request.viewer.membership,
                ip_address=lockout.client_ip(request),
                site_url=settings.SITE_URL or request.build_absolute_uri("/").rstrip("/"),
                **form.cleaned_data,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                f"{membership.user.full_name} was added. An e-mail with a link to set a password is on its way.",
            )
            return redirect("person_detail", pk=membership.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "okrapp/person_add.html", {"form": form}, status=status)


@member_required
@require_http_methods(["GET", "POST"])
def person_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    membership = access_membership(request.viewer, pk, write=request.method == "POST")
    form = (
        MembershipForm(request.POST if request.method == "POST" else None, instance=membership)
        if request.viewer.is_admin
        else None
    )
    if request.method == "POST" and form is not None and form.is_valid():
        # Keep the saved values on the instance intact if the service refuses the change.
        membership.refresh_from_db(fields=["role", "job_title"])
        try:
            services.membership_change(
                membership=membership,
                actor=request.viewer.membership,
                ip_address=lockout.client_ip(request),
                **form.cleaned_data,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"{membership.user.full_name}'s role was saved.")
            return redirect("person_detail", pk=membership.pk)
    team_memberships = membership.team_memberships.select_related("team").order_by("team__name")
    if request.viewer.is_guest_only:  # a guest sees their own teams, not everyone's
        team_memberships = team_memberships.filter(team_id__in=request.viewer.team_roles)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "okrapp/person_detail.html",
        {
            "person": membership,
            "form": form,
            "team_memberships": team_memberships,
            "sign_in_lock": lockout.sign_in_lock(membership.user) if request.viewer.is_admin else None,
            "address_lock": lockout.sign_in_address_lock(membership.user) if request.viewer.is_admin else None,
        },
        status=status,
    )


@member_required
def team_list(request: AuthedHttpRequest) -> HttpResponse:
    viewer = request.viewer
    only = set(viewer.team_roles) if viewer.is_guest_only else None
    return render(request, "okrapp/team_list.html", {"nodes": selectors.team_tree(viewer.organisation, only_ids=only)})


@admin_required
@require_http_methods(["GET", "POST"])
def team_add(request: AuthedHttpRequest) -> HttpResponse:
    organisation = request.viewer.organisation
    form = TeamForm(
        request.POST if request.method == "POST" else None,
        organisation=organisation,
        initial={"parent": parse_id(request.GET.get("parent"), field="parent")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(organisation=organisation, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Team {team.name} was created.")
            return redirect("team_people", pk=team.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "okrapp/team_form.html", {"form": form, "team": None}, status=status)


@member_required
def team_people(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """A team's people and sub-teams; admins manage membership here (the team page is in dashboards)."""
    team = access_team(request.viewer, pk)
    context = {
        "team": team,
        "members": selectors.team_members(team),
        "children": [] if request.viewer.is_guest_only else team.children.order_by("name"),
        "add_form": TeamMemberAddForm(team=team) if request.viewer.is_admin else None,
        "role_choices": TeamRoleForm.base_fields["role"].choices,  # type: ignore[attr-defined]
    }
    return render(request, "okrapp/team_people.html", context)


@admin_required
@require_http_methods(["GET", "POST"])
def team_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    team = access_team(request.viewer, pk, write=True)
    initial = {"name": team.name, "parent": team.parent, "mission": team.mission}
    form = TeamForm(
        request.POST if request.method == "POST" else None,
        organisation=request.viewer.organisation,
        team=team,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.team_update(team=team, **form.cleaned_data)
        except ValidationError as error:
            team.refresh_from_db()
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Team {team.name} was saved.")
            return redirect("team_people", pk=team.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "okrapp/team_form.html", {"form": form, "team": team}, status=status)


@admin_required
@require_POST
def team_member_add(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    team = access_team(request.viewer, pk, write=True)
    form = TeamMemberAddForm(request.POST, team=team)
    if form.is_valid():
        try:
            team_membership = services.team_member_set(
                team=team,
                membership=form.cleaned_data["person"],
                role=form.cleaned_data["role"],
                actor=request.viewer.membership,
                ip_address=lockout.client_ip(request),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"{team_membership.membership.user.full_name} joined {team.name}.")
            return redirect("team_people", pk=team.pk)
    context = {
        "team": team,
        "members": selectors.team_members(team),
        "children": team.children.order_by("name"),
        "add_form": form,
        "role_choices": TeamRoleForm.base_fields["role"].choices,  # type: ignore[attr-defined]
    }
    return render(request, "okrapp/team_people.html", context, status=422)


@admin_required
@require_POST
def team_member_role(request: AuthedHttpRequest, pk: int, member_pk: int) -> HttpResponse:
    team = access_team(request.viewer, pk, write=True)
    team_membership = access_team_membership(request.viewer, team, member_pk, write=True)
    form = TeamRoleForm(request.POST)
    status = 200
    if form.is_valid():
        team_membership = services.team_member_set(
            team=team,
            membership=team_membership.membership,
            role=form.cleaned_data["role"],
            actor=request.viewer.membership,
            ip_address=lockout.client_ip(request),
        )
        team_membership.saved = True  # type: ignore[attr-defined]
    else:
        status = 422
    if not request.htmx:
        if status == 200:
            messages.success(
                request,
                f"{team_membership.membership.user.full_name} is now {team_membership.get_role_display().lower()}.",
            )
        else:
            messages.error(request, "Choose one of the listed roles.")
        return redirect("team_people", pk=team.pk)
    context = {
        "team": team,
        "member": team_membership,
        "role_form_errors": form.errors.get("role"),
        "role_choices": TeamRoleForm.base_fields["role"].choices,  # type: ignore[attr-defined]
    }
    return render(request, "okrapp/team_people.html#member-row", context, status=status)


@admin_required
@require_POST
def team_member_remove(request: AuthedHttpRequest, pk: int, member_pk: int) -> HttpResponse:
    team = access_team(request.viewer, pk, write=True)
    team_membership = access_team_membership(request.viewer, team, member_pk, write=True)
    name = team_membership.membership.user.full_name
    services.team_member_remove(
        team_membership=team_membership, actor=request.viewer.membership, ip_address=lockout.client_ip(request)
    )
    if request.htmx:
        return HttpResponse("")  # the row is swapped out
    messages.success(request, f"{name} left {team.name}.")
    return redirect("team_people", pk=team.pk)


@admin_required
def system_status(request: AuthedHttpRequest) -> HttpResponse:
    template = "okrapp/system_status.html#status" if request.htmx else "okrapp/system_status.html"
    return render(request, template, {"status": system.system_status()})


@member_required
@require_http_methods(["GET", "POST"])
def notifications(request: AuthedHttpRequest) -> HttpResponse:
    """The bell's list; POST marks them all read."""
    mine = Notification.objects.filter(recipient=request.viewer.membership)
    if request.method == "POST":
        mine.filter(read_at=None).update(read_at=timezone.now())
        return redirect("notifications")
    return render(request, "okrapp/notifications.html", {"notifications": mine[:50]})


@admin_required
@require_http_methods(["GET", "POST"])
def organisation_settings(request: AuthedHttpRequest) -> HttpResponse:
    organisation = request.viewer.organisation
    form = OrganisationForm(request.POST if request.method == "POST" else None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Settings saved.")
        return redirect("organisation_settings")
    return render(
        request, "okrapp/organisation_settings.html", {"form": form}, status=422 if request.method == "POST" else 200
    )
