"""Reads of the change history: the timeline of an objective or a key result, for people.

Each entry says when, who ("the app" for jobs and commands), what and, per field, old → new, newest
first. The previous value of each field comes from the database (``LAG`` over the object's events),
so one query per event table reads a page of entries with their diffs, whatever the history's length;
names (people, objectives, stories, epics) are read once per kind. Objectives named in an entry show
only if the viewer may see them; a story or epic of a team a guest may not see stays unnamed.

The lists people keep (an objective's contributions and themes; a key result's contributors, key
failure indicators, contributing objectives and sprints focused on it) read as "added …" and
"removed …" entries: one query for all of a page's lists. A name the viewer may not see stays unnamed
(a key result, a health metric, a sprint of a team a guest may not see), and another objective's
contribution to a key result shows only to those who may see that objective: it is its history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import BigIntegerField, CharField, F, OuterRef, QuerySet, Subquery, Value, Window
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Lag

from backlog.access import can_see_team
from backlog.models import Epic, Sprint, Story, Theme
from checkins.weeks import week_label
from history.models import (
    CheckInEvent,
    ContributionEvent,
    ContributorEvent,
    EpicLinkEvent,
    KeyResultEvent,
    KfiEvent,
    ObjectiveEvent,
    SprintFocusEvent,
    StoryLinkEvent,
    ThemeObjectiveEvent,
)
from objectives.access_health import health_metric_visibility
from objectives.models import (
    KIND_CHOICES,
    HealthMetric,
    KeyResult,
    Measure,
    Objective,
    ObjectiveState,
    ValueDimension,
    Visibility,
)
from objectives.progress import Bound
from objectives.templatetags.okr_tags import number, percent
from objectives.visibility import visible_key_results, visible_objectives
from okrapp.http import Viewer
from okrapp.models import User

HISTORY_LIMIT = 50  # entries on a page; older ones stay recorded
SHOWN_CHARACTERS = 200  # of a long text in an entry
BASELINE = "baseline"  # the snapshot taken when history began: the "before" of the first change
THE_APP = "The app"  # who wrote when no one was signed in: jobs, commands, imports


@dataclass(frozen=True)
class Change:
    """One field of an entry. ``old`` is None when there was no earlier value to show (created)."""

    label: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class Entry:
    at: datetime
    who: str
    by_app: bool
    summary: str  # "changed the key result", "checked in for W47 · Mon 16 Nov", "linked story “…”"
    changes: tuple[Change, ...] = ()
    order: tuple[Any, ...] = field(default=(), compare=False, repr=False)


@dataclass
class Timeline:
    entries: list[Entry]
    more: bool  # older entries exist beyond the ones shown


# --- What each field is called and how its values read -----------------------------------------------

PLAIN, UNIT, CONFIDENCE, TEXT, YES_NO, CHOICE, PERSON, OBJECTIVE, DIMENSION = range(9)

OBJECTIVE_SPEC: dict[str, tuple[str, int, Mapping[str, str] | None]] = {
    "title": ("Title", TEXT, None),
    "description": ("Why it matters", TEXT, None),
    "owner": ("Owner", PERSON, None),
    "visibility": ("Who can see it", CHOICE, dict(Visibility.choices)),
    "state": ("State", CHOICE, dict(ObjectiveState.choices)),
    "parent": ("Aligned to", OBJECTIVE, None),
    "value_dimension": ("Value dimension", DIMENSION, None),
}
KEY_RESULT_SPEC: dict[str, tuple[str, int, Mapping[str, str] | None]] = {
    "objective": ("Objective", OBJECTIVE, None),
    "title": ("Title", TEXT, None),
    "description": ("Notes", TEXT, None),
    "kind": ("Kind", CHOICE, dict(KIND_CHOICES)),
    "owner": ("Owner", PERSON, None),
    "weight": ("Weight", PLAIN, None),
    "measure": ("Measure", CHOICE, dict(Measure.choices)),
    "stretch": ("Stretch goal", YES_NO, None),
    "unit": ("Unit", TEXT, None),
    "start_value": ("Start", UNIT, None),
    "target_value": ("Target", UNIT, None),
    "bound": ("Bound", UNIT, None),
    "bound_keep": ("Keep it", CHOICE, {Bound.STAY_ABOVE.value: "At or above", Bound.STAY_BELOW.value: "At or below"}),
    "progress_from_aligned": ("Progress from aligned objectives", YES_NO, None),
    "grade": ("Grade", PLAIN, None),
    "grade_reason": ("Why this grade", TEXT, None),
}
CHECKIN_SPEC: dict[str, tuple[str, int, Mapping[str, str] | None]] = {
    "value": ("Value", UNIT, None),
    "done": ("Done", YES_NO, None),
    "confidence": ("Confidence", CONFIDENCE, None),
    "what_changed": ("What changed", TEXT, None),
    "next_steps": ("Next steps", TEXT, None),
    "blockers": ("Blockers", TEXT, None),
}
LINK_SPEC: dict[str, tuple[str, int, Mapping[str, str] | None]] = {
    "impact_share": ("Impact", PLAIN, None),  # read together with the amount, as one impact
    "impact_amount": ("Impact", PLAIN, None),
    "note": ("Note", TEXT, None),
}


@dataclass
class _Row:
    """One event with its previous state (None: no earlier event of the object)."""

    source: int  # which table, to order events of one transaction
    pk: int
    at: datetime
    label: str
    user_id: int | None  # None: written by the app (no one signed in)
    user_name: str | None
    now: dict[str, Any]
    was: dict[str, Any] | None


def _read(queryset: QuerySet[Any], fields: Iterable[str], source: int) -> tuple[list[_Row], bool]:
    """The newest events of ``queryset`` with each field's previous value and the writer's name (one
    query: the previous values are the database's ``LAG`` over each object's events)."""
    model = queryset.model
    attnames = {name: model._meta.get_field(name).attname for name in fields}

    def previous(column: str) -> Window:
        return Window(Lag(column), partition_by=[F("pgh_obj_id")], order_by=F("pgh_id").asc())

    windows: dict[str, Any] = {"was_pgh_id": previous("pgh_id")}
    windows |= {f"was_{name}": previous(attname) for name, attname in attnames.items()}
    events = list(
        queryset.only("pgh_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "pgh_context_id", *attnames.values())
        .annotate(who_id=Cast(KeyTextTransform("user", "pgh_context__metadata"), BigIntegerField()))
        .annotate(who=Subquery(User.objects.filter(pk=OuterRef("who_id")).values("full_name")[:1]), **windows)
        .order_by("-pgh_id")[: HISTORY_LIMIT + 1]
    )
    rows = []
    for event in events[:HISTORY_LIMIT]:
        rows.append(
            _Row(
                source=source,
                pk=event.pgh_id,
                at=event.pgh_created_at,
                label=event.pgh_label,
                user_id=event.who_id,
                user_name=event.who,
                now={name: getattr(event, attname) for name, attname in attnames.items()},
                was=None if event.was_pgh_id is None else {name: getattr(event, f"was_{name}") for name in attnames},
            )
        )
    return rows, len(events) > HISTORY_LIMIT


# The lists, by the kind of their rows: (what an added row reads as, what a removed one reads as), each
# with {name} for what the row names on the other side.
CONTRIBUTES_TO, THEME, CONTRIBUTOR, KFI, CONTRIBUTING, FOCUS = (
    "contributes_to",
    "theme",
    "contributor",
    "kfi",
    "contributing",
    "focus",
)
LIST_SUMMARIES = {
    CONTRIBUTES_TO: ("added a contribution to {name}", "removed the contribution to {name}"),
    THEME: ("added it to {name}", "removed it from {name}"),
    CONTRIBUTOR: ("added {name}", "removed {name}"),
    KFI: ("added {name}", "removed {name}"),
    CONTRIBUTING: ("added the contribution of {name}", "removed the contribution of {name}"),
    FOCUS: ("added it to the focus of {name}", "removed it from the focus of {name}"),
}


@dataclass(frozen=True)
class _ListRow:
    """A row added to a list or removed from it: ``ref`` is the id it names on the other side."""

    kind: str
    pk: int
    at: datetime
    label: str
    ref: int
    user_id: int | None
    user_name: str | None
    source: int  # which part of the page's history, to order events of one transaction


def _read_lists(parts: Iterable[tuple[str, QuerySet[Any], str]], source: int) -> tuple[list[_ListRow], bool]:
    """The newest rows added to or removed from these lists, each part (kind, its events, the column
    naming the other side), in one query: a union of the lists' event tables."""
    queries = [
        events.annotate(
            kind=Value(kind, output_field=CharField()),
            ref=F(column),
            who_id=Cast(KeyTextTransform("user", "pgh_context__metadata"), BigIntegerField()),
        )
        .annotate(who=Subquery(User.objects.filter(pk=OuterRef("who_id")).values("full_name")[:1]))
        .values("kind", "pgh_id", "pgh_created_at", "pgh_label", "ref", "who_id", "who")
        for kind, events, column in parts
    ]
    first, *rest = queries
    rows = list(first.union(*rest, all=True).order_by("-pgh_created_at", "-pgh_id")[: HISTORY_LIMIT + 1])
    found = [
        _ListRow(
            kind=row["kind"],
            pk=row["pgh_id"],
            at=row["pgh_created_at"],
            label=row["pgh_label"],
            ref=row["ref"],
            user_id=row["who_id"],
            user_name=row["who"],
            source=source,
        )
        for row in rows[:HISTORY_LIMIT]
    ]
    return found, len(rows) > HISTORY_LIMIT


