"""The demo company's backlog: a NOW/NEXT/LATER roadmap of themes linked to the objectives they serve,
epics with mission briefings linked to KRs with expected impacts, about 150 stories, and six two-week
sprints per delivery team (five closed, one active today) so velocity, burndown and coverage have a shape.

Called by ``manage.py load_demo`` after the OKRs exist (``objectives`` comes first in INSTALLED_APPS).
Idempotent: skipped once the organisation has a theme or a story. Dates are relative to ``today`` and a
fixed seed picks points, days and assignees, so the demo is the same on every machine on a given day.
Themes, epics, sprints and epic links go through ``backlog.services``; stories and their links are
bulk-created (one insert each instead of several hundred queries) after the checks those services make.
"""

from __future__ import annotations

import random
import zoneinfo
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction

from backlog import figures, ordering, selectors, services
from backlog import sprints as sprints_service
from backlog.demo_content import (
    EPICS,
    KANBAN_DONE,
    KANBAN_IN_PROGRESS,
    ORPHAN_GOAL,
    POINTS,
    SPRINT_DAYS,
    SPRINT_PLANS,
    STORIES,
    THEMES,
    UNESTIMATED_SHARE,
    Link,
)
from backlog.models import Epic, EpicLink, Lane, Sprint, SprintState, Story, StoryLink, StoryStatus, Theme
from objectives.models import CycleState, KeyResult, Objective
from okrapp.models import Membership, Organisation, Team, TeamRole


@dataclass
class Planned:
    """A story before it is saved: where it goes and in which state."""

    title: str
    epic: str | None
    links: tuple[Link, ...]
    points: float | None
    status: str = StoryStatus.TODO
    sprint: int | None = None  # index into the team's six sprints, oldest first
    done_on: date | None = None


@transaction.atomic
def load_demo(organisation: Organisation, *, today: date) -> str:
    org = organisation
    if Theme.objects.filter(organisation=org).exists() or Story.objects.filter(organisation=org).exists():
        return "Backlog: already loaded."
    rng = random.Random(6)  # noqa: S311 - demo data: the same backlog on every machine
    zone = zoneinfo.ZoneInfo(org.time_zone)
    teams = {t.name: t for t in Team.objects.filter(organisation=org)}
    people = {m.user.email.split("@")[0]: m for m in Membership.objects.filter(organisation=org).select_related("user")}
    krs = {kr.title: kr for kr in KeyResult.objects.filter(organisation=org).select_related("objective__cycle")}
    objectives = {o.title: o for o in Objective.objects.filter(organisation=org)}

    themes = {
        title: services.theme_save(
            organisation=org, title=title, lane=lane, description=text, objectives=[objectives[o] for o in served]
        )
        for title, lane, text, served in THEMES
    }
    epics: dict[str, Epic] = {}
    for spec in EPICS:
        team, theme, parent = teams[spec.team], themes.get(spec.theme or ""), epics.get(spec.parent or "")
        epic = services.epic_save(
            organisation=org,
            team=team,
            title=spec.title,
            theme=theme,
            parent=parent,
            owner=people[spec.owner],
            context=spec.context,
            higher_intent=spec.higher_intent or services.suggested_higher_intent(parent=parent, theme=theme, team=team),
            my_intent=spec.my_intent,
            key_implied_tasks=spec.key_implied_tasks,
            boundaries=spec.boundaries,
        )
        for kr_title, impact_share, impact_amount in spec.links:
            services.link_epic(epic=epic, key_result=krs[kr_title], share=impact_share, amount=impact_amount)
        epics[spec.key] = epic

    calendar = _sprint_calendar(today)
    stories: list[Story] = []
    story_links: list[tuple[Story, tuple[Link, ...]]] = []
    team_sprints: list[tuple[list[Sprint], list[Planned]]] = []
    for team_name, specs in STORIES.items():
        team = teams[team_name]
        crew = list(
            Membership.objects.filter(
                team_memberships__team=team, team_memberships__role__in=[TeamRole.LEAD, TeamRole.MEMBER]
            ).order_by("pk")
        )
        plan = _plan(rng, team_name, specs, calendar, today)
        sprints = _save_sprints(org, team, team_name, plan, calendar, krs) if team_name in SPRINT_PLANS else []
        team_sprints.append((sprints, plan))
        for rank, item in zip(ordering.fresh_ranks(len(plan)), plan, strict=True):
            done_at = None
            if item.done_on is not None:
                done_at = datetime.combine(item.done_on, time(rng.randint(9, 17), rng.choice((0, 15, 30, 45))), zone)
            story = Story(
                organisation=org,
                team=team,
                epic=epics[item.epic] if item.epic else None,
                sprint=sprints[item.sprint] if item.sprint is not None else None,
                title=item.title,
                points=item.points,
                status=item.status,
                done_at=done_at,
                assignee=rng.choice(crew) if item.status != StoryStatus.TODO or item.sprint is not None else None,
                rank=rank,
            )
            _check_story(story)
            stories.append(story)
            story_links.append((story, item.links))
    _give_member_open_stories(stories, people.get("member"))
    Story.objects.bulk_create(stories)
    links = StoryLink.objects.bulk_create(_story_links(story_links, krs))
    _backdate(rng, zone, today, epics=list(epics.values()), stories=stories, links=links)
    for sprints, plan in team_sprints:  # closed once their stories are in, as the sprints were
        _close_sprints(sprints, plan, calendar, zone)
        _sprint_lifecycle(rng, sprints, zone, today)

    coverage = selectors.coverage_of(selectors.open_stories().filter(organisation=org))
    lanes = Counter(theme.lane for theme in themes.values())
    return (
        f"Backlog: {len(themes)} themes ({lanes[Lane.NOW]} now, {lanes[Lane.NEXT]} next, {lanes[Lane.LATER]} later), "
        f"{len(epics)} epics, {len(stories)} stories, {sum(len(sprints) for sprints, _ in team_sprints)} sprints; "
        f"{coverage.linked} of {coverage.total} open stories serve a key result."
    )


