"""A cycle's OKRs as JSON, out and in, in the seed's shape extended:

    [{"objective": "Customers love paying us", "description": "", "team": "Checkout" | null,
      "owner": "ada@example.com", "visibility": "company", "state": "active", "stretch": false,
      "key_results": [{"metric": "p95 latency", "kind": "metric", "start": 800, "target": 300,
                       "current": 550, "unit": "ms", "owner": "ada@example.com", "weight": 1,
                       "stretch": true}]}]

A guardrail carries "bound" and "keep" ("above" / "below") instead of start and target; a
milestone carries "done". The import is all or nothing: every row is checked first, and the answer
lists each bad row's field with its message (``0.key_results.1.target``); nothing is written then.
"""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from objectives.models import Cycle, CycleState, Objective, ObjectiveState, Visibility
from objectives.progress import Bound, Kind
from objectives.services.goals import check_key_result, key_result_create, objective_create
from objectives.visibility import visible_objectives
from okrapp.http import Viewer
from okrapp.models import Membership, Team

MAX_ROWS = 500
MAX_NUMBER = 1e12
MAX_KEY_RESULTS = 50


def cycle_export(viewer: Viewer, cycle: Cycle) -> list[dict[str, Any]]:
    """The cycle's objectives the viewer may see, with their key results (three queries)."""
    objectives = (
        visible_objectives(viewer)
        .filter(cycle=cycle)
        .select_related("team", "owner__user")
        .prefetch_related("key_results__owner__user")
        .order_by("team__name", "title", "pk")
    )
    rows = []
    for o in objectives:
        rows.append(
            {
                "objective": o.title,
                "description": o.description,
                "team": o.team.name if o.team else None,
                "owner": o.owner.user.email,
                "visibility": o.visibility,
                "state": o.state,
                "stretch": o.stretch,
                "key_results": [_kr_row(kr) for kr in o.key_results.all()],
            }
        )
    return rows


def _kr_row(kr: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"metric": kr.title, "kind": kr.kind}
    if kr.kind == Kind.METRIC:
        row |= {"start": kr.start_value, "target": kr.target_value, "current": kr.current_value}
    elif kr.kind == Kind.GUARDRAIL:
        row |= {"bound": kr.bound, "keep": kr.bound_keep, "current": kr.current_value}
    else:
        row |= {"done": kr.done}
    return row | {
        "unit": kr.unit,
        "owner": kr.owner.user.email if kr.owner else None,
        "weight": kr.weight,
        "stretch": kr.stretch,
    }


def _number(value: Any, *, required: bool) -> tuple[float | None, str | None]:
    if value is None:
        return None, "Give a number." if required else None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None, "Give a finite number."
    if abs(value) > MAX_NUMBER:
        return None, "That number is too large for a key result."
    return float(value), None


def _text(row: dict[str, Any], name: str, *, limit: int, required: bool = False) -> tuple[str, str | None]:
    value = row.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        return "", "Give text."
    if required and not value.strip():
        return "", "This is needed."
    if len(value) > limit:
        return "", f"Keep it under {limit} characters."
    return value.strip(), None


def cycle_import(viewer: Viewer, cycle: Cycle, rows: Any) -> list[Objective]:
    """Create the rows' objectives and key results in ``cycle``, all or nothing. Raises a
    ValidationError whose keys are the bad fields' paths, or PermissionDenied for a row of a scope
    (a team, the company level) the viewer may not write objectives in."""
    if cycle.state == CycleState.CLOSED:
        raise ValidationError({"cycle": "That cycle is closed: import into a cycle in planning or active."})
    if not isinstance(rows, list) or not rows:
        raise ValidationError({"rows": "Send a JSON list of objectives, each with its key results."})
    if len(rows) > MAX_ROWS:
        raise ValidationError({"rows": f"At most {MAX_ROWS} objectives at once."})
    org = viewer.organisation_id
    teams = {t.name.casefold(): t for t in Team.objects.filter(organisation_id=org)}
    people = {m.user.email.casefold(): m for m in Membership.objects.filter(organisation_id=org).select_related("user")}
    errors: dict[str, str] = {}
    plans = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            errors[f"{i}"] = "Each row is an object with “objective” and “key_results”."
            continue
        plan, row_errors = _plan_objective(viewer, row, teams, people)
        errors |= {f"{i}.{field}": message for field, message in row_errors.items()}
        plans.append(plan)
    if errors:
        raise ValidationError(errors)
    created: list[Objective] = []
    with transaction.atomic():
        for plan in plans:
            krs = plan.pop("key_results")
            try:
                objective = objective_create(organisation=viewer.organisation, cycle=cycle, **plan)
                for kr in krs:
                    key_result_create(objective=objective, **kr)
            except ValidationError as error:  # a rule only the service knows: still all or nothing
                raise ValidationError({f"{len(created)}.{k}": v for k, v in error.message_dict.items()}) from error
            created.append(objective)
    return created


