"""One search box over the whole organisation: objectives, key results, epics, stories, roadmap themes
and people, each kind through the same visibility rule as its lists.

Every query filters and ranks on ``okrapp.search_vectors.weighted_vector`` called with the same fields
as the model's GIN index (``objective_search`` …), so PostgreSQL answers from the index. The user's words
never reach PostgreSQL as syntax: only runs of letters and digits are kept, each becomes a prefix term
(``onb:*``) and the terms are joined with ``&`` (every word must match).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import Exists, Expression, OuterRef, Q, QuerySet
from django.urls import reverse

from backlog.models import Epic, Story, Theme
from objectives.models import KeyResult, Objective
from objectives.visibility import visible_key_results, visible_objectives
from okrapp.http import Viewer
from okrapp.models import TeamMembership, User
from okrapp.search_vectors import SEARCH_CONFIG, weighted_vector

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12  # more words than this narrow nothing further; they only make the query longer
DROPDOWN_LIMIT = 5  # per kind, under the frame's box
PAGE_LIMIT = 20  # per kind, on the results page

_WORD = re.compile(r"[^\W_]+")  # letters and digits: \w without the underscore PostgreSQL splits on


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search for",
        required=False,
        max_length=MAX_QUERY_LENGTH,
        error_messages={
            "max_length": "Search for at most %(limit_value)d characters (this has %(show_value)d): "
            "a few words of a title are enough."
        },
    )


def search_terms(text: str) -> list[str]:
    """The words of a query, lower-cased, without any punctuation: ``"p95 & (latency)*"`` → p95, latency.
    Quotes, backslashes, tsquery operators and regular-expression syntax are separators, never syntax."""
    return _WORD.findall(text.lower())[:MAX_TERMS]


def prefix_query(terms: list[str]) -> SearchQuery:
    """Every term as a prefix, all required. ``terms`` hold letters and digits only (``search_terms``)."""
    return SearchQuery(" & ".join(f"{term}:*" for term in terms), search_type="raw", config=SEARCH_CONFIG)


@dataclass(frozen=True)
class Hit:
    """One result: what it is, where it leads, and a short context line (team, cycle, owner…)."""

    title: str
    url: str
    context: list[str]
    status: str = ""  # an objective's or KR's status, shown as the status pill


@dataclass(frozen=True)
class Group:
    kind: str
    label: str
    hits: list[Hit]
    more: bool  # more matches than shown: the viewer should add a word


@dataclass(frozen=True)
class Results:
    terms: list[str]
    groups: list[Group] = field(default_factory=list)

    @property
    def found(self) -> list[Group]:
        return [group for group in self.groups if group.hits]

    @property
    def total(self) -> int:
        return sum(len(group.hits) for group in self.groups)


def _matching(queryset: QuerySet[Any], vector: Expression, query: SearchQuery) -> QuerySet:
    """Rows whose vector matches, best first. ``vector`` must be the index's expression."""
    return (
        queryset.alias(document=vector)
        .filter(document=query)
        .annotate(search_rank=SearchRank(vector, query))
        .order_by("-search_rank", "pk")
    )


def _owner(membership: Any) -> str:
    return f"Owner {membership.user}" if membership else "No owner"


def _team_name(team: Any) -> str:
    return team.name if team else "Company"


def objective_matches(viewer: Viewer, query: SearchQuery) -> QuerySet[Objective]:
    rows = _matching(visible_objectives(viewer), weighted_vector("title", "description"), query)
    return rows.select_related("team", "cycle", "owner__user")


def _objective_hit(o: Objective) -> Hit:
    context = [_team_name(o.team), o.cycle.name, _owner(o.owner)]
    return Hit(title=o.title, url=reverse("objective_detail", args=[o.pk]), context=context, status=o.status)


def key_result_matches(viewer: Viewer, query: SearchQuery) -> QuerySet[KeyResult]:
    """A key result is found exactly when its objective may be seen."""
    rows = _matching(visible_key_results(viewer), weighted_vector("title", "description"), query)
    return rows.select_related("objective__team", "objective__cycle", "owner__user")


def _key_result_hit(kr: KeyResult) -> Hit:
    o = kr.objective
    context = [o.title, _team_name(o.team), o.cycle.name, _owner(kr.owner)]
    return Hit(title=kr.title, url=reverse("key_result_detail", args=[kr.pk]), context=context, status=kr.status)