def _list_names(viewer: Viewer, rows: list[_ListRow]) -> dict[tuple[str, int], str]:
    """What each row names, as people read it, for the viewer: one query per kind of name needed."""
    ids: dict[str, set[int]] = {}
    for row in rows:
        ids.setdefault(row.kind, set()).add(row.ref)
    org = viewer.organisation_id
    found: dict[tuple[str, int], str] = {}

    def named(kind: str, pairs: Iterable[tuple[int, str]], template: str) -> None:
        found.update({(kind, pk): template.format(_short(title)) for pk, title in pairs})

    if CONTRIBUTES_TO in ids:
        krs = visible_key_results(viewer).filter(pk__in=ids[CONTRIBUTES_TO]).values_list("pk", "title")
        named(CONTRIBUTES_TO, krs, "the key result “{}”")
    if THEME in ids:
        themes = Theme.objects.filter(organisation_id=org, pk__in=ids[THEME]).values_list("pk", "title")
        named(THEME, themes, "the theme “{}”")
    if CONTRIBUTOR in ids:
        people = User.objects.filter(membership__organisation_id=org, membership__pk__in=ids[CONTRIBUTOR])
        named(CONTRIBUTOR, people.values_list("membership__pk", "full_name"), "the contributor {}")
    if KFI in ids:
        metrics = HealthMetric.objects.filter(health_metric_visibility(viewer), pk__in=ids[KFI])
        named(KFI, metrics.values_list("pk", "name"), "the key failure indicator “{}”")
    if CONTRIBUTING in ids:
        objectives = visible_objectives(viewer).filter(pk__in=ids[CONTRIBUTING]).values_list("pk", "title")
        named(CONTRIBUTING, objectives, "the objective “{}”")
    if FOCUS in ids:
        for pk, name, team_id in Sprint.objects.filter(organisation_id=org, pk__in=ids[FOCUS]).values_list(
            "pk", "name", "team_id"
        ):
            found[(FOCUS, pk)] = (
                f"sprint “{_short(name)}”" if can_see_team(viewer, team_id) else "a sprint you cannot see"
            )
    return found


