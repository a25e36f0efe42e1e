"""Jira CSV import pages (upload, the import's progress, preview with the status mapping, result) and the
CSV export of a team's backlog. Thin views: access → form → one service → render."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods

from backlog import exports, imports, jira
from backlog.access import access_backlog_team, can_plan, can_see_team
from backlog.models import ImportState, JiraImport, StoryStatus
from okrapp.decorators import member_required
from okrapp.forms import apply_service_errors
from okrapp.http import AuthedHttpRequest, Viewer

RECENT_IMPORTS = 10


def access_jira_import(viewer: Viewer, pk: int) -> JiraImport:
    """An import of the viewer's organisation, for the leads who plan its team (and admins): another
    organisation's, or one of a team the viewer may not see, is 404; anyone else who sees the team 403."""
    jira_import = (
        JiraImport.objects.filter(organisation_id=viewer.organisation_id, pk=pk)
        .defer("content")
        .select_related("team", "uploaded_by__user")
        .first()
    )
    if jira_import is None or not can_see_team(viewer, jira_import.team_id):
        raise Http404("No such import.")
    if not can_plan(viewer, jira_import.team_id):
        raise PermissionDenied("Only the team's leads import into its backlog.")
    return jira_import


class JiraUploadForm(forms.Form):
    file = forms.FileField(
        label="Jira CSV export",
        help_text=(
            "In Jira: Filters → Export → Export CSV (all fields or current fields). Up to 10 MB and "
            f"{jira.MAX_ROWS:,} issues. You see a preview before anything is imported."
        ),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > jira.MAX_BYTES:  # refused before a byte of it is read into memory
            raise ValidationError(f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is 10 MB.")
        return upload


class StatusMapForm(forms.Form):
    """One choice per Jira status the file uses: what it means here (to do, in progress, done)."""

    def __init__(self, *args: Any, jira_import: JiraImport, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.statuses = imports.import_statuses(jira_import)
        counts = {str(s["name"]): s["count"] for s in jira_import.preview.get("statuses", [])}
        for index, status in enumerate(self.statuses):
            self.fields[f"status_{index}"] = forms.ChoiceField(
                label=status,
                choices=StoryStatus.choices,
                initial=jira_import.status_map.get(status, "todo"),
                help_text=f"{counts.get(status, 0)} issue{'' if counts.get(status) == 1 else 's'}",
            )

    def status_map(self) -> dict[str, str]:
        return {status: self.cleaned_data[f"status_{index}"] for index, status in enumerate(self.statuses)}


@member_required
@require_http_methods(["GET", "POST"])
def import_form(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    team = access_backlog_team(request.viewer, pk, plan=True)
    form = JiraUploadForm(request.POST, request.FILES) if request.method == "POST" else JiraUploadForm()
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                jira_import = imports.import_upload(
                    team=team, uploaded_by=request.viewer.membership, filename=upload.name, content=upload.read()
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                return redirect("backlog_import_detail", jira_import.pk)
        status = 422
    recent = JiraImport.objects.filter(team=team).defer("content").select_related("uploaded_by__user")[:RECENT_IMPORTS]
    return render(request, "backlog/import_form.html", {"team": team, "form": form, "recent": recent}, status=status)


@member_required
@require_http_methods(["GET", "POST"])
def import_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    jira_import = access_jira_import(request.viewer, pk)
    form = None
    status = 200
    if jira_import.state == ImportState.PREVIEW:
        form = StatusMapForm(request.POST if request.method == "POST" else None, jira_import=jira_import)
    if request.method == "POST":
        if form is None:  # confirmed already (a second click), or not ready: the page says where it is
            return redirect("backlog_import_detail", jira_import.pk)
        if form.is_valid():
            try:
                imports.import_confirm(jira_import=jira_import, status_map=form.status_map())
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, "Importing: the backlog fills in as soon as the progress bar is full.")
                return redirect("backlog_import_detail", jira_import.pk)
        status = 422
    else:
        imports.import_nudge(jira_import)  # its job got lost (broker down at upload, worker killed)
    context = {
        "jira_import": jira_import,
        "team": jira_import.team,
        "form": form,
        "polling": jira_import.state in (ImportState.PARSING, ImportState.APPLYING),
    }
    if request.htmx:
        return render(request, "backlog/import_detail.html#status", context, status=status)
    return render(request, "backlog/import_detail.html", context, status=status)


@member_required
@require_GET
def export_csv(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    team = access_backlog_team(request.viewer, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    for line in exports.backlog_export_lines(team=team, viewer=request.viewer):
        response.write(line)
    response["Content-Disposition"] = f'attachment; filename="{slugify(team.name) or "team"}-backlog.csv"'
    return response
