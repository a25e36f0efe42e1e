"""Pages of goals: the OKRs of a scope, objectives, key results and cycles.

Thin: access → form → one service or selector → render. Inline (htmx) forms get their partial,
refused ones 422 with the errors next to the fields; plain posts redirect on success.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from objectives import hints, selectors, services
from objectives import progress as numbers
from objectives.access import access_cycle, access_key_result, access_objective, can_edit_objective, can_write_in
from objectives.access_health import health_metric_visibility
from objectives.forms import CarryOverForm, CycleForm, GradeForm, KeyResultForm, MoveKeyResultForm, ObjectiveForm
from objectives.models import Cycle, CycleState, KeyResult, Objective
from objectives.panels import key_result_panels, objective_panels
from okrapp.decorators import admin_required, member_required
from okrapp.forms import apply_service_errors
from okrapp.http import AuthedHttpRequest
from okrapp.models import Team
from okrapp.parsing import parse_id
from okrapp.timeutil import org_today
from okrapp.versioning import form_is_current, form_open


def _refuse_closed(cycle: Cycle) -> None:
    if cycle.state == CycleState.CLOSED:
        raise PermissionDenied("This cycle is closed: its objectives and key results no longer change.")


def done(request: AuthedHttpRequest, url: str, message: str) -> HttpResponse:
    """Success: a plain POST redirects to ``url``; an inline (htmx) form reloads the page it sits on,
    so the person stays where they were and sees the new numbers."""
    messages.success(request, message)
    if request.htmx:
        return HttpResponseClientRefresh() if request.htmx.current_url else HttpResponseClientRedirect(url)
    return redirect(url)


def _scope_team(request: AuthedHttpRequest, raw: str | None) -> Team | None:
    """The team of a scope parameter ('company' or a team id), checked against the organisation. Text
    that is no id answers 400 (okrapp.parsing)."""
    if not raw or raw == "company":
        return None
    team = Team.objects.filter(
        organisation_id=request.viewer.organisation_id, pk=parse_id(raw, field="team") or 0
    ).first()
    if team is None or (request.viewer.is_guest_only and team.pk not in request.viewer.team_roles):
        raise Http404("No such team.")
    return team


def _scope_cycle(request: AuthedHttpRequest, raw: str | None) -> Cycle | None:
    chosen = parse_id(raw, field="cycle")
    if chosen is not None:
        return access_cycle(request.viewer, chosen)
    return selectors.default_cycle(request.viewer, org_today(request.viewer.organisation))


def _key_result_rows(objective: Objective) -> list[dict[str, Any]]:
    return [
        {
            "kr": kr,
            "hints": hints.key_result_hints(
                title=kr.title,
                kind=kr.kind,
                has_owner=kr.owner_id is not None,
                has_target=kr.target_value is not None or kr.bound is not None,
            ),
        }
        for kr in objective.key_results.all()
    ]


@member_required
def okrs(request: AuthedHttpRequest) -> HttpResponse:
    """A scope's OKRs for a cycle: the company level or a team."""
    viewer = request.viewer
    cycle = _scope_cycle(request, request.GET.get("cycle"))
    scope = request.GET.get("team")
    if scope is None and viewer.teams:
        scope = str(viewer.teams[0].pk)
    team = _scope_team(request, scope)
    context: dict[str, Any] = {
        "cycle": cycle,
        "team": team,
        "cycles": selectors.cycles_with_counts(viewer),
        "teams": selectors.scope_teams(viewer),
        "can_write": can_write_in(viewer, team) and cycle is not None and cycle.state != CycleState.CLOSED,
    }
    if cycle is not None:
        objectives = list(selectors.scope_objectives(viewer, cycle=cycle, team=team))
        context["summary"] = selectors.scope_summary(
            objectives, cycle=cycle, today=org_today(request.viewer.organisation), per_team=team is not None
        )
        context["visible_parents"] = selectors.visible_ids(viewer, {o.parent_id for o in objectives if o.parent_id})
        context["cards"] = [
            {
                "objective": o,
                "rows": _key_result_rows(o),
                "hints": hints.objective_hints(key_result_count=len(o.key_results.all())),
                "can_edit": can_edit_objective(viewer, o),
            }
            for o in objectives
        ]
    return render(request, "objectives/okrs.html", context)


