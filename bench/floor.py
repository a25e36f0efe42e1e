"""The benchmark's floor: each measured page's figures read by raw SQL and written as minimal HTML (or
JSON) by the same server, behind the same middleware (sessions, authentication, security headers).
What a page costs above its floor is the price of the app's own layers: the ORM, visibility, the pure
modules, templates. Benchmark settings only (``bench.urls``); never in the app's URL configuration.

The SQL reads what the page shows, for the same viewer, without re-deciding visibility in detail:
private objectives are left out and the rest is read, which is what an employee of a company that
shares its OKRs openly sees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from html import escape
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import connection, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

View = Callable[..., HttpResponse]


def _rows(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _execute(sql: str, params: Sequence[Any] = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _org(request: HttpRequest) -> int:
    rows = _rows("SELECT organisation_id FROM okrapp_membership WHERE user_id = %s", [request.user.pk])
    if not rows:
        raise Http404
    return int(rows[0][0])


def _html(title: str, parts: Iterable[str]) -> HttpResponse:
    body = "".join(parts)
    return HttpResponse(f"<!doctype html><html><head><title>{escape(title)}</title></head><body>{body}</body></html>")


def _table(rows: Iterable[Sequence[Any]]) -> str:
    cells = ("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    return "<table>" + "".join(cells) + "</table>"


def _week_start(today: date) -> date:
    return today - timedelta(days=today.weekday())


ACTIVE_OBJECTIVES = """
    FROM objectives_objective o JOIN objectives_cycle c ON c.id = o.cycle_id
    WHERE o.organisation_id = %s AND c.state = 'active' AND o.visibility <> 'private'
