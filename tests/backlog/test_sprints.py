"""The sprint lifecycle: plan, start (one active per team), complete with moves; its pages, API and figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape

from backlog import charts, figures, selectors, services, sprint_selectors, sprints
from backlog.models import Sprint, SprintState, Story, StoryStatus
from okrapp.tokens import api_token_create

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
START = datetime(2026, 11, 16, 9, tzinfo=UTC)


def plan(cast, name="S1", team=None, start=date(2026, 11, 16), days=13):
    return sprints.sprint_save(
        organisation=cast.org, team=team or cast.team, name=name, start_date=start, end_date=start + timedelta(days)
    )


def story(cast, title, points, sprint=None, team=None, now=None):
    return services.story_save(
        organisation=cast.org, team=team or cast.team, title=title, points=points, sprint=sprint, now=now
    )


def done(s):
    return services.story_set_status(story=s, status=StoryStatus.DONE, now=START + timedelta(days=2))


@pytest.fixture
def running(cast):
    """An active sprint: 5 + 3 done, 8 + 2 + unestimated not; a planned next sprint."""
    sprint = plan(cast)
    rows = [story(cast, t, p, sprint, now=START - timedelta(days=1)) for t, p in [("A", 5), ("B", 3), ("C", 8)]]
    rows += [story(cast, "D", 2, sprint, now=START - timedelta(days=1)), story(cast, "E", None, sprint)]
    sprints.sprint_start(sprint=sprint, now=START)
    done(rows[0]), done(rows[1])
    following = plan(cast, "S2", start=date(2026, 11, 30))
    return sprint, rows, following


# --- Services ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "field", "words"),
    [
        (date(2026, 11, 16), 13 * 7, "end_date", "at most 13 weeks"),  # 92 days: a day too long
        (date(2000, 1, 1), 365 * 99, "end_date", "at most 13 weeks"),  # a century: its burndown unbounded
        (date(2100, 12, 1), 60, "end_date", "between 2000 and 2100"),
        (date(1999, 12, 31), 13, "start_date", "between 2000 and 2100"),
    ],
)
def test_a_sprint_is_at_most_a_quarter_long_within_the_years_2000_to_2100(cast, start, days, field, words):
    with pytest.raises(ValidationError) as error:
        plan(cast, start=start, days=days)
    assert words in " ".join(error.value.message_dict[field])
    assert not Sprint.objects.exists()
    assert plan(cast, start=date(2026, 11, 16), days=13 * 7 - 1).end_date == date(2027, 2, 14)  # 91 days: fine


def test_start_records_the_commitment_and_refuses_twice(cast):
    sprint = plan(cast)
    story(cast, "A", 5, sprint), story(cast, "B", None, sprint), story(cast, "C", 3)
    started = sprints.sprint_start(sprint=sprint, now=START)
    assert (started.state, started.started_at, started.committed_points) == (SprintState.ACTIVE, START, 5.0)
    with pytest.raises(ValidationError, match="started already"):
        sprints.sprint_start(sprint=sprint)


def test_one_active_sprint_per_team_is_checked_before_the_constraint(cast):
    sprints.sprint_start(sprint=plan(cast, "S1"))
    second = plan(cast, "S2")
    with pytest.raises(ValidationError, match="“S1” is the team's active sprint"):
        sprints.sprint_start(sprint=second)
    second.refresh_from_db()
    assert second.state == SprintState.PLANNED and second.started_at is None
    sprints.sprint_start(sprint=plan(cast, "Other", team=cast.other_team))  # another team: its own


def test_a_story_entering_a_sprint_records_when(cast):
    sprint = plan(cast)
    s = story(cast, "A", 5, now=START)
    assert s.sprint_added_at is None
    s = services.story_save(
        organisation=cast.org, team=cast.team, title="A", points=5, sprint=sprint, story=s, now=START
    )
    assert s.sprint_added_at == START
    s = services.story_save(  # an edit that keeps the sprint keeps the time
        organisation=cast.org, team=cast.team, title="A!", points=5, sprint=sprint, story=s, now=START + timedelta(1)
    )
    assert s.sprint_added_at == START
    assert sprints.sprint_add_stories(sprint=sprint, stories=[story(cast, "B", 1)], now=START) == 1
    with pytest.raises(ValidationError):
        sprints.sprint_add_stories(sprint=sprint, stories=[story(cast, "G", 1, team=cast.other_team)])


def test_complete_stores_velocity_and_moves_as_chosen(cast, running, django_capture_on_commit_callbacks):
    sprint, rows, following = running
    at = START + timedelta(days=13)
    with django_capture_on_commit_callbacks() as callbacks:
        sprints.sprint_complete(
            sprint=sprint, moves={rows[2].pk: following, rows[3].pk: sprints.NEW_SPRINT, rows[4].pk: None}, now=at
        )
    sprint.refresh_from_db()
    assert (sprint.state, sprint.completed_points, sprint.closed_at) == (SprintState.CLOSED, 8.0, at)
    c, d, e = (Story.objects.get(pk=r.pk) for r in rows[2:])
    assert (c.sprint, c.sprint_added_at) == (following, at)
    new = Sprint.objects.get(team=cast.team, name="S3")
    assert d.sprint == new and new.state == SprintState.PLANNED and new.start_date == date(2026, 11, 30)
    assert e.sprint is None and e.sprint_added_at is None
    assert len(callbacks) == 1  # the KR delta report, enqueued after commit


@pytest.mark.parametrize("case", ["twice", "planned", "other team", "closed target"])
def test_a_refused_completion_changes_nothing(cast, running, case, django_capture_on_commit_callbacks):
    sprint, rows, following = running
    moves: dict[int, sprints.Destination] = {}
    if case == "twice":
        sprints.sprint_complete(sprint=sprint, moves={rows[2].pk: following})
    elif case == "planned":
        sprint = following
    elif case == "other team":
        moves = {rows[2].pk: plan(cast, "Growth 1", team=cast.other_team)}
    else:
        closed = plan(cast, "S0", start=date(2026, 11, 1))
        Sprint.objects.filter(pk=closed.pk).update(state=SprintState.CLOSED)
        moves = {rows[2].pk: Sprint.objects.get(pk=closed.pk)}
    before = list(Story.objects.order_by("pk").values_list("pk", "sprint_id", "sprint_added_at"))
    states = list(Sprint.objects.order_by("pk").values_list("pk", "state", "completed_points", "closed_at"))
    with pytest.raises(ValidationError), django_capture_on_commit_callbacks() as callbacks:
        sprints.sprint_complete(sprint=sprint, moves=moves)
    assert callbacks == []
    assert list(Story.objects.order_by("pk").values_list("pk", "sprint_id", "sprint_added_at")) == before
    assert list(Sprint.objects.order_by("pk").values_list("pk", "state", "completed_points", "closed_at")) == states


# --- Figures, checked by hand ------------------------------------------------------------------------


def test_completion_figures_by_hand(running):
    sprint, _, following = running
    completion = sprint_selectors.sprint_completion(sprint)
    # Done: A 5 + B 3 = 8 in 2 stories. Not done: C 8 + D 2 + E (unestimated, 0) = 10 in 3 stories.
    assert (completion.done_points, completion.done_count) == (8.0, 2)
    assert (completion.open_points, completion.open_count, completion.unestimated_open) == (10.0, 3, 1)
    assert completion.destinations == [following]


def test_velocity_is_the_mean_of_the_last_three_completed(cast):
    for number, points in enumerate([40, 10, 20, 30], start=1):  # oldest first
        sprint = plan(cast, f"V{number}", start=date(2026, 9, 1) + timedelta(days=14 * number))
        sprint.state, sprint.completed_points = SprintState.CLOSED, points
        sprint.save()
    velocity = sprint_selectors.team_velocity(cast.team.pk)
    assert velocity.velocity == pytest.approx((10 + 20 + 30) / 3) == pytest.approx(20.0)
    assert [s.name for s in velocity.history] == ["V1", "V2", "V3", "V4"]
    assert [b.counted for b in velocity.chart.bars] == [False, True, True, True]
    assert velocity.velocity == figures.velocity(selectors.velocity_inputs(cast.team))  # what delivery reads
    assert "Velocity (mean of the last 3): 20.0 points" in velocity.chart.description


def test_burndown_steps_up_for_scope_added_after_start(cast):
    sprint = plan(cast, days=4)
    story(cast, "A", 10, sprint, now=START - timedelta(days=1))
    sprint = sprints.sprint_start(sprint=sprint, now=START)
    story(cast, "Late", 4, sprint, now=START + timedelta(days=1, hours=2))  # enters on Tue 17 Nov
    days = selectors.sprint_burndown(sprint, today=date(2026, 11, 18))
    assert [d.remaining for d in days] == [10, 14, 14, None, None]  # 10 planned, +4 on day two
    assert [d.ideal for d in days] == [10, 7.5, 5, 2.5, 0]  # the ideal runs from the planned 10
    chart = charts.burndown_chart(days=days, key_results={}, today=date(2026, 11, 18))
    [marker] = chart.scope_added
    assert marker.label == "4 points added on Tue 17 Nov" and "scope added after the start" in chart.description


# --- Pages -------------------------------------------------------------------------------------------


def test_sprint_pages_plan_add_start(cast, login):
    client = login(cast.lead)
    sprint = plan(cast)
    backlog_story = story(cast, "Cache the basket", 5)
    url = reverse("sprint_detail", args=[sprint.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Add stories from the backlog" in page.content.decode()
    bad = client.post(url, {"stories": []}, **HTMX)
    assert bad.status_code == 422 and "Choose at least one story." in bad.content.decode()
    assert "<html" not in bad.content.decode()  # the htmx partial only
    assert client.post(url, {"stories": [backlog_story.pk]}).status_code == 302
    assert Story.objects.get(pk=backlog_story.pk).sprint == sprint
    assert client.post(reverse("sprint_start", args=[sprint.pk])).status_code == 302
    sprint.refresh_from_db()
    assert sprint.committed_points == 5 and sprint.state == SprintState.ACTIVE
    second = plan(cast, "S2")
    client.post(reverse("sprint_start", args=[second.pk]))
    page = client.get(reverse("sprint_detail", args=[second.pk])).content.decode()
    assert escape("“S1” is the team's active sprint: complete it before starting another.") in page


def test_sprint_list_htmx_invalid_plan_is_422(cast, login):
    client = login(cast.lead)
    url = reverse("sprint_list", args=[cast.team.pk])
    bad = client.post(url, {"name": "", "start_date": "2026-12-01", "end_date": "2026-11-01"}, **HTMX)
    assert bad.status_code == 422 and 'id="plan-form"' in bad.content.decode() and "<html" not in bad.content.decode()


def test_complete_page(cast, login, running):
    sprint, rows, following = running
    client = login(cast.lead)
    url = reverse("sprint_complete", args=[sprint.pk])
    page = client.get(url).content.decode()
    assert "8 pts" in page and "10 pts" in page and "1 not estimated" in page and "Move to S2" in page
    partial = client.get(url, **HTMX).content.decode()
    assert 'id="complete-form"' in partial and "<html" not in partial
    other = plan(cast, "Growth 1", team=cast.other_team)
    bad = client.post(url, {"bulk": f"sprint-{other.pk}"})
    assert bad.status_code == 422 and "Select a valid choice" in bad.content.decode()
    assert Sprint.objects.get(pk=sprint.pk).state == SprintState.ACTIVE
    answer = client.post(
        url,
        {
            "bulk": "",
            f"story_{rows[2].pk}": f"sprint-{following.pk}",
            f"story_{rows[3].pk}": f"sprint-{following.pk}",
            f"story_{rows[4].pk}": "backlog",
        },
    )
    assert answer.status_code == 302
    assert list(following.stories.order_by("title").values_list("title", flat=True)) == ["C", "D"]
    again = client.post(url, {"bulk": "backlog"})
    assert again.status_code == 422 and "complete already" in again.content.decode()
    detail = client.get(reverse("sprint_detail", args=[sprint.pk])).content.decode()
    # Completed 5 + 3 = 8 of the 5 + 3 + 8 + 2 (+ E unestimated) = 18 in the sprint at its start.
    assert "Points completed" in detail and "of 18 committed at the start" in detail
    assert "Velocity history" in detail and "KR delta" in detail


def test_outsiders_get_404_and_members_403(cast, login, running):
    sprint = running[0]
    for name in ("sprint_detail", "sprint_complete"):
        assert login(cast.outsider).get(reverse(name, args=[sprint.pk])).status_code == 404
    assert login(cast.member).get(reverse("sprint_complete", args=[sprint.pk])).status_code == 403


def test_sprint_pages_query_counts_do_not_grow(cast, login, running, django_assert_max_num_queries):
    sprint = running[0]
    story(cast, "Backlog", 2)  # the planning list is never empty here: its size alone must not count
    client = login(cast.lead)
    urls = [reverse("sprint_detail", args=[sprint.pk]), reverse("sprint_complete", args=[sprint.pk])]
    counts = []
    for _ in range(2):
        with django_assert_max_num_queries(40) as captured:
            for url in urls:
                assert client.get(url).status_code == 200
        counts.append(len(captured))
        for n in range(6):  # more stories in and around the sprint, more closed sprints
            story(cast, f"More {len(counts)}-{n}", 3, sprint)
            story(cast, f"Backlog {len(counts)}-{n}", 2)
    assert counts[0] == counts[1]


# --- API ---------------------------------------------------------------------------------------------


def test_api_start_and_complete(cast, running, client):
    sprint, _, following = running
    auth = {"HTTP_AUTHORIZATION": f"Token {api_token_create(membership=cast.lead, name='t')[1]}"}
    base = "/api/v1/sprints/"
    refused = client.post(f"{base}{following.pk}/start/", **auth)
    assert refused.status_code == 400 and "active sprint" in refused.content.decode()
    other = plan(cast, "Growth 1", team=cast.other_team)
    wrong = client.post(f"{base}{sprint.pk}/complete/", {"move_to": other.pk}, content_type="application/json", **auth)
    assert wrong.status_code == 400 and Sprint.objects.get(pk=sprint.pk).state == SprintState.ACTIVE
    ok = client.post(f"{base}{sprint.pk}/complete/", {"move_to": following.pk}, content_type="application/json", **auth)
    assert ok.status_code == 200 and ok.json()["completed_points"] == 8 and ok.json()["state"] == "closed"
    assert following.stories.count() == 3
    assert client.post(f"{base}{following.pk}/start/", **auth).json()["committed_points"] == 10