def _objective_form(
    request: AuthedHttpRequest, *, cycle: Cycle, team: Team | None, objective: Objective | None, **kwargs: Any
) -> ObjectiveForm:
    # What the objective already points to stays offered (the service keeps what the editor cannot see).
    parents = selectors.parent_choices(request.viewer, cycle=cycle, team=team, current=objective)
    if objective is not None:
        parents = parents.exclude(pk=objective.pk)
    return ObjectiveForm(
        request.POST if request.method == "POST" else None,
        organisation_id=request.viewer.organisation_id,
        team=team,
        parents=parents,
        contributions=selectors.contribution_choices(request.viewer, cycle=cycle, exclude_objective=objective),
        people=selectors.people_choices(request.viewer),
        **kwargs,
    )


@member_required
@require_http_methods(["GET", "POST"])
def objective_add(request: AuthedHttpRequest) -> HttpResponse:
    viewer = request.viewer
    cycle = _scope_cycle(request, request.GET.get("cycle"))
    team = _scope_team(request, request.GET.get("team"))
    if cycle is None:
        raise Http404("No cycle yet.")
    if not can_write_in(viewer, team):
        raise PermissionDenied("Only leadership, or the team's leads, write objectives here.")
    initial: dict[str, Any] = {"owner": viewer.membership.pk, "visibility": "team" if team else "company"}
    if team is not None and team.parent_id:
        # A team objective aligns to its parent team's objective by default, when there is exactly one.
        above = list(selectors.parent_choices(viewer, cycle=cycle, team=team).filter(team_id=team.parent_id)[:2])
        if len(above) == 1:
            initial["parent"] = above[0].pk
    form = _objective_form(request, cycle=cycle, team=team, objective=None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            objective = services.objective_create(
                organisation=viewer.organisation, cycle=cycle, team=team, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return done(
                request, reverse("objective_detail", args=[objective.pk]), f"Objective “{objective.title}” was created."
            )
    context = {"form": form, "cycle": cycle, "team": team, "objective": None}
    template = "objectives/objective_form.html#form" if request.htmx else "objectives/objective_form.html"
    return render(request, template, context, status=422 if request.method == "POST" else 200)


@member_required
@require_http_methods(["GET", "POST"])
def objective_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    objective = access_objective(request.viewer, pk, write=True)
    _refuse_closed(objective.cycle)
    initial = {
        "title": objective.title,
        "description": objective.description,
        "owner": objective.owner_id,
        "visibility": objective.visibility,
        "state": objective.state,
        "parent": objective.parent_id,
        "value_dimension": objective.value_dimension_id,
        "contributes_to": list(objective.contributes_to.values_list("pk", flat=True)),
        "stretch": objective.stretch,
    }
    form = _objective_form(request, cycle=objective.cycle, team=objective.team, objective=objective, initial=initial)
    if request.method == "GET":
        form_open(form, objective)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():  # the row stays locked from the version check to the save
                stored = Objective.objects.select_for_update().get(pk=objective.pk)
                current = form_is_current(form, stored, viewer_user_id=request.user.pk)
                if current:
                    services.objective_update(objective=objective, writer=request.viewer, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if current:
                return done(request, reverse("objective_detail", args=[objective.pk]), "Objective saved.")
    context = {"form": form, "cycle": objective.cycle, "team": objective.team, "objective": objective}
    template = "objectives/objective_form.html#form" if request.htmx else "objectives/objective_form.html"
    return render(request, template, context, status=422 if request.method == "POST" else 200)


@member_required
def objective_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    viewer = request.viewer
    objective = access_objective(viewer, pk)
    objective_with_krs = selectors.scope_objectives(viewer, cycle=objective.cycle, team=objective.team).get(pk=pk)
    cycle = objective.cycle
    context = {
        "objective": objective_with_krs,
        "rows": _key_result_rows(objective_with_krs),
        "hints": hints.objective_hints(key_result_count=len(objective_with_krs.key_results.all())),
        "expected": numbers.expected_progress(
            start=cycle.start_date, end=cycle.end_date, on=org_today(request.viewer.organisation)
        ),
        "children": selectors.visible_children(viewer, objective),
        "parent_visible": bool(selectors.visible_ids(viewer, {objective.parent_id} if objective.parent_id else set())),
        "contributes_to": selectors.visible_contributions(viewer, objective),
        "can_edit": can_edit_objective(viewer, objective) and cycle.state != CycleState.CLOSED,
        "carry_over_form": CarryOverForm(cycles=selectors.carry_over_cycles(viewer, objective))
        if can_edit_objective(viewer, objective)
        else None,
        "panels": objective_panels(viewer, objective),
    }
    return render(request, "objectives/objective_detail.html", context)


def _key_result_form(request: AuthedHttpRequest, instance: KeyResult | None = None, **kwargs: Any) -> KeyResultForm:
    return KeyResultForm(
        request.POST if request.method == "POST" else None,
        organisation_id=request.viewer.organisation_id,
        people=selectors.people_choices(request.viewer),
        metrics=selectors.health_metric_choices(request.viewer),
        instance=instance,
        **kwargs,
    )


@member_required
@require_http_methods(["GET", "POST"])
def key_result_add(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    objective = access_objective(request.viewer, pk, write=True)
    if objective.cycle.state == CycleState.CLOSED:
        raise PermissionDenied("This objective's cycle is closed.")
    form = _key_result_form(
        request, initial={"owner": request.viewer.membership.pk, "weight": 1}, objective_stretch=objective.stretch
    )
    if request.method == "POST" and form.is_valid():
        try:
            kr = services.key_result_create(
                objective=objective,
                contributors=form.cleaned_data["contributors"],
                kfis=form.cleaned_data["kfis"],
                **form.definition(),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return done(
                request, reverse("objective_detail", args=[objective.pk]), f"Key result “{kr.title}” was added."
            )
    context = {"form": form, "objective": objective, "key_result": None}
    template = "objectives/key_result_form.html#form" if request.htmx else "objectives/key_result_form.html"
    return render(request, template, context, status=422 if request.method == "POST" else 200)


@member_required
@require_http_methods(["GET", "POST"])
def key_result_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    kr = access_key_result(request.viewer, pk, write=True)
    _refuse_closed(kr.objective.cycle)
    form = _key_result_form(request, instance=kr, objective_stretch=kr.objective.stretch)
    if request.method == "GET":
        form_open(form, kr)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():  # the row stays locked from the version check to the save
                stored = KeyResult.objects.select_for_update().get(pk=kr.pk)
                current = form_is_current(form, stored, viewer_user_id=request.user.pk)
                if current:
                    services.key_result_update(
                        key_result=kr,
                        contributors=form.cleaned_data["contributors"],
                        kfis=form.cleaned_data["kfis"],
                        writer=request.viewer,
                        **form.definition(),
                    )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if current:
                return done(request, reverse("key_result_detail", args=[kr.pk]), "Key result saved.")
    context = {"form": form, "objective": kr.objective, "key_result": kr}
    template = "objectives/key_result_form.html#form" if request.htmx else "objectives/key_result_form.html"
    return render(request, template, context, status=422 if request.method == "POST" else 200)


def key_result_context(
    request: AuthedHttpRequest, kr: KeyResult, *, grade_form: GradeForm | None = None
) -> dict[str, Any]:
    viewer = request.viewer
    cycle = kr.objective.cycle
    is_editor = kr.owner_id == viewer.membership.pk or can_edit_objective(viewer, kr.objective)
    closed = cycle.state == CycleState.CLOSED
    return {
        "kr": kr,
        "hints": hints.key_result_hints(
            title=kr.title,
            kind=kr.kind,
            has_owner=kr.owner_id is not None,
            has_target=kr.target_value is not None or kr.bound is not None,
        ),
        "expected": numbers.expected_progress(
            start=cycle.start_date, end=cycle.end_date, on=org_today(request.viewer.organisation)
        ),
        "contributors": kr.contributors.select_related("user").order_by("user__full_name"),
        "kfis": kr.kfis.filter(health_metric_visibility(viewer)).select_related("team").order_by("name"),
        "contributing": selectors.visible_contributors(viewer, kr),
        "can_edit": is_editor and not closed,
        "can_promote": not closed and can_edit_objective(viewer, kr.objective),
        "move_form": MoveKeyResultForm(objectives=_editable_objectives(request, kr))
        if is_editor and not closed
        else None,
        "grade_form": grade_form
        or (GradeForm(initial={"grade": kr.grade, "grade_reason": kr.grade_reason}) if is_editor and closed else None),
        "grade_success": numbers.grade_is_success(kr.grade, stretch=kr.reads_as_stretch)
        if kr.grade is not None
        else None,
        "panels": key_result_panels(viewer, kr),
    }


@member_required
def key_result_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    kr = access_key_result(request.viewer, pk)
    return render(request, "objectives/key_result_detail.html", key_result_context(request, kr))


@member_required
@require_http_methods(["GET", "POST"])
def cycle_list(request: AuthedHttpRequest) -> HttpResponse:
    viewer = request.viewer
    form = None
    if viewer.is_admin:
        form = CycleForm(request.POST if request.method == "POST" else None, organisation_id=viewer.organisation_id)
        if request.method == "POST" and form.is_valid():
            try:
                cycle = services.cycle_create(organisation=viewer.organisation, **form.cleaned_data)
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                return done(request, reverse("cycle_list"), f"Cycle {cycle.name} was created, in planning.")
    elif request.method == "POST":
        raise PermissionDenied("Only company admins manage cycles.")
    context = {"cycles": selectors.cycles_with_counts(viewer), "form": form}
    template = "objectives/cycle_list.html#add-cycle" if request.htmx else "objectives/cycle_list.html"
    return render(request, template, context, status=422 if request.method == "POST" else 200)


@admin_required
@require_POST
def cycle_transition(request: AuthedHttpRequest, pk: int, action: str) -> HttpResponse:
    cycle = access_cycle(request.viewer, pk, write=True)
    try:
        if action == "start":
            services.cycle_activate(cycle=cycle)
            messages.success(request, f"{cycle.name} is active: check-ins count from now on.")
        elif action == "close":
            services.cycle_close(cycle=cycle)
            messages.success(
                request,
                f"{cycle.name} is closed. Every key result got its progress as grade; owners may adjust it with a reason.",
            )
        else:
            raise Http404("No such action.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("cycle_list")


def _editable_objectives(request: AuthedHttpRequest, kr: KeyResult) -> Any:
    """Objectives of the same cycle a KR may move to: visible, writable by the viewer, not its own."""
    candidates = (
        selectors.visible_objectives_of_cycle(request.viewer, kr.objective.cycle)
        .exclude(pk=kr.objective_id)
        .select_related("team", "owner")
    )
    allowed = [o.pk for o in candidates if can_edit_objective(request.viewer, o)]
    return candidates.filter(pk__in=allowed)


@member_required
@require_POST
def key_result_move(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    kr = access_key_result(request.viewer, pk, write=True)
    _refuse_closed(kr.objective.cycle)
    if not can_edit_objective(request.viewer, kr.objective):
        raise PermissionDenied("Only the objective's owner, its team's lead or leadership can move its key results.")
    form = MoveKeyResultForm(request.POST, objectives=_editable_objectives(request, kr))
    if form.is_valid():
        try:
            services.key_result_move(key_result=kr, objective=form.cleaned_data["objective"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Moved to “{form.cleaned_data['objective'].title}”.")
    else:
        messages.error(request, "Choose an objective you may change, in the same cycle.")
    return redirect("key_result_detail", pk=kr.pk)


@member_required
@require_POST
def key_result_promote(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    kr = access_key_result(request.viewer, pk, write=True)
    _refuse_closed(kr.objective.cycle)
    if not can_edit_objective(request.viewer, kr.objective):
        raise PermissionDenied("Only the objective's owner, its team's lead or leadership can promote its key results.")
    parent_title = kr.objective.title
    objective = services.key_result_promote(key_result=kr)
    messages.success(
        request,
        f"“{objective.title}” is now an objective aligned to “{parent_title}”, as a draft. The key result "
        "moved into it with its check-ins, comments and links; add the key results that measure it.",
    )
    return redirect("objective_detail", pk=objective.pk)


@member_required
@require_POST
def key_result_grade(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    kr = access_key_result(request.viewer, pk)
    if not (kr.owner_id == request.viewer.membership.pk or can_edit_objective(request.viewer, kr.objective)):
        raise PermissionDenied("Only the key result's owner, its objective's owner or the team lead can grade it.")
    form = GradeForm(request.POST)
    if form.is_valid():
        try:
            services.key_result_grade(
                key_result=kr, grade=form.cleaned_data["grade"], reason=form.cleaned_data["grade_reason"]
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Grade saved.")
            return redirect("key_result_detail", pk=kr.pk)
    return render(
        request, "objectives/key_result_detail.html", key_result_context(request, kr, grade_form=form), status=422
    )


@member_required
@require_POST
def objective_carry_over(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    objective = access_objective(request.viewer, pk, write=True)
    if not can_write_in(request.viewer, objective.team):
        raise PermissionDenied("Only those who write objectives for this team (or the company) can carry one over.")
    form = CarryOverForm(request.POST, cycles=selectors.carry_over_cycles(request.viewer, objective))
    if not form.is_valid():
        messages.error(request, "Choose a cycle in planning or active.")
        return redirect("objective_detail", pk=objective.pk)
    try:
        copy = services.objective_carry_over(objective=objective, to_cycle=form.cleaned_data["cycle"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("objective_detail", pk=objective.pk)
    messages.success(
        request, f"Carried over into {copy.cycle.name} as a draft, with its key results (not their check-ins)."
    )
    return redirect("objective_detail", pk=copy.pk)