MEMBER_OPEN_STORIES = 4  # what the demo member's My week lists under "My stories"


def _give_member_open_stories(stories: list[Story], member: Membership | None) -> None:
    """The demo's member (member@example.com) works on the first open stories of their team's active
    sprint, then of its backlog, so their My week has stories to show (in progress ones first)."""
    if member is None:
        return
    teams = set(member.team_memberships.filter(role=TeamRole.MEMBER).values_list("team_id", flat=True))
    open_work = [s for s in stories if s.team_id in teams and s.status != StoryStatus.DONE]
    open_work.sort(key=lambda s: (s.status != StoryStatus.IN_PROGRESS, s.sprint is None, s.rank))
    for story in open_work[:MEMBER_OPEN_STORIES]:
        story.assignee = member


def _backdate(
    rng: random.Random,
    zone: zoneinfo.ZoneInfo,
    today: date,
    *,
    epics: list[Epic],
    stories: list[Story],
    links: list[StoryLink],
) -> None:
    """Give the backlog a past, as if written over the cycle: epics and their links ten weeks ago, each
    story before its sprint started (or before it was done), some written or linked in the last week,
    so the coverage snapshots rebuilt from these dates move like a real team's."""

    def at(day: date) -> datetime:
        return datetime.combine(min(day, today), time(rng.randint(9, 17), rng.choice((0, 15, 30, 45))), zone)

    long_ago = today - timedelta(weeks=10)
    for epic in epics:
        epic.created_at = at(long_ago)
    Epic.objects.bulk_update(epics, ["created_at"])
    EpicLink.objects.filter(epic__in=epics).update(created_at=at(long_ago))
    written: dict[int, date] = {}
    for story in stories:
        if story.sprint is not None:
            day = story.sprint.start_date - timedelta(days=rng.randint(1, 10))
        elif story.done_at is not None:
            day = story.done_at.astimezone(zone).date() - timedelta(days=rng.randint(2, 12))
        else:  # the open backlog: mostly older, a few written this week
            day = today - timedelta(days=rng.randint(0, 6) if rng.random() < 0.15 else rng.randint(7, 60))
        written[story.pk] = day
        story.created_at = at(day)
    Story.objects.bulk_update(stories, ["created_at"], batch_size=500)
    for link in links:  # linked when written, or some days later (a few only this week)
        link.created_at = at(written[link.story_id] + timedelta(days=rng.choice((0, 0, 1, 3, 9))))
    StoryLink.objects.bulk_update(links, ["created_at"], batch_size=500)