"""


@login_required
def cascade(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    week = _week_start(timezone.localdate())
    teams = _rows("SELECT id, name, parent_id FROM okrapp_team WHERE organisation_id = %s ORDER BY name", [org])
    rollups = _rows(
        "SELECT o.team_id, count(*), avg(o.progress), avg(o.confidence),"
        " count(*) FILTER (WHERE o.status = 'off_track'), count(*) FILTER (WHERE o.status = 'at_risk')"
        + ACTIVE_OBJECTIVES
        + " GROUP BY o.team_id",
        [org],
    )
    header = _rows(
        "SELECT count(*) FILTER (WHERE k.status = 'on_track'), count(*), avg(k.confidence),"
        " count(*) FILTER (WHERE ci.id IS NOT NULL)"
        " FROM objectives_keyresult k JOIN objectives_objective o ON o.id = k.objective_id"
        " JOIN objectives_cycle c ON c.id = o.cycle_id"
        " LEFT JOIN checkins_checkin ci ON ci.key_result_id = k.id AND ci.week = %s"
        " WHERE o.organisation_id = %s AND c.state = 'active' AND o.visibility <> 'private'",
        [week, org],
    )
    coverage = _rows(
        "SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM backlog_storylink l WHERE l.story_id = s.id)"
        " OR EXISTS (SELECT 1 FROM backlog_epiclink e WHERE e.epic_id = s.epic_id))"
        " FROM backlog_story s WHERE s.organisation_id = %s AND s.status <> 'done'",
        [org],
    )
    by_team = {r[0]: r[1:] for r in rollups}
    return _html(
        "Cascade floor",
        [_table(header), _table(coverage), _table((t[1], t[2], *by_team.get(t[0], ())) for t in teams)],
    )


@login_required
def heatmap(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    rows = _rows(
        "SELECT o.team_id, s.day, max(CASE s.status WHEN 'off_track' THEN 3 WHEN 'at_risk' THEN 2"
        " WHEN 'stale' THEN 1 ELSE 0 END), avg(s.confidence)"
        " FROM objectives_objectivesnapshot s JOIN objectives_objective o ON o.id = s.objective_id"
        " JOIN objectives_cycle c ON c.id = o.cycle_id"
        " WHERE o.organisation_id = %s AND c.state = 'active' AND o.visibility <> 'private'"
        " AND extract(isodow FROM s.day) = 7 GROUP BY o.team_id, s.day ORDER BY o.team_id, s.day",
        [org],
    )
    return _html("Heatmap floor", [_table(rows)])


def _team_krs(org: int, team_id: int) -> list[tuple[Any, ...]]:
    return _rows(
        "SELECT o.id, o.title, o.progress, o.status, k.id, k.title, k.progress, k.confidence, k.status, u.full_name"
        " FROM objectives_objective o JOIN objectives_cycle c ON c.id = o.cycle_id"
        " JOIN objectives_keyresult k ON k.objective_id = o.id"
        " LEFT JOIN okrapp_membership m ON m.id = k.owner_id LEFT JOIN okrapp_user u ON u.id = m.user_id"
        " WHERE o.organisation_id = %s AND o.team_id = %s AND c.state = 'active' AND o.visibility <> 'private'"
        " ORDER BY o.title, k.position",
        [org, team_id],
    )


@login_required
def team_page(request: HttpRequest, pk: int) -> HttpResponse:
    org = _org(request)
    week = _week_start(timezone.localdate())
    krs = _team_krs(org, pk)
    checked = _rows(
        "SELECT key_result_id, confidence FROM checkins_checkin WHERE week = %s AND key_result_id = ANY(%s)",
        [week, [r[4] for r in krs]],
    )
    sprint = _rows(
        "SELECT s.name, st.points, st.status, st.done_at FROM backlog_sprint s"
        " JOIN backlog_story st ON st.sprint_id = s.id WHERE s.team_id = %s AND s.state = 'active'",
        [pk],
    )
    metrics = _rows(
        "SELECT h.name, (SELECT r.value FROM checkins_metricreading r WHERE r.metric_id = h.id"
        " ORDER BY r.taken_on DESC LIMIT 1) FROM objectives_healthmetric h WHERE h.team_id = %s",
        [pk],
    )
    coverage = _rows(
        "SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM backlog_storylink l WHERE l.story_id = s.id)"
        " OR EXISTS (SELECT 1 FROM backlog_epiclink e WHERE e.epic_id = s.epic_id))"
        " FROM backlog_story s WHERE s.team_id = %s AND s.status <> 'done'",
        [pk],
    )
    return _html("Team floor", [_table(krs), _table(checked), _table(sprint), _table(metrics), _table(coverage)])


@login_required
def my_week(request: HttpRequest) -> HttpResponse:
    week = _week_start(timezone.localdate())
    rows = _rows(
        "SELECT k.id, k.title, k.current_value, k.confidence, k.status, o.title, ci.value, ci.confidence,"
        " ci.what_changed FROM objectives_keyresult k JOIN objectives_objective o ON o.id = k.objective_id"
        " JOIN objectives_cycle c ON c.id = o.cycle_id JOIN okrapp_membership m ON m.id = k.owner_id"
        " LEFT JOIN checkins_checkin ci ON ci.key_result_id = k.id AND ci.week = %s"
        " WHERE m.user_id = %s AND c.state = 'active' ORDER BY o.title, k.position",
        [week, request.user.pk],
    )
    return _html("My week floor", [_table(rows)])


@login_required
def key_result(request: HttpRequest, pk: int) -> HttpResponse:
    org = _org(request)
    kr = _rows(
        "SELECT k.title, k.kind, k.start_value, k.target_value, k.current_value, k.progress, k.confidence,"
        " k.status, o.title, c.start_date, c.end_date FROM objectives_keyresult k"
        " JOIN objectives_objective o ON o.id = k.objective_id JOIN objectives_cycle c ON c.id = o.cycle_id"
        " WHERE k.id = %s AND k.organisation_id = %s AND o.visibility <> 'private'",
        [pk, org],
    )
    if not kr:
        raise Http404
    history = _rows(
        "SELECT week, value, confidence, what_changed, next_steps, blockers FROM checkins_checkin"
        " WHERE key_result_id = %s ORDER BY week DESC",
        [pk],
    )
    work = _rows(
        "SELECT s.title, s.points, s.status FROM backlog_story s WHERE s.id IN"
        " (SELECT story_id FROM backlog_storylink WHERE key_result_id = %s) OR s.epic_id IN"
        " (SELECT epic_id FROM backlog_epiclink WHERE key_result_id = %s)",
        [pk, pk],
    )
    return _html("KR floor", [_table(kr), _table(history), _table(work)])


@login_required
def backlog(request: HttpRequest, pk: int) -> HttpResponse:
    stories = _rows(
        "SELECT s.id, s.title, s.points, s.status, s.rank, e.title, sp.name FROM backlog_story s"
        " LEFT JOIN backlog_epic e ON e.id = s.epic_id LEFT JOIN backlog_sprint sp ON sp.id = s.sprint_id"
        " WHERE s.team_id = %s AND s.status <> 'done' ORDER BY s.rank, s.id LIMIT 50",
        [pk],
    )
    ids = [r[0] for r in stories]
    chips = _rows(
        "SELECT l.story_id, k.title, l.impact_share FROM backlog_storylink l"
        " JOIN objectives_keyresult k ON k.id = l.key_result_id WHERE l.story_id = ANY(%s)"
        " UNION ALL SELECT s.id, k.title, e.impact_share FROM backlog_story s"
        " JOIN backlog_epiclink e ON e.epic_id = s.epic_id JOIN objectives_keyresult k ON k.id = e.key_result_id"
        " WHERE s.id = ANY(%s)",
        [ids, ids],
    )
    return _html("Backlog floor", [_table(stories), _table(chips)])


@login_required
def coverage(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    rows = _rows(
        "WITH RECURSIVE chain AS ("
        " SELECT o.id, o.team_id, o.parent_id, o.value_dimension_id AS dimension"
        " FROM objectives_objective o JOIN objectives_cycle c ON c.id = o.cycle_id"
        " WHERE o.organisation_id = %s AND c.state = 'active' AND o.visibility <> 'private' UNION ALL"
        " SELECT chain.id, chain.team_id, p.parent_id, p.value_dimension_id FROM chain"
        " JOIN objectives_objective p ON p.id = chain.parent_id WHERE chain.dimension IS NULL)"
        " SELECT d.name, chain.team_id, count(DISTINCT chain.id) FROM chain"
        " JOIN objectives_valuedimension d ON d.id = chain.dimension GROUP BY d.name, chain.team_id",
        [org],
    )
    return _html("Coverage floor", [_table(rows)])


API_FIELDS = (
    *("id", "objective", "title", "kind", "start", "target", "current", "progress", "confidence", "status"),
    *("weight", "owner"),
)


@login_required
def api_key_results(request: HttpRequest) -> JsonResponse:
    org = _org(request)
    rows = _rows(
        "SELECT k.id, k.objective_id, k.title, k.kind, k.start_value, k.target_value, k.current_value,"
        " k.progress, k.confidence, k.status, k.weight, k.owner_id"
        " FROM objectives_keyresult k JOIN objectives_objective o ON o.id = k.objective_id"
        " JOIN objectives_cycle c ON c.id = o.cycle_id"
        " WHERE o.organisation_id = %s AND c.state = 'active' AND o.visibility <> 'private' ORDER BY k.id LIMIT 50",
        [org],
    )
    return JsonResponse({"results": [dict(zip(API_FIELDS, row, strict=True)) for row in rows]})


@login_required
@require_POST
def checkin(request: HttpRequest, pk: int) -> HttpResponse:
    org = _org(request)
    week = _week_start(timezone.localdate())
    value = float(request.POST.get("value", "0"))
    confidence = float(request.POST.get("confidence", "0.5"))
    with transaction.atomic():
        _rows(
            "INSERT INTO checkins_checkin (organisation_id, key_result_id, week, value, confidence, what_changed,"
            " next_steps, blockers, created_at, updated_at) VALUES (%s, %s, %s, %s, %s, '', '', '', now(), now())"
            " ON CONFLICT (key_result_id, week) DO UPDATE SET value = EXCLUDED.value,"
            " confidence = EXCLUDED.confidence, updated_at = now() RETURNING id",
            [org, pk, week, value, confidence],
        )
        _execute(
            "UPDATE objectives_keyresult SET current_value = %s, confidence = %s, last_checkin_at = now()"
            " WHERE id = %s AND organisation_id = %s",
            [value, confidence, pk, org],
        )
    return HttpResponse(f"<tr><td>{escape(str(value))}</td><td>{escape(str(confidence))}</td></tr>")


urlpatterns = [
    path("cascade/", cascade),
    path("heatmap/", heatmap),
    path("teams/<int:pk>/", team_page),
    path("my-week/", my_week),
    path("key-results/<int:pk>/", key_result),
    path("backlog/<int:pk>/", backlog),
    path("coverage/", coverage),
    path("api/key-results/", api_key_results),
    path("check-ins/<int:pk>/", checkin),
]