UNNAMED = {
    CONTRIBUTES_TO: "a key result you cannot see",
    THEME: "a theme since deleted",
    CONTRIBUTOR: "a contributor who has since left",
    KFI: "a key failure indicator you cannot see",
    CONTRIBUTING: "an objective since deleted",  # the ones the viewer may not see are left out
    FOCUS: "a sprint since deleted",
}


def _list_entries(viewer: Viewer, rows: list[_ListRow]) -> list[Entry]:
    names = _list_names(viewer, rows)
    entries = []
    for row in rows:
        added, removed = LIST_SUMMARIES[row.kind]
        name = names.get((row.kind, row.ref), UNNAMED[row.kind])
        summary = (added if row.label == "insert" else removed).format(name=name)
        if row.user_id is None:
            who, by_app = THE_APP, True
        else:
            who, by_app = row.user_name or "A former member", False
        entries.append(Entry(at=row.at, who=who, by_app=by_app, summary=summary, order=(row.at, row.source, row.pk)))
    return entries


@dataclass
class _Names:
    """Every name the entries need, read once per kind."""

    people: dict[int, str] = field(default_factory=dict)  # membership id → name
    objectives: dict[int, str] = field(default_factory=dict)  # visible ones only
    dimensions: dict[int, str] = field(default_factory=dict)
    stories: dict[int, str | None] = field(default_factory=dict)  # None: not the viewer's to see
    epics: dict[int, str | None] = field(default_factory=dict)