def _sprint_calendar(today: date) -> list[tuple[date, date]]:
    """Six two-week sprints starting on Mondays, oldest first; the last contains today and has begun at
    least three days before it, so its burndown has a shape."""
    monday = today - timedelta(days=today.weekday())
    active_start = monday - timedelta(days=7) if today.weekday() < 3 else monday
    starts = [active_start - timedelta(days=SPRINT_DAYS * back) for back in range(5, -1, -1)]
    return [(start, start + timedelta(days=SPRINT_DAYS - 1)) for start in starts]


def _workdays(first: date, last: date) -> list[date]:
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return [d for d in days if d.weekday() < 5] or days


def _plan(
    rng: random.Random,
    team_name: str,
    specs: list[tuple[str, str | None, tuple[Link, ...]]],
    calendar: list[tuple[date, date]],
    today: date,
) -> list[Planned]:
    """Place a team's stories: the closed sprints' all done (what was left went back to the backlog), the
    active sprint's partly done on past days, in progress and to do; the rest unplanned, some unestimated."""
    plan = [Planned(title, epic, links, rng.choice(POINTS)) for title, epic, links in specs]
    if team_name not in SPRINT_PLANS:
        window = _workdays(today - timedelta(weeks=6), today - timedelta(days=1))
        days = sorted(rng.sample(window, KANBAN_DONE))
        for item, day in zip(plan[:KANBAN_DONE], days, strict=True):
            item.status, item.done_on = StoryStatus.DONE, day
        for item in plan[KANBAN_DONE : KANBAN_DONE + KANBAN_IN_PROGRESS]:
            item.status = StoryStatus.IN_PROGRESS
        rest = plan[KANBAN_DONE + KANBAN_IN_PROGRESS :]
    else:
        _, closed_sizes, active_size = SPRINT_PLANS[team_name]
        at = 0
        for index, size in enumerate(closed_sizes):
            for item in plan[at : at + size]:
                item.sprint, item.status = index, StoryStatus.DONE
                item.done_on = rng.choice(_workdays(*calendar[index]))
            at += size
        active = plan[at : at + active_size]
        done, in_progress = round(active_size * 0.4), round(active_size * 0.3)
        past = _workdays(calendar[-1][0], today - timedelta(days=1))
        for i, item in enumerate(active):
            item.sprint = len(closed_sizes)
            if i < done:
                item.status, item.done_on = StoryStatus.DONE, rng.choice(past)
            elif i < done + in_progress:
                item.status = StoryStatus.IN_PROGRESS
        rest = plan[at + active_size :]
    for item in rest:
        if rng.random() < UNESTIMATED_SHARE:
            item.points = None
    return plan


def _save_sprints(
    org: Organisation,
    team: Team,
    team_name: str,
    plan: list[Planned],
    calendar: list[tuple[date, date]],
    krs: dict[str, KeyResult],
) -> list[Sprint]:
    """The team's six sprints, each focused on the team's KRs its stories serve most (by points), with a
    goal naming its main epics' work."""
    first_number = SPRINT_PLANS[team_name][0]
    epic_specs = {spec.key: spec for spec in EPICS}
    sprints = []
    for index, (start, end) in enumerate(calendar):
        items = [item for item in plan if item.sprint == index]
        served: dict[str, float] = defaultdict(float)  # points per KR of the team's own objectives
        work: dict[str, float] = defaultdict(float)  # points per epic's goal
        for item in items:
            epic_links = epic_specs[item.epic].links if item.epic else ()
            for kr_title, _, _ in (*item.links, *epic_links):
                if krs[kr_title].objective.team_id == team.pk:
                    served[kr_title] += item.points or 1
            work[epic_specs[item.epic].goal if item.epic else ORPHAN_GOAL] += item.points or 1
        goal = " and ".join(_heaviest(work, 2))
        sprints.append(
            sprints_service.sprint_save(
                organisation=org,
                team=team,
                name=f"Sprint {first_number + index}",
                start_date=start,
                end_date=end,
                goal=goal[:1].upper() + goal[1:] + ".",
                focus_key_results=[krs[title] for title in _heaviest(served, 2)],
            )
        )
    return sprints


def _heaviest(weights: dict[str, float], n: int) -> list[str]:
    """The n keys of the largest weights; ties keep their first-seen order."""
    return sorted(weights, key=lambda key: -weights[key])[:n]


