"""Pages of the series: My week (inline check-ins), and the check-in of a past week from a KR page."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from checkins import selectors, services
from checkins.charts import trend_chart
from checkins.forms import CheckInForm, ReadingForm
from checkins.models import CheckIn
from checkins.weeks import drawn_weeks, local_today, week_label, week_of
from objectives import views as objective_views
from objectives import views_health
from objectives.access import access_key_result
from objectives.access_health import access_health_metric, can_write_health_metric
from objectives.models import KeyResult
from objectives.progress import Kind, expected_progress
from okrapp.decorators import member_required
from okrapp.forms import apply_service_errors
from okrapp.http import AuthedHttpRequest
from okrapp.my_week import my_week_sections
from okrapp.parsing import BadInput, parse_date


def plain(value: float | None) -> str | None:
    """A number for an input field: 350 rather than 350.0."""
    if value is None:
        return None
    text = repr(value)  # exact: saving the prefilled form unchanged keeps the value
    return text[:-2] if text.endswith(".0") else text


def _today(request: AuthedHttpRequest) -> date:
    return local_today(request.viewer.organisation.time_zone)


def _row_form(row: selectors.WeekRow, data: Any = None) -> CheckInForm:
    kr = row.key_result
    prefill = row.prefill
    initial: dict[str, Any] = {}
    if prefill is not None:
        initial = {
            "value": plain(prefill.value),
            "confidence": prefill.confidence,
            "next_steps": prefill.next_steps,
            "blockers": prefill.blockers,
        }
        if prefill.done is not None:
            initial["done"] = "yes" if prefill.done else "no"
        if row.this_week is not None:
            initial["what_changed"] = row.this_week.what_changed
    elif kr.current_value is not None:
        initial["value"] = plain(kr.current_value)
    return CheckInForm(data, key_result=kr, prefix=f"kr{kr.pk}", initial=initial)


def _row_context(
    request: AuthedHttpRequest,
    row: selectors.WeekRow,
    form: CheckInForm,
    *,
    saved: bool = False,
    contributed: set[int] | None = None,
) -> dict[str, Any]:
    cycle = row.key_result.objective.cycle
    return {
        "row": row,
        "form": form,
        "saved": saved,
        "can_check_in": services.can_check_in(request.viewer, row.key_result, contributed=contributed),
        "expected": expected_progress(start=cycle.start_date, end=cycle.end_date, on=_today(request)),
    }


@member_required
def my_week(request: AuthedHttpRequest) -> HttpResponse:
    today = _today(request)
    week = week_of(today)
    rows = selectors.my_week(request.viewer, week=week)
    contributed = selectors.contributed_ids(request.viewer)
    entries = [_row_context(request, row, _row_form(row), contributed=contributed) for row in rows]
    done = sum(1 for row in rows if row.this_week is not None)
    context = {
        "entries": entries,
        "week": week,
        "week_label": week_label(week),
        "done_count": done,
        "total_count": len(rows),
        "checkin_day": request.viewer.organisation.get_checkin_day_display(),
        "sections": my_week_sections(request.viewer),  # what other apps add (the backlog: my stories)
    }
    return render(request, "checkins/my_week.html", context)


@member_required
@require_POST
def checkin_row(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Save one KR's check-in for this week from its My week row; htmx gets the row back."""
    kr = access_key_result(request.viewer, pk)
    if not services.can_check_in(request.viewer, kr):  # one who sees the KR but may not check in: 403, any body
        raise PermissionDenied("Only the key result's owner, its contributors or the team lead check in on it.")
    today = _today(request)
    week = week_of(today)
    row = selectors.week_row(kr, week=week)
    form = _row_form(row, request.POST)
    saved = False
    if form.is_valid():
        try:
            services.checkin_save(
                viewer=request.viewer,
                key_result=kr,
                week=week,
                **form.entry(),
                today=today,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            saved = True
    if not request.htmx:
        if saved:
            messages.success(request, f"Checked in on “{kr.title}”.")
            return redirect("my_week")
        messages.error(
            request,
            f"“{kr.title}” was not saved: " + " ".join(f"{e}" for errors in form.errors.values() for e in errors),
        )
        return redirect("my_week")
    if saved:
        kr = KeyResult.objects.select_related("objective__cycle", "objective__team", "owner__user").get(pk=kr.pk)
        row = selectors.week_row(kr, week=week)
        form = _row_form(row)
    context = _row_context(request, row, form, saved=saved)
    if saved:  # the page's "n of m checked in" follows (an out-of-band swap)
        rows = selectors.my_week(request.viewer, week=week)
        context.update(count_oob=True, total_count=len(rows), done_count=sum(r.this_week is not None for r in rows))
    return render(request, "checkins/my_week.html#row", context, status=200 if saved else 422)


@member_required
@require_POST
def checkin_week(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Fill in or correct the check-in of a past week of the cycle, from the KR page."""
    kr = access_key_result(request.viewer, pk)
    if not services.can_check_in(request.viewer, kr):  # one who sees the KR but may not check in: 403, any body
        raise PermissionDenied("Only the key result's owner, its contributors or the team lead check in on it.")
    week = parse_date(request.POST.get("week"), field="week")  # within 2000–2100, or 400
    if week is None:
        raise BadInput("week", "Send the week as YYYY-MM-DD.")
    form = CheckInForm(request.POST, key_result=kr, prefix="past")
    existing = CheckIn.objects.filter(key_result=kr, week=week).first()
    if form.is_valid():
        if existing is not None:  # correcting a value alone keeps the week's notes
            for name in ("what_changed", "next_steps", "blockers"):
                if not form.cleaned_data[name].strip():
                    form.cleaned_data[name] = getattr(existing, name)
        try:
            services.checkin_save(
                viewer=request.viewer,
                key_result=kr,
                week=week,
                **form.entry(),
                today=_today(request),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Check-in of {week_label(week)} saved.")
            return redirect("key_result_detail", pk=kr.pk)
    messages.error(
        request,
        f"The check-in of {week_label(week)} was not saved: "
        + " ".join(str(e) for errors in form.errors.values() for e in errors),
    )
    return redirect("key_result_detail", pk=kr.pk)


def series_context(request: AuthedHttpRequest, kr: KeyResult) -> dict[str, Any]:
    """The KR's check-in history, trend chart and the form to fill in a past week."""
    cycle = kr.objective.cycle
    today = _today(request)
    history = selectors.key_result_history(kr)
    oldest_first = list(reversed(history))
    if kr.kind == Kind.MILESTONE:
        points = [(c.week, 1.0 if c.done else 0.0, c.confidence) for c in oldest_first]
        chart = trend_chart(
            series=points, start=None, target=None, cycle_start=cycle.start_date, cycle_end=cycle.end_date, today=today
        )
    else:
        points = [(c.week, c.value, c.confidence) for c in oldest_first if c.value is not None]
        target = kr.target_value if kr.kind == Kind.METRIC else kr.bound
        chart = trend_chart(
            series=points,
            start=kr.start_value if kr.kind == Kind.METRIC else None,
            target=target,
            cycle_start=cycle.start_date,
            cycle_end=cycle.end_date,
            today=today,
            unit=kr.unit,
        )
    can_write = services.can_check_in(request.viewer, kr) and cycle.state != "closed"
    weeks = [w for w in drawn_weeks(cycle.start_date, cycle.end_date, today) if w <= week_of(today)]
    return {
        "history": history,
        "chart": chart,
        "past_form": CheckInForm(key_result=kr, prefix="past") if can_write else None,
        "past_weeks": [(w, week_label(w)) for w in reversed(weeks)],
    }


@member_required
def key_result_page(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    kr = access_key_result(request.viewer, pk)
    context = objective_views.key_result_context(request, kr)
    context.update(series_context(request, kr))
    return render(request, "objectives/key_result_detail.html", context)


@member_required
@require_http_methods(["GET", "POST"])
def health_metric_page(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """A health metric with its readings; those who may edit it enter a new reading here."""
    viewer = request.viewer
    metric = access_health_metric(viewer, pk, write=request.method == "POST")
    today = _today(request)
    form = None
    if can_write_health_metric(viewer, metric.team_id):
        form = ReadingForm(request.POST if request.method == "POST" else None, initial={"taken_on": today})
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            services.reading_save(metric=metric, author_id=viewer.membership.pk, today=today, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Reading saved.")
            return redirect("health_metric_detail", pk=metric.pk)
    metric.refresh_from_db()
    context = views_health.health_metric_context(request, metric)
    context.update({"readings": selectors.metric_readings(metric), "reading_form": form})
    return render(
        request, "objectives/health_metric_detail.html", context, status=422 if request.method == "POST" else 200
    )


@member_required
def team_meeting(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """What a team projects in its weekly check-in meeting: every KR this week against last week."""
    from okrapp.access import access_team

    team = access_team(request.viewer, pk)
    week = week_of(_today(request))
    rows = selectors.team_week(request.viewer, team_id=team.pk, week=week)
    checked = [r for r in rows if r.this_week is not None]
    context = {
        "team": team,
        "rows": rows,
        "week_label": week_label(week),
        "missing": [r for r in rows if r.this_week is None],
        "blockers": [r for r in checked if r.this_week and r.this_week.blockers],
        "compliance": selectors.Compliance(len(checked), len(rows)),
    }
    return render(request, "checkins/team_meeting.html", context)


@member_required
def compliance(request: AuthedHttpRequest) -> HttpResponse:
    week = week_of(_today(request))
    per_team, company = selectors.compliance_by_team(request.viewer, week=week)
    return render(
        request, "checkins/compliance.html", {"per_team": per_team, "company": company, "week_label": week_label(week)}
    )