def _plan_objective(
    viewer: Viewer, row: dict[str, Any], teams: dict[str, Team], people: dict[str, Membership]
) -> tuple[dict[str, Any], dict[str, str]]:
    from objectives.access import can_write_in

    errors: dict[str, str] = {}
    title, error = _text(row, "objective", limit=200, required=True)
    if error:
        errors["objective"] = error
    description, error = _text(row, "description", limit=4000)
    if error:
        errors["description"] = error
    team = None
    team_name = row.get("team")
    if team_name is not None:
        team = teams.get(str(team_name).casefold()) if isinstance(team_name, str) else None
        if team is None:
            errors["team"] = "No team of that name here."
    if (team_name is None or team is not None) and not can_write_in(viewer, team):
        # A scope one may see but not write in answers 403, as creating the objective one by one would.
        where = team.name if team is not None else "the company level"
        raise PermissionDenied(f"You may not write objectives for {where}.")
    owner = people.get(str(row.get("owner") or viewer.user.email).casefold())
    if owner is None:
        errors["owner"] = "No person with that e-mail here."
    visibility = row.get("visibility") or Visibility.COMPANY
    if visibility not in Visibility.values:
        errors["visibility"] = "Choose company, team or private."
    state = row.get("state") or ObjectiveState.DRAFT
    if state not in ObjectiveState.values:
        errors["state"] = "Choose draft, active or closed."
    stretch = row.get("stretch", False)
    if not isinstance(stretch, bool):
        errors["stretch"] = "Give true or false."
    key_results = row.get("key_results", [])
    plans: list[dict[str, Any]] = []
    if not isinstance(key_results, list):
        errors["key_results"] = "Give a list of key results."
        key_results = []
    if len(key_results) > MAX_KEY_RESULTS:
        errors["key_results"] = f"At most {MAX_KEY_RESULTS} key results an objective."
        key_results = []
    for j, kr in enumerate(key_results):
        plan, kr_errors = _plan_key_result(kr, people)
        errors |= {f"key_results.{j}.{field}": message for field, message in kr_errors.items()}
        plans.append(plan)
    return {
        "team": team,
        "title": title,
        "description": description,
        "owner": owner,
        "visibility": visibility,
        "state": state,
        "stretch": stretch is True,
        "key_results": plans,
    }, errors


def _plan_key_result(row: Any, people: dict[str, Membership]) -> tuple[dict[str, Any], dict[str, str]]:
    if not isinstance(row, dict):
        return {}, {"metric": "Each key result is an object with “metric”, “target” and “current”."}
    errors: dict[str, str] = {}
    title, error = _text(row, "metric", limit=200, required=True)
    if error:
        errors["metric"] = error
    kind = row.get("kind") or Kind.METRIC
    if kind not in {k.value for k in Kind}:
        errors["kind"] = "Choose metric, guardrail or milestone."
        kind = Kind.METRIC
    unit, error = _text(row, "unit", limit=20)
    if error:
        errors["unit"] = error
    weight, error = _number(row.get("weight", 1), required=True)
    if error:
        errors["weight"] = error
    stretch = row.get("stretch", False)
    if not isinstance(stretch, bool):
        errors["stretch"] = "Give true or false."
    fields: dict[str, Any] = {
        "title": title,
        "kind": kind,
        "unit": unit,
        "weight": weight or 1.0,
        "stretch": stretch is True,
    }
    if kind == Kind.METRIC:
        for name, field, required in (
            ("start", "start_value", False),
            ("target", "target_value", True),
            ("current", "current_value", False),
        ):
            value, error = _number(row.get(name), required=required)
            if error:
                errors[name] = error
            fields[field] = value
        if fields["start_value"] is None:
            fields["start_value"] = fields["current_value"] if fields["current_value"] is not None else 0.0
    elif kind == Kind.GUARDRAIL:
        fields["bound"], error = _number(row.get("bound"), required=True)
        if error:
            errors["bound"] = error
        fields["bound_keep"] = row.get("keep")
        if fields["bound_keep"] not in (Bound.STAY_ABOVE, Bound.STAY_BELOW):
            errors["keep"] = "Choose above or below (the bound to stay above or below)."
        fields["current_value"], error = _number(row.get("current"), required=False)
        if error:
            errors["current"] = error
    else:
        done = row.get("done", False)
        if not isinstance(done, bool):
            errors["done"] = "Give true or false."
        fields["done"] = done is True
    owner_email = row.get("owner")
    if owner_email is not None:
        owner = people.get(str(owner_email).casefold())
        if owner is None:
            errors["owner"] = "No person with that e-mail here."
        fields["owner"] = owner
    if not errors:
        try:
            check_key_result(
                kind=kind,
                start_value=fields.get("start_value"),
                target_value=fields.get("target_value"),
                current_value=fields.get("current_value"),
                bound=fields.get("bound"),
                bound_keep=fields.get("bound_keep") or "",
                weight=fields["weight"],
            )
        except ValidationError as invalid:
            names = {"start_value": "start", "target_value": "target", "current_value": "current", "bound_keep": "keep"}
            errors |= {names.get(k, k): " ".join(v) for k, v in invalid.message_dict.items()}
    return fields, errors