def _ids(rows: Iterable[_Row], *names: str, changed_only: bool = False) -> set[int]:
    """The ids these fields name in these events (with ``changed_only``, only where the value changed:
    an entry shows nothing else)."""
    found: set[int] = set()
    for row in rows:
        for name in names:
            now, was = row.now.get(name), (row.was or {}).get(name)
            if changed_only and row.was is not None and now == was:
                continue
            found.update(v for v in (now, was) if v is not None)
    return found


def _names(viewer: Viewer, rows: list[_Row]) -> _Names:
    """The names of what the entries show (only changes show people, objectives, dimensions; a
    creation shows none): one query per kind that is needed."""
    names = _Names()
    changed = [r for r in rows if r.label == "update"]
    people = _ids(changed, "owner", changed_only=True)
    if people:
        names.people = dict(User.objects.filter(membership__pk__in=people).values_list("membership__pk", "full_name"))
    objective_ids = _ids(changed, "parent", "objective", changed_only=True)
    if objective_ids:
        names.objectives = dict(visible_objectives(viewer).filter(pk__in=objective_ids).values_list("pk", "title"))
    dimension_ids = _ids(changed, "value_dimension", changed_only=True)
    if dimension_ids:
        names.dimensions = dict(
            ValueDimension.objects.filter(organisation_id=viewer.organisation_id, pk__in=dimension_ids).values_list(
                "pk", "name"
            )
        )
    for kind, model, target in (("story", Story, names.stories), ("epic", Epic, names.epics)):
        ids = _ids(rows, kind)
        if ids:
            for pk, title, team_id in model.objects.filter(
                organisation_id=viewer.organisation_id, pk__in=ids
            ).values_list("pk", "title", "team_id"):
                target[pk] = title if can_see_team(viewer, team_id) else None
    return names


def _short(text: str) -> str:
    text = text.strip()
    return text if len(text) <= SHOWN_CHARACTERS else text[: SHOWN_CHARACTERS - 1] + "…"


def _show(value: Any, kind: int, choices: Mapping[str, str] | None, names: _Names, unit: str) -> str:
    """A stored value as people read it ('—' for none)."""
    if value is None or value == "":
        return "—"
    if kind == UNIT:
        return number(value, unit)
    if kind == CONFIDENCE:
        return f"{value:.2f}".rstrip("0").rstrip(".") if round(value, 1) != round(value, 2) else f"{value:.1f}"
    if kind == YES_NO:
        return "Yes" if value else "No"
    if kind == CHOICE:
        return (choices or {}).get(value, str(value))
    if kind == PERSON:
        return names.people.get(value, "a former member")
    if kind == OBJECTIVE:
        return names.objectives.get(value, "an objective you cannot see")
    if kind == DIMENSION:
        return names.dimensions.get(value, "a removed dimension")
    if isinstance(value, float):
        return number(value)
    if isinstance(value, date):
        return week_label(value)
    return _short(str(value))


