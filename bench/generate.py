"""Benchmark data at three sizes, inserted in bulk: a company with departments and teams, a yearly
cycle's objectives and key results with a year of weekly check-ins, a backlog with epics, stories,
links and sprints, and health metrics with readings. Then the real engine computes every number.

    python -m bench.generate --size M      # S, M or L; into the database of DATABASE_URL

Sizes (issue 11): S = 5 teams, 60 objectives, 200 KRs, 2,000 stories, 10,400 check-ins; M = 50 teams,
600 objectives, 2,000 KRs, 20,000 stories, 104,000 check-ins; L = 4 × M. The spread is believable:
most KRs move toward their target at their own pace, some stall, a few stopped checking in (stale),
confidence follows how they go, and private objectives are a small share.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock

from bench.history import weekly_snapshots

BATCH = 5000
PEOPLE_PER_TEAM = 8
WEEKS = 52  # a yearly cycle: one check-in a week per KR


@dataclass(frozen=True)
class Size:
    teams: int
    objectives: int
    key_results: int
    stories: int

    @property
    def checkins(self) -> int:
        return self.key_results * WEEKS


SIZES = {
    "XS": Size(teams=3, objectives=12, key_results=30, stories=120),  # for the generator's own test
    "S": Size(teams=5, objectives=60, key_results=200, stories=2_000),
    "M": Size(teams=50, objectives=600, key_results=2_000, stories=20_000),
    "L": Size(teams=200, objectives=2_400, key_results=8_000, stories=80_000),
}


def generate(size: Size, *, slug: str = "bench", seed: int = 11, today: date | None = None) -> dict[str, int]:
    """Create one organisation of this size and compute its numbers. Returns the rows made per kind.
    The slug must be new: the benchmark builds into a fresh database."""
    import pgtrigger
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from backlog.models import Epic, Sprint, SprintState, Story, StoryLink, StoryStatus
    from backlog.ordering import fresh_ranks
    from checkins.history import summarise
    from checkins.models import CheckIn, MetricReading
    from checkins.weeks import week_of
    from objectives.models import (
        Cycle,
        CycleState,
        HealthMetric,
        KeyResult,
        Objective,
        ObjectiveState,
        ValueDimension,
        Visibility,
    )
    from objectives.progress import Bound, Direction, Kind
    from objectives.services.recompute import recompute_graph
    from objectives.services.series import apply_summary
    from okrapp.models import CompanyRole, Membership, Organisation, Team, TeamMembership, TeamRole, User

    rng = random.Random(seed)  # noqa: S311 - benchmark data, the same on every run
    today = today or date.today()
    if Organisation.objects.filter(slug=slug).exists():
        raise ValueError(f"An organisation “{slug}” exists already: use a fresh database or another --slug.")
    counts: dict[str, int] = {}
    # Generated rows are not people's writes: no change history (pghistory's triggers stand aside),
    # which also makes the bulk inserts two to three times faster.
    with transaction.atomic(), pgtrigger.ignore():
        org = Organisation.objects.create(name=f"Bench {slug.upper()}", slug=slug, time_zone="Europe/London")
        departments = [
            Team.objects.create(organisation=org, name=f"Department {i + 1}") for i in range(max(2, size.teams // 8))
        ]
        teams = Team.objects.bulk_create(
            Team(organisation=org, name=f"Team {i + 1}", parent=departments[i % len(departments)])
            for i in range(size.teams)
        )
        password = make_password("bench")
        users = User.objects.bulk_create(
            User(email=f"person{i}@{slug}.test", full_name=f"Person {i}", password=password)
            for i in range(size.teams * PEOPLE_PER_TEAM + 6)
        )
        roles = [CompanyRole.ADMIN] + [CompanyRole.LEADERSHIP] * 5
        people = Membership.objects.bulk_create(
            Membership(organisation=org, user=u, role=roles[i] if i < len(roles) else CompanyRole.EMPLOYEE)
            for i, u in enumerate(users)
        )
        staff = people[6:]
        crews = {team.pk: staff[i * PEOPLE_PER_TEAM : (i + 1) * PEOPLE_PER_TEAM] for i, team in enumerate(teams)}
        TeamMembership.objects.bulk_create(
            TeamMembership(team_id=team_id, membership=m, role=TeamRole.LEAD if j == 0 else TeamRole.MEMBER)
            for team_id, crew in crews.items()
            for j, m in enumerate(crew)
        )
        counts |= {"teams": len(departments) + len(teams), "people": len(people)}

        start = week_of(today) - timedelta(weeks=WEEKS - 1)
        cycle = Cycle.objects.create(
            organisation=org,
            name=f"{start.year}/{start.year + 1}",
            kind="year",
            start_date=start,
            end_date=start + timedelta(days=364),
            state=CycleState.ACTIVE,
        )
        dimensions = ValueDimension.objects.bulk_create(
            ValueDimension(organisation=org, name=name, position=i)
            for i, name in enumerate(["Customer value", "Growth", "Efficiency", "People", "Innovation"])
        )

        # Objectives: a tenth at the company level, a fifth in departments, the rest in teams; each
        # aligned to one of the level above.
        n_company = max(2, size.objectives // 10)
        n_department = max(len(departments), size.objectives // 5)
        n_team = size.objectives - n_company - n_department

        def visibility() -> str:
            roll = rng.random()
            return Visibility.PRIVATE if roll < 0.05 else Visibility.TEAM if roll < 0.2 else Visibility.COMPANY

        company = Objective.objects.bulk_create(
            Objective(
                organisation=org,
                cycle=cycle,
                title=f"Company objective {i + 1}",
                owner=people[1 + i % 5],
                state=ObjectiveState.ACTIVE,
                value_dimension=dimensions[i % len(dimensions)],
            )
            for i in range(n_company)
        )
        department_objectives = Objective.objects.bulk_create(
            Objective(
                organisation=org,
                cycle=cycle,
                team=departments[i % len(departments)],
                title=f"Department objective {i + 1}",
                owner=people[1 + i % 5],
                state=ObjectiveState.ACTIVE,
                parent=company[i % len(company)],
                visibility=visibility(),
            )
            for i in range(n_department)
        )
        by_department: dict[int, list[Objective]] = {}
        for o in department_objectives:
            by_department.setdefault(o.team_id, []).append(o)  # type: ignore[arg-type]
        team_objectives = Objective.objects.bulk_create(
            Objective(
                organisation=org,
                cycle=cycle,
                team=(team := teams[i % len(teams)]),
                title=f"{team.name} objective {i // len(teams) + 1}",
                owner=crews[team.pk][0],
                state=ObjectiveState.ACTIVE,
                parent=rng.choice(by_department[team.parent_id]),  # type: ignore[index]
                visibility=visibility(),
            )
            for i in range(n_team)
        )
        objectives = [*company, *department_objectives, *team_objectives]
        counts["objectives"] = len(objectives)

        # Key results, spread evenly; company and department ones partly take their progress from below.
        key_results = []
        for i in range(size.key_results):
            objective = objectives[i % len(objectives)]
            crew = crews.get(objective.team_id or 0) or staff
            roll = rng.random()
            kind = Kind.METRIC if roll < 0.8 else Kind.GUARDRAIL if roll < 0.9 else Kind.MILESTONE
            start_value = float(rng.choice([0, 10, 50, 100, 800]))
            target = start_value + rng.choice([-1, 1]) * float(rng.choice([5, 20, 40, 100]))
            key_results.append(
                KeyResult(
                    organisation=org,
                    objective=objective,
                    title=f"KR {i + 1} of {objective.title}",
                    kind=kind,
                    owner=rng.choice(crew),
                    position=i // len(objectives),
                    start_value=start_value if kind == Kind.METRIC else None,
                    target_value=target if kind == Kind.METRIC else None,
                    current_value=start_value if kind == Kind.METRIC else None,
                    bound=99.0 if kind == Kind.GUARDRAIL else None,
                    bound_keep=Bound.STAY_ABOVE if kind == Kind.GUARDRAIL else "",
                    progress_from_aligned=objective.team_id is None and kind == Kind.METRIC and rng.random() < 0.3,
                )
            )
        key_results = KeyResult.objects.bulk_create(key_results, batch_size=BATCH)
        counts["key_results"] = len(key_results)

        # A year of weekly check-ins; a few KRs stopped checking in three weeks ago (stale).
        checkins: list[CheckIn] = []
        series: dict[int, list[CheckIn]] = {}
        for kr in key_results:
            if kr.progress_from_aligned:
                continue
            pace = rng.uniform(0.2, 1.3)
            stop = WEEKS - 3 if rng.random() < 0.05 else WEEKS
            confidence = rng.uniform(0.4, 0.9)
            rows = []
            for w in range(stop):
                week = start + timedelta(weeks=w)
                share = min(1.0, pace * (w + 1) / WEEKS + rng.gauss(0, 0.03))
                confidence = min(1.0, max(0.0, confidence + rng.gauss(0, 0.05)))
                if kr.kind == Kind.METRIC:
                    value, done = kr.start_value + share * (kr.target_value - kr.start_value), None  # type: ignore[operator]
                elif kr.kind == Kind.GUARDRAIL:
                    value, done = round(rng.uniform(98.5, 99.9), 2), None
                else:
                    value, done = None, share >= 1.0
                rows.append(
                    CheckIn(
                        organisation=org,
                        key_result=kr,
                        week=week,
                        value=None if value is None else round(value, 2),
                        done=done,
                        confidence=round(confidence, 2),
                        author=kr.owner,
                    )
                )
            checkins.extend(rows)
            series[kr.pk] = rows
        CheckIn.objects.bulk_create(checkins, batch_size=BATCH)
        counts["checkins"] = len(checkins)
        for kr in key_results:
            kr.objective.organisation = org
            if kr.pk in series:
                apply_summary(kr, summarise(kr, series[kr.pk]))
        KeyResult.objects.bulk_update(
            key_results,
            ["done", "current_value", "confidence", "last_checkin_at", "guardrail_kept", "guardrail_total"],
            batch_size=BATCH,
        )
        counts["snapshots"] = weekly_snapshots(
            org=org, start=start, end=cycle.end_date, today=today, key_results=key_results, series=series
        )

        # Health metrics with a quarter of weekly readings; some guard a KR of their team.
        metrics = HealthMetric.objects.bulk_create(
            HealthMetric(
                organisation=org,
                team=team,
                name=f"{team.name} {name}",
                direction=Direction.HIGHER if higher else Direction.LOWER,
                green_threshold=green,
                amber_threshold=amber,
                unit=unit,
            )
            for team in teams
            for name, higher, green, amber, unit in (("retention", True, 90, 80, "%"), ("error rate", False, 1, 2, "%"))
        )
        MetricReading.objects.bulk_create(
            (
                MetricReading(
                    organisation=org,
                    metric=m,
                    taken_on=today - timedelta(weeks=w),
                    value=round(
                        m.green_threshold + rng.uniform(-1.5, 1.5) * abs(m.green_threshold - m.amber_threshold), 2
                    ),
                )
                for m in metrics
                for w in range(13)
            ),
            batch_size=BATCH,
        )
        team_krs: dict[int, list[KeyResult]] = {}
        for kr in key_results:
            if kr.objective.team_id in crews:
                team_krs.setdefault(kr.objective.team_id, []).append(kr)
        KeyResult.kfis.through.objects.bulk_create(
            KeyResult.kfis.through(keyresult_id=krs[0].pk, healthmetric_id=m.pk)
            for m in metrics[::2]
            if (krs := team_krs.get(m.team_id or 0))
        )
        counts["metrics"] = len(metrics)

        # The backlog: epics, six two-week sprints (five closed, one active), stories in rank order,
        # about six in ten serving a KR of their team (directly or through their epic).
        epics = Epic.objects.bulk_create(
            Epic(organisation=org, team=team, title=f"{team.name} epic {j + 1}", owner=crews[team.pk][0], rank=j)
            for team in teams
            for j in range(6)
        )
        monday = week_of(today)
        sprints = Sprint.objects.bulk_create(
            Sprint(
                organisation=org,
                team=team,
                name=f"Sprint {j + 1}",
                start_date=monday - timedelta(weeks=2 * (5 - j) + 1),
                end_date=monday - timedelta(weeks=2 * (5 - j) + 1) + timedelta(days=13),
                # At most one active sprint per team (the one_active_sprint_per_team constraint).
                state=SprintState.CLOSED if j < 5 else SprintState.ACTIVE,
                completed_points=float(rng.randint(15, 40)) if j < 5 else None,
                started_at=datetime.combine(monday - timedelta(weeks=2 * (5 - j) + 1), clock(9)).astimezone(),
                closed_at=datetime.combine(monday - timedelta(weeks=2 * (5 - j) - 1), clock(9)).astimezone()
                if j < 5
                else None,
            )
            for team in teams
            for j in range(6)
        )
        team_epics = {team.pk: [e for e in epics if e.team_id == team.pk] for team in teams}
        team_sprints = {team.pk: [s for s in sprints if s.team_id == team.pk] for team in teams}
        stories = []
        # story i goes to team i mod n: each team's share of keys, handed out in order
        ranks = {t.pk: iter(fresh_ranks(len(range(k, size.stories, len(teams))))) for k, t in enumerate(teams)}
        for i in range(size.stories):
            team = teams[i % len(teams)]
            roll = rng.random()
            sprint = (
                rng.choice(team_sprints[team.pk][:5])
                if roll < 0.35
                else team_sprints[team.pk][5]
                if roll < 0.45
                else None
            )
            done = sprint is not None and (sprint.state == SprintState.CLOSED or rng.random() < 0.4)
            stories.append(
                Story(
                    organisation=org,
                    team=team,
                    epic=rng.choice(team_epics[team.pk]) if rng.random() < 0.7 else None,
                    sprint=sprint,
                    title=f"Story {i + 1}",
                    points=rng.choice([1, 2, 3, 5, 8, None]),
                    status=StoryStatus.DONE if done else StoryStatus.TODO,
                    done_at=datetime.combine(sprint.end_date, clock(12)).astimezone() if done and sprint else None,
                    assignee=rng.choice(crews[team.pk]) if sprint else None,
                    rank=next(ranks[team.pk]),
                    sprint_added_at=datetime.combine(sprint.start_date, clock(8)).astimezone() if sprint else None,
                )
            )
        stories = Story.objects.bulk_create(stories, batch_size=BATCH)
        # The commitment at the start: the points of the stories in each sprint (what sprint_start records).
        committed: dict[int, float] = {}
        for s in stories:
            if s.sprint_id is not None:
                committed[s.sprint_id] = committed.get(s.sprint_id, 0.0) + (s.points or 0)
        for sprint in sprints:
            sprint.committed_points = max(committed.get(sprint.pk, 0.0), sprint.completed_points or 0.0)
        Sprint.objects.bulk_update(sprints, ["committed_points"], batch_size=BATCH)
        StoryLink.objects.bulk_create(
            (
                StoryLink(
                    story=s, key_result=rng.choice(team_krs[s.team_id]), impact_share=rng.choice([0.05, 0.1, 0.2])
                )
                for s in stories
                if s.team_id in team_krs and rng.random() < 0.6
            ),
            batch_size=BATCH,
        )
        counts |= {"epics": len(epics), "sprints": len(sprints), "stories": len(stories)}

    recompute_graph(Objective.objects.filter(organisation=org), today=today, relight=True)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="M")
    parser.add_argument("--slug", default="bench")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okrapp.settings")
    import django

    django.setup()
    began = time.monotonic()
    counts = generate(SIZES[args.size], slug=args.slug)
    print(f"size {args.size}: " + ", ".join(f"{n:,} {kind}" for kind, n in counts.items()))
    print(f"built in {time.monotonic() - began:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