def _close_sprints(
    sprints: list[Sprint], plan: list[Planned], calendar: list[tuple[date, date]], zone: zoneinfo.ZoneInfo
) -> None:
    """All but the last sprint closed on the morning after their last day with the points of their done
    stories (what ``sprint_complete`` stores); the last one active."""
    if not sprints:
        return
    for index, sprint in enumerate(sprints[:-1]):
        done = [item for item in plan if item.sprint == index and item.status == StoryStatus.DONE]
        sprint.state = SprintState.CLOSED
        sprint.completed_points = float(sum(item.points or 0 for item in done))
        sprint.closed_at = datetime.combine(calendar[index][1] + timedelta(days=1), time(9, 30), zone)
    sprints[-1].state = SprintState.ACTIVE
    Sprint.objects.bulk_update(sprints, ["state", "completed_points", "closed_at"])


def _sprint_lifecycle(rng: random.Random, sprints: list[Sprint], zone: zoneinfo.ZoneInfo, today: date) -> None:
    """What ``sprint_start`` and ``sprint_add_stories`` record: each sprint started on its first morning
    with its stories entered the day before; in the active sprint the last two open stories came in
    after the start (scope added, the burndown steps up) and are not part of its commitment. Then one
    planned next sprint with a few stories of the top of the backlog."""
    if not sprints:
        return
    active = sprints[-1]
    scope_day = min(today, active.start_date + timedelta(days=2))
    added = list(active.stories.exclude(status=StoryStatus.DONE).order_by("-rank")[:2])
    for sprint in sprints:
        sprint.started_at = datetime.combine(sprint.start_date, time(9, 30), zone)
        entered = datetime.combine(sprint.start_date - timedelta(days=1), time(16, 0), zone)
        rows = list(sprint.stories.all())
        for story in rows:
            late = sprint is active and story in added
            story.sprint_added_at = datetime.combine(scope_day, time(11, 0), zone) if late else entered
        Story.objects.bulk_update(rows, ["sprint_added_at"])
        sprint.committed_points = float(sum(s.points or 0 for s in rows if s not in added))
    Sprint.objects.bulk_update(sprints, ["started_at", "committed_points"])
    following = sprints_service.sprint_save(
        organisation=active.organisation,
        team=active.team,
        name=sprints_service.following_name(active),
        start_date=active.end_date + timedelta(days=1),
        end_date=active.end_date + timedelta(days=SPRINT_DAYS),
        goal=active.goal,
        focus_key_results=active.focus_key_results.all(),
    )
    upcoming = list(
        Story.objects.filter(team=active.team, sprint=None).exclude(status=StoryStatus.DONE).order_by("rank")[:3]
    )
    sprints_service.sprint_add_stories(
        sprint=following, stories=upcoming, now=datetime.combine(today, time(8, rng.choice((0, 15, 30))), zone)
    )


def _check_story(story: Story) -> None:
    """What ``story_save`` and the model's constraints insist on, for rows that skip the service."""
    services.check_points(story.points)
    if (story.status == StoryStatus.DONE) != (story.done_at is not None):
        raise ValueError(f"{story.title}: done_at is set exactly when a story is done")
    if story.sprint is not None and story.sprint.team_id != story.team.pk:
        raise ValueError(f"{story.title}: a story's sprint belongs to its team")
    if story.epic is not None and story.epic.team_id != story.team.pk:
        raise ValueError(f"{story.title}: the demo keeps stories in their epic's team")
    done_day = story.done_at.date() if story.done_at is not None else None
    if (
        story.sprint is not None
        and done_day is not None
        and not story.sprint.start_date <= done_day <= story.sprint.end_date
    ):
        raise ValueError(f"{story.title}: done outside its sprint")


def _story_links(rows: list[tuple[Story, tuple[Link, ...]]], krs: dict[str, KeyResult]) -> list[StoryLink]:
    """The stories' own KR links, checked as ``link_story`` checks them (one per story and KR)."""
    links = []
    seen: set[tuple[int, int]] = set()
    for story, story_links in rows:
        for kr_title, impact_share, impact_amount in story_links:
            kr = krs[kr_title]
            figures.check_impact(share=impact_share, amount=impact_amount)
            if kr.objective.cycle.state == CycleState.CLOSED or (story.pk, kr.pk) in seen:
                raise ValueError(f"{story.title}: cannot link to {kr_title}")
            seen.add((story.pk, kr.pk))
            links.append(StoryLink(story=story, key_result=kr, impact_share=impact_share, impact_amount=impact_amount))
    return links