def _impact(state: Mapping[str, Any], unit: str) -> str:
    if state.get("impact_share") is not None:
        return f"{percent(state['impact_share'])} of it"
    if state.get("impact_amount") is not None:
        return number(state["impact_amount"], unit)
    return "—"


def _changes(
    row: _Row,
    spec: Mapping[str, tuple[str, int, Mapping[str, str] | None]],
    names: _Names,
    *,
    unit: str = "",
    created: bool = False,
) -> tuple[Change, ...]:
    """Old → new of each field that changed; for a creation (or an event with no earlier one), the
    values given."""
    changes: list[Change] = []
    impact_done = False
    for name, (label, kind, choices) in spec.items():
        if name.startswith("impact_"):
            if impact_done:
                continue
            impact_done = True
            new = _impact(row.now, unit)
            old = None if created or row.was is None else _impact(row.was, unit)
        else:
            new = _show(row.now[name], kind, choices, names, unit)
            old = None if created or row.was is None else _show(row.was[name], kind, choices, names, unit)
        if old is None and new == "—":
            continue  # nothing given
        if old == new:
            continue  # unchanged, or a change too small to show (a float's last digits)
        changes.append(Change(label, old, new))
    return tuple(changes)


def _entry(row: _Row, summary: str, changes: tuple[Change, ...] = ()) -> Entry:
    if row.user_id is None:
        who, by_app = THE_APP, True
    else:
        who, by_app = row.user_name or "A former member", False
    return Entry(
        at=row.at, who=who, by_app=by_app, summary=summary, changes=changes, order=(row.at, row.source, row.pk)
    )


def _own_entries(
    rows: list[_Row], names: _Names, spec: Mapping[str, tuple[str, int, Mapping[str, str] | None]], noun: str, unit: str
) -> list[Entry]:
    entries = []
    for row in rows:
        if row.label == "insert":
            entries.append(_entry(row, f"created the {noun}"))
        elif row.label == "delete":
            entries.append(_entry(row, f"deleted the {noun}"))
        elif row.label == "update":
            changes = _changes(row, spec, names, unit=unit)
            if changes:
                entries.append(_entry(row, f"changed the {noun}", changes))
    return entries


def _newest(entries: list[Entry], *mores: bool) -> Timeline:
    entries.sort(key=lambda e: e.order, reverse=True)
    return Timeline(entries=entries[:HISTORY_LIMIT], more=any(mores) or len(entries) > HISTORY_LIMIT)


def _objective(state: Mapping[str, Any], names: _Names) -> str:
    """“Its title”, or words that name no objective the viewer may not see."""
    title = names.objectives.get(state["objective"])
    return f"the objective “{_short(title)}”" if title is not None else "an objective you cannot see"


def objective_timeline(viewer: Viewer, objective: Objective) -> Timeline:
    """The objective's own changes, and the key results added to it, removed, or moved in or out (moved
    to another objective, or promoted to one of their own): two queries, plus one per kind of name
    (people, objectives, value dimensions)."""
    own, more_own = _read(ObjectiveEvent.objects.filter(pgh_obj_id=objective.pk), OBJECTIVE_SPEC, source=1)
    # Every event of the KRs that were ever here, so each one's previous objective is known (LAG).
    ever_here = KeyResultEvent.objects.filter(objective_id=objective.pk).values("pgh_obj_id")
    krs, more_krs = _read(KeyResultEvent.objects.filter(pgh_obj_id__in=ever_here), ["title", "objective"], 2)
    lists, more_lists = _read_lists(
        [
            (CONTRIBUTES_TO, ContributionEvent.objects.filter(objective_id=objective.pk), "keyresult_id"),
            (THEME, ThemeObjectiveEvent.objects.filter(objective_id=objective.pk), "theme_id"),
        ],
        source=3,
    )
    names = _names(viewer, own + krs)
    entries = _own_entries(own, names, OBJECTIVE_SPEC, "objective", "")
    for row in krs:
        title = _short(row.now["title"])
        here, was_here = row.now["objective"] == objective.pk, (row.was or {}).get("objective") == objective.pk
        if row.label == "insert" and here:
            entries.append(_entry(row, f"added the key result “{title}”"))
        elif row.label == "delete" and here:
            entries.append(_entry(row, f"removed the key result “{title}”"))
        elif row.label == "update" and here and row.was is not None and not was_here:
            entries.append(_entry(row, f"moved the key result “{title}” here from {_objective(row.was, names)}"))
        elif row.label == "update" and was_here and not here:
            entries.append(_entry(row, f"moved the key result “{title}” to {_objective(row.now, names)}"))
    entries += _list_entries(viewer, lists)
    return _newest(entries, more_own, more_krs, more_lists)