def _work_items(viewer: Viewer, model: type[Epic] | type[Story]) -> QuerySet[Any]:
    """Work is not private: the organisation's items, a guest's own teams' only (backlog/access.py)."""
    items = model.objects.filter(organisation_id=viewer.organisation_id)
    return items.filter(team_id__in=list(viewer.team_roles)) if viewer.is_guest_only else items


def epic_matches(viewer: Viewer, query: SearchQuery) -> QuerySet[Epic]:
    rows = _matching(_work_items(viewer, Epic), weighted_vector("title", "context", "my_intent"), query)
    return rows.select_related("team", "owner__user")


def _epic_hit(e: Epic) -> Hit:
    context = [e.team.name, e.get_status_display(), _owner(e.owner)]
    return Hit(title=e.title, url=reverse("epic_detail", args=[e.pk]), context=context)


def story_matches(viewer: Viewer, query: SearchQuery) -> QuerySet[Story]:
    rows = _matching(_work_items(viewer, Story), weighted_vector("title", "description"), query)
    return rows.select_related("team", "epic", "assignee__user")


def _story_hit(s: Story) -> Hit:
    context = [s.team.name, s.get_status_display(), f"Assigned to {s.assignee.user}" if s.assignee else "Not assigned"]
    if s.epic:
        context.append(f"Epic {s.epic.title}")
    return Hit(title=s.title, url=reverse("story_edit", args=[s.pk]), context=context)


def theme_matches(viewer: Viewer, query: SearchQuery) -> QuerySet[Theme]:
    """The roadmap is the whole organisation's (guests included, as the roadmap page shows it)."""
    themes = Theme.objects.filter(organisation_id=viewer.organisation_id)
    return _matching(themes, weighted_vector("title", "description"), query)


def _theme_hit(t: Theme) -> Hit:
    url = f"{reverse('roadmap')}#theme-{t.pk}"
    return Hit(title=t.title, url=url, context=["Roadmap", f"Lane {t.get_lane_display()}"])


def person_matches(viewer: Viewer, query: SearchQuery) -> QuerySet[User]:
    """Active members of the viewer's organisation; a guest finds the people of their own teams (and
    themselves), as the people pages let them see (okrapp/access.py)."""
    users = User.objects.filter(
        is_active=True, membership__organisation_id=viewer.organisation_id, membership__deactivated_at__isnull=True
    )
    if viewer.is_guest_only:
        teams = list(viewer.team_roles)
        shares_a_team = TeamMembership.objects.filter(membership__user=OuterRef("pk"), team_id__in=teams)
        users = users.filter(Q(pk=viewer.user.pk) | Exists(shares_a_team))
    return _matching(users, weighted_vector("full_name", "email"), query).select_related("membership")


def _person_hit(u: User) -> Hit:
    context = [u.membership.job_title, u.email] if u.membership.job_title else [u.email]
    return Hit(title=str(u), url=reverse("person_detail", args=[u.membership.pk]), context=context)


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    matches: Callable[[Viewer, SearchQuery], QuerySet[Any]]
    hit: Callable[[Any], Hit]


KINDS = (
    Kind("objective", "Objectives", objective_matches, _objective_hit),
    Kind("key_result", "Key results", key_result_matches, _key_result_hit),
    Kind("epic", "Epics", epic_matches, _epic_hit),
    Kind("story", "Stories", story_matches, _story_hit),
    Kind("theme", "Themes", theme_matches, _theme_hit),
    Kind("person", "People", person_matches, _person_hit),
)


def search(viewer: Viewer, text: str, *, limit: int) -> Results:
    """What ``viewer`` may see that matches every word of ``text`` (as prefixes), best first, at most
    ``limit`` per kind. One query per kind; none when the text holds no word."""
    terms = search_terms(text)
    if not terms:
        return Results(terms=[])
    query = prefix_query(terms)
    groups = []
    for kind in KINDS:
        rows = list(kind.matches(viewer, query)[: limit + 1])  # one more than shown: are there more?
        hits = [kind.hit(row) for row in rows[:limit]]
        groups.append(Group(kind=kind.name, label=kind.label, hits=hits, more=len(rows) > limit))
    return Results(terms=terms, groups=groups)
