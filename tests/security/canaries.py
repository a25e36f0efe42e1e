"""The world of the content sweep (tests/security/test_content_sweep.py): every object carries a canary,
``CANARY-<class>-<what>``, whose class says who may see it (``SEES``). Objectives of every visibility
(company, team of Checkout, team of Growth, private of Checkout, of Growth and of the company level, and
another organisation's), each with a key result, a check-in with notes, comments, work linked to it (a
story of its own, an epic's story, a story of the other team), a sprint focused on it, a closed sprint
whose KR delta report names it, a theme serving it, a KFI guarding it, and change history (every title
was once another canary of the same class).

The trap of finding 2 of issue 19: Checkout's backlog serves Growth's team-only key result (a story of its
own and an epic's story), so Checkout's pages hold Growth's KR ids; a member of Checkout may not see it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from backlog import services as backlog_services
from backlog import sprints as backlog_sprints
from backlog.models import EpicLink, ImportState, JiraImport, Sprint, SprintState, StoryLink, StoryStatus
from backlog.reports import sprint_report_write
from checkins import services as checkin_services
from checkins.models import CheckIn, MetricReading
from checkins.weeks import week_of
from comments.access import Target, target_of_epic, target_of_key_result
from comments.models import Comment
from comments.services import comment_create
from objectives import services as objective_services
from objectives.models import Cycle, HealthMetric, KeyResult, Objective
from objectives.services.snapshots import snapshots_take
from okrapp.http import Viewer
from okrapp.models import Membership, Team, Webhook, WebhookEvent
from okrapp.timeutil import org_today
from okrapp.unsubscribe import unsubscribe_token
from okrapp.webhooks import webhook_create
from tests.conftest import settle
from tests.factories import CycleFactory

PERSONAS = ("admin", "leadership", "lead", "member", "guest", "elsewhere", "outsider")
ACME = frozenset(PERSONAS[:6])

# Who may see a canary of each class (DESIGN.md, "Who sees what"; the cast of tests/conftest.py: the lead,
# the member and the guest are Checkout's, "elsewhere" is Growth's member, the outsider Globex's admin).
SEES: dict[str, frozenset[str]] = {
    "company": ACME,  # company objectives: the control, shown to everyone of the organisation
    "acme": ACME,  # the organisation's own things: themes, dimensions, cycles, company-level metrics
    "checkoutwork": ACME,  # Checkout's stories, epics, sprints and metric (its guest is Checkout's)
    "growthwork": ACME - {"guest"},  # Growth's: a guest sees only the work of their own teams
    "checkoutteam": frozenset({"admin", "leadership", "lead", "member", "guest"}),
    "growthteam": frozenset({"admin", "leadership", "elsewhere"}),
    "checkoutprivate": frozenset({"lead"}),  # its owner, the team's lead
    "growthprivate": frozenset({"elsewhere"}),  # its owner
    "companyprivate": frozenset({"leadership", "admin"}),  # company level: its owner and the admins
    "globex": frozenset({"outsider"}),  # another organisation's
}
OBJECTIVE_CLASSES = ("company", "checkoutteam", "growthteam", "checkoutprivate", "growthprivate", "companyprivate")
PRIVATE = ("checkoutprivate", "growthprivate", "companyprivate")
CANARY = re.compile(rb"CANARY-([a-z]+)-([a-z0-9-]+)")


def canary(cls: str, what: str) -> str:
    assert cls in SEES, cls
    return f"CANARY-{cls}-{what}"


@dataclass
class CanaryWorld:
    cast: Any
    today: date
    quarter: Cycle
    people: dict[str, Membership]
    ids: dict[str, list[Any]] = field(default_factory=dict)  # id kind → the objects (or values) of that kind
    objective: dict[str, Objective] = field(default_factory=dict)
    kr: dict[str, KeyResult] = field(default_factory=dict)
    checkin: dict[str, CheckIn] = field(default_factory=dict)
    team: dict[str, Team] = field(default_factory=dict)
    sprint: dict[str, Sprint] = field(default_factory=dict)
    webhook: Webhook | None = None
    seeded: set[str] = field(default_factory=set)  # every canary written (titles, names, notes, history)

    def add(self, kind: str, *objects: Any) -> None:
        self.ids.setdefault(kind, []).extend(objects)

    def pks(self, kind: str) -> list[Any]:
        return [getattr(o, "pk", o) for o in self.ids.get(kind, [])]

    def seed(self, cls: str, what: str) -> str:
        """A new canary of class ``cls``, counted among those the world holds."""
        text = canary(cls, what)
        self.seeded.add(text)
        return text


def _quarter_end() -> date:
    return max(date(2026, 12, 31), date.today() + timedelta(days=60))


def build(cast: Any) -> CanaryWorld:
    org = cast.org
    org.checkin_day = 0  # Monday: reminders are due whatever the day of the run
    org.save()
    cast.outsider_org.checkin_day = 0
    cast.outsider_org.save()
    today = org_today(org)
    this_week = week_of(today)
    quarter = CycleFactory(organisation=org, name="Q4 2026", start_date=date(2026, 10, 1), end_date=_quarter_end())
    globex_quarter = CycleFactory(
        organisation=cast.outsider_org, name="Globex Q4", start_date=date(2026, 10, 1), end_date=_quarter_end()
    )
    people = {
        "admin": cast.admin,
        "leadership": cast.leadership,
        "lead": cast.lead,
        "member": cast.member,
        "guest": cast.guest,
        "elsewhere": cast.employee_elsewhere,
        "outsider": cast.outsider,
    }
    w = CanaryWorld(cast=cast, today=today, quarter=quarter, people=people)
    w.team = {"checkout": cast.team, "growth": cast.other_team}
    w.add("team", cast.team, cast.other_team, cast.outsider_team)
    w.add("person", cast.leadership, cast.lead, cast.member, cast.employee_elsewhere)  # who owns something
    w.add("cycle", quarter, globex_quarter)
    w.ids["uidb64"], w.ids["reset_token"] = ["MQ"], ["x-y"]  # a password reset link that is no longer valid
    w.ids["unsubscribe"] = [unsubscribe_token(cast.member, "digest")]
    w.webhook = webhook_create(
        organisation_id=org.pk,
        url="https://hooks.example.org/okr",
        events=list(WebhookEvent.values),
        created_by_id=None,
    )
    w.add("webhook", w.webhook)

    dimension = objective_services.value_dimension_save(
        organisation=org, name=w.seed("acme", "dimension"), description=w.seed("acme", "dimension-description")
    )
    w.add("dimension", dimension)

    # Health metrics: the company's, each team's (Growth's guards KRs of Checkout too), Globex's.
    metrics = {
        "acme": (org, None),
        "checkoutwork": (org, cast.team),
        "growthwork": (org, cast.other_team),
        "globex": (cast.outsider_org, cast.outsider_team),
    }
    metric: dict[str, HealthMetric] = {}
    for cls, (owner_org, team) in metrics.items():
        metric[cls] = objective_services.health_metric_save(
            organisation=owner_org,
            team=team,
            name=w.seed(cls, "metric"),
            description=w.seed(cls, "metric-description"),
            direction="higher",
            green_threshold=60,
            amber_threshold=50,
        )
        reading = checkin_services.reading_save(
            metric=metric[cls],
            taken_on=today - timedelta(days=1),
            value=55,
            note=w.seed(cls, "reading-note"),
            author_id=None,
            today=today,
        )
        w.add("metric", metric[cls])
        w.add("reading", reading)

    # The objectives: (team, owner, visibility, KR owner, KFIs).
    plan: dict[str, tuple[Team | None, Membership, str, Membership, list[HealthMetric]]] = {
        "company": (None, cast.leadership, "company", cast.leadership, [metric["acme"]]),
        "checkoutteam": (cast.team, cast.lead, "team", cast.member, [metric["growthwork"]]),
        "growthteam": (
            cast.other_team,
            cast.employee_elsewhere,
            "team",
            cast.employee_elsewhere,
            [metric["growthwork"]],
        ),
        "checkoutprivate": (cast.team, cast.lead, "private", cast.lead, [metric["checkoutwork"]]),
        "growthprivate": (cast.other_team, cast.employee_elsewhere, "private", cast.employee_elsewhere, []),
        "companyprivate": (None, cast.leadership, "private", cast.leadership, [metric["acme"]]),
    }
    for cls, (team, owner, visibility, kr_owner, kfis) in plan.items():
        parent = w.objective.get("company") if cls != "company" else None
        objective = objective_services.objective_create(
            organisation=org,
            cycle=quarter,
            team=team,
            title=w.seed(cls, "objective-was"),
            description=w.seed(cls, "objective-description"),
            owner=owner,
            visibility=visibility,
            state="active",
            parent=parent,
            value_dimension=dimension if team is None else None,
        )
        # Change history: the title it has now was another canary of the same class before.
        objective = objective_services.objective_update(
            objective=objective,
            title=w.seed(cls, "objective"),
            description=w.seed(cls, "objective-description"),
            owner=owner,
            visibility=visibility,
            state="active",
            parent=parent,
            value_dimension=dimension if team is None else None,
        )
        kr = objective_services.key_result_create(
            objective=objective,
            title=w.seed(cls, "kr-was"),
            description=w.seed(cls, "kr-description"),
            start_value=0,
            target_value=100,
            unit="%",
            owner=kr_owner,
            kfis=kfis,
            today=today,
        )
        kr = objective_services.key_result_update(
            key_result=kr,
            title=w.seed(cls, "kr"),
            description=w.seed(cls, "kr-description"),
            kind="metric",
            start_value=0,
            target_value=100,
            unit="%",
            owner=kr_owner,
            kfis=kfis,
            today=today,
        )
        viewer = Viewer.load(kr_owner.user)
        assert viewer is not None
        for weeks_ago, value in ((3, 10), (2, 20)):
            checkin = checkin_services.checkin_save(
                viewer=viewer,
                key_result=kr,
                week=this_week - timedelta(weeks=weeks_ago),
                value=value,
                confidence=0.6,
                what_changed=w.seed(cls, "checkin-what-changed"),
                next_steps=w.seed(cls, "checkin-next-steps"),
                blockers=w.seed(cls, "checkin-blockers"),
                today=today,
            )
        comment_create(author=kr_owner, target=target_of_key_result(kr), body=w.seed(cls, "kr-comment"))
        comment_create(
            author=kr_owner,
            target=Target("checkin", checkin, objective.team_id),
            body=w.seed(cls, "checkin-comment"),
        )
        w.objective[cls], w.kr[cls], w.checkin[cls] = objective, kr, checkin
        w.add("objective", objective)
        w.add("kr", kr)
        w.add("checkin", checkin)
    # A company objective aligned to Growth's team objective and contributing to every other KR: its page
    # and its API row name them only for those who may see them.
    child = objective_services.objective_create(
        organisation=org,
        cycle=quarter,
        team=cast.team,
        title=w.seed("company", "child-objective"),
        owner=cast.lead,
        state="active",
        parent=w.objective["growthteam"],
        contributes_to=[w.kr[cls] for cls in OBJECTIVE_CLASSES if cls != "company"],
    )
    w.add("objective", child)
    # A mention: the lead mentions the member on Checkout's team KR (the member may see it).
    comment_create(author=cast.lead, target=target_of_key_result(w.kr["checkoutteam"]), body="@member look")

    # Globex: its own objective, KR and check-in.
    globex = objective_services.objective_create(
        organisation=cast.outsider_org,
        cycle=globex_quarter,
        team=None,
        title=w.seed("globex", "objective"),
        owner=cast.outsider,
        state="active",
    )
    globex_kr = objective_services.key_result_create(
        objective=globex, title=w.seed("globex", "kr"), start_value=0, target_value=10, owner=cast.outsider, today=today
    )
    outsider = Viewer.load(cast.outsider.user)
    assert outsider is not None
    globex_checkin = checkin_services.checkin_save(
        viewer=outsider,
        key_result=globex_kr,
        week=this_week - timedelta(weeks=1),
        value=3,
        confidence=0.5,
        blockers=w.seed("globex", "checkin-blockers"),
        today=today,
    )
    w.add("objective", globex)
    w.add("kr", globex_kr)
    w.add("checkin", globex_checkin)

    # The roadmap: a theme serving each objective (themes themselves are the organisation's).
    for cls in OBJECTIVE_CLASSES:
        theme = backlog_services.theme_save(
            organisation=org,
            title=w.seed("acme", f"theme-of-{cls}"),
            description=w.seed("acme", "theme-description"),
            lane="now",
            objectives=[w.objective[cls]],
        )
        w.add("theme", theme)

    # Work. Checkout's backlog serves every KR of the organisation (the trap: Growth's team KR and the
    # private ones), through its own links and an epic's; Growth's serves Growth's.
    krs = [w.kr[cls] for cls in OBJECTIVE_CLASSES]
    for name, cls, team in (("checkout", "checkoutwork", cast.team), ("growth", "growthwork", cast.other_team)):
        serves = krs if name == "checkout" else [w.kr["growthteam"], w.kr["growthprivate"]]
        sprint = backlog_sprints.sprint_save(
            organisation=org,
            team=team,
            name=w.seed(cls, "sprint"),
            start_date=today - timedelta(days=3),
            end_date=today + timedelta(days=10),
            goal=w.seed(cls, "sprint-goal"),
            focus_key_results=serves,
        )
        sprint = backlog_sprints.sprint_start(sprint=sprint)
        closed = backlog_sprints.sprint_save(
            organisation=org,
            team=team,
            name=w.seed(cls, "closed-sprint"),
            start_date=today - timedelta(days=31),
            end_date=today - timedelta(days=18),
            goal=w.seed(cls, "closed-sprint-goal"),
            focus_key_results=serves,
        )
        epic = backlog_services.epic_save(
            organisation=org,
            team=team,
            title=w.seed(cls, "epic"),
            context=w.seed(cls, "epic-context"),
            higher_intent=w.seed(cls, "epic-higher-intent"),
            my_intent=w.seed(cls, "epic-my-intent"),
            key_implied_tasks=w.seed(cls, "epic-tasks"),
            boundaries=w.seed(cls, "epic-boundaries"),
        )
        comment_create(
            author=cast.lead if name == "checkout" else cast.employee_elsewhere,
            target=target_of_epic(epic),
            body=w.seed(cls, "epic-comment"),
        )
        own = backlog_services.story_save(
            organisation=org,
            team=team,
            title=w.seed(cls, "story"),
            description=w.seed(cls, "story-description"),
            points=3,
            sprint=sprint,
        )
        under_epic = backlog_services.story_save(
            organisation=org, team=team, title=w.seed(cls, "epic-story"), points=2, epic=epic, sprint=sprint
        )
        unestimated = backlog_services.story_save(organisation=org, team=team, title=w.seed(cls, "story-unestimated"))
        shipped = backlog_services.story_save(
            organisation=org, team=team, title=w.seed(cls, "story-shipped"), points=5, sprint=closed
        )
        for kr in serves:
            kr_cls = next(c for c in OBJECTIVE_CLASSES if w.kr[c].pk == kr.pk)
            for story in (own, unestimated, shipped):
                backlog_services.link_story(
                    story=story, key_result=kr, share=0.3, note=w.seed(kr_cls, f"story-link-note-{name}")
                )
            backlog_services.link_epic(
                epic=epic, key_result=kr, share=0.4, note=w.seed(kr_cls, f"epic-link-note-{name}")
            )
        backlog_services.story_save(
            organisation=org,
            team=team,
            title=shipped.title,
            points=5,
            status=StoryStatus.DONE,
            sprint=closed,
            story=shipped,
        )
        Sprint.objects.filter(pk=closed.pk).update(
            state=SprintState.CLOSED,
            started_at=timezone.now() - timedelta(days=31),
            closed_at=timezone.now() - timedelta(days=18),
            completed_points=5,
            committed_points=5,
        )
        sprint_report_write(sprint_id=closed.pk)
        w.sprint[name] = sprint
        w.add("sprint", sprint, closed)
        w.add("epic", epic)
        # Pages of stories: one with links of its own, one through its epic (the others are read in lists).
        w.add("story", own, under_epic)
        w.add("picker_story", own)
        w.add("link", *(f"s{pk}" for pk in StoryLink.objects.filter(story=own).values_list("pk", flat=True)))
        w.add("link", *(f"e{pk}" for pk in EpicLink.objects.filter(epic=epic).values_list("pk", flat=True)))
        w.add(
            "jira_import",
            JiraImport.objects.create(
                organisation=org,
                team=team,
                uploaded_by=cast.lead,
                filename="jira.csv",
                size=0,
                content=b"",
                state=ImportState.FAILED,
                errors=[{"line": 2, "key": "SWP-1", "message": "No summary."}],
            ),
        )
    globex_epic = backlog_services.epic_save(
        organisation=cast.outsider_org, team=cast.outsider_team, title=w.seed("globex", "epic")
    )
    globex_story = backlog_services.story_save(
        organisation=cast.outsider_org, team=cast.outsider_team, title=w.seed("globex", "story"), epic=globex_epic
    )
    w.add("story", globex_story)
    w.add("epic", globex_epic)
    # Comment pages: one on each key result and on each epic (those on check-ins are read in their threads).
    w.add("comment", *Comment.objects.filter(organisation__in=[org, cast.outsider_org], checkin=None).order_by("pk"))

    settle(today=today)
    snapshots_take(organisation=org)
    assert MetricReading.objects.exists()
    return w