def _link_summary(row: _Row, noun: str, titles: Mapping[int, str | None], ref: int) -> str:
    if ref not in titles:
        what = f"a {noun} since deleted"
    else:
        title = titles[ref]
        what = f"{noun} “{_short(title)}”" if title is not None else f"a {noun} you cannot see"
    return {"insert": f"linked {what}", "delete": f"unlinked {what}"}.get(row.label, f"changed the link of {what}")


def key_result_timeline(viewer: Viewer, kr: KeyResult) -> Timeline:
    """The KR's definition changes, its check-ins (value, confidence, notes) and the links of stories
    and epics to it (added, changed, removed, with their impact): four queries, plus one per kind of
    name (people, objectives, stories, epics)."""
    own, more_own = _read(KeyResultEvent.objects.filter(pgh_obj_id=kr.pk), KEY_RESULT_SPEC, source=1)
    checkins, more_checkins = _read(CheckInEvent.objects.filter(key_result_id=kr.pk), ["week", *CHECKIN_SPEC], source=2)
    story_links, more_stories = _read(StoryLinkEvent.objects.filter(key_result_id=kr.pk), ["story", *LINK_SPEC], 3)
    epic_links, more_epics = _read(EpicLinkEvent.objects.filter(key_result_id=kr.pk), ["epic", *LINK_SPEC], 4)
    lists, more_lists = _read_lists(
        [
            (CONTRIBUTOR, ContributorEvent.objects.filter(keyresult_id=kr.pk), "membership_id"),
            (KFI, KfiEvent.objects.filter(keyresult_id=kr.pk), "healthmetric_id"),
            # Another objective's contribution is its own history: shown only to those who may see it.
            (
                CONTRIBUTING,
                ContributionEvent.objects.filter(
                    keyresult_id=kr.pk, objective_id__in=visible_objectives(viewer).values("pk")
                ),
                "objective_id",
            ),
            (FOCUS, SprintFocusEvent.objects.filter(keyresult_id=kr.pk), "sprint_id"),
        ],
        source=5,
    )
    names = _names(viewer, own + checkins + story_links + epic_links)
    unit = kr.unit
    entries = _own_entries(own, names, KEY_RESULT_SPEC, "key result", unit)
    for row in checkins:
        week = week_label(row.now["week"])
        if row.label == "delete":
            entries.append(_entry(row, f"removed the check-in of {week}"))
            continue
        created = row.label == "insert"
        changes = _changes(row, CHECKIN_SPEC, names, unit=unit, created=created)
        if created or changes:
            verb = "checked in for" if created else "changed the check-in of"
            entries.append(_entry(row, f"{verb} {week}", changes))
    for rows, noun, titles in ((story_links, "story", names.stories), (epic_links, "epic", names.epics)):
        for row in rows:
            summary = _link_summary(row, noun, titles, row.now[noun])
            if row.label == "delete":
                entries.append(_entry(row, summary))
                continue
            created = row.label == "insert"
            changes = _changes(row, LINK_SPEC, names, unit=unit, created=created)
            if created or changes:
                entries.append(_entry(row, summary, changes))
    entries += _list_entries(viewer, lists)
    return _newest(entries, more_own, more_checkins, more_stories, more_epics, more_lists)
