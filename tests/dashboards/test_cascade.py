"""The company cascade and the value-dimension matrix: figures by hand, filters, htmx, visibility, and
a query count that does not grow with the organisation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backlog import services as backlog_services
from backlog.models import CoverageSnapshot
from checkins import services as checkin_services
from objectives import services as objective_services
from objectives.models import Objective, ValueDimension
from objectives.services.snapshots import snapshots_take
from okrapp.http import Viewer
from okrapp.models import Team
from okrapp.timeutil import org_today
from tests.conftest import settle
from tests.factories import CycleFactory, TeamFactory

pytestmark = pytest.mark.django_db


def _kr(objective, title, owner, *, target=10):
    return objective_services.key_result_create(
        objective=objective,
        title=title,
        start_value=0,
        target_value=target,
        owner=owner,
        today=org_today(owner.organisation),
    )


def _check_in(membership, kr, value, confidence):
    checkin_services.checkin_save(
        viewer=Viewer.load(membership.user),
        key_result=kr,
        value=value,
        confidence=confidence,
        today=org_today(membership.organisation),
    )


@pytest.fixture
def world(cast, okrs):
    """Three KRs: A on track (10 of 10, confidence 0.9), B off track (confidence 0.3 is below 0.4),
    C on the company objective without a check-in (not started). Two open stories in Checkout, one
    serving A. A week ago: nobody had checked in, and Checkout had 1 of 4 stories linked."""
    company, _dept, team = okrs
    a, b = _kr(team, "Payments succeed", cast.member), _kr(team, "Checkout under 2 s", cast.member)
    c = _kr(company, "Revenue per customer", cast.leadership, target=100)
    _check_in(cast.member, a, 10, 0.9)
    _check_in(cast.member, b, 5, 0.3)
    today = org_today(cast.org)
    settle(today=today)
    snapshots_take(organisation=cast.org)
    linked = backlog_services.story_save(organisation=cast.org, team=cast.team, title="Retry card payments", points=3)
    backlog_services.story_save(organisation=cast.org, team=cast.team, title="Dark mode", points=5)
    backlog_services.link_story(story=linked, key_result=a, share=0.5)
    CoverageSnapshot.objects.update_or_create(
        team=cast.team,
        day=today - timedelta(days=7),
        defaults={"organisation": cast.org, "stories": 4, "linked": 1, "points": 10, "linked_points": 2},
    )
    return a, b, c


def test_leadership_lands_on_the_cascade_and_members_on_their_teams(login, cast):
    assert login(cast.leadership).get(reverse("home")).url == reverse("cascade")
    assert login(cast.member).get(reverse("home")).status_code == 200


def test_header_figures_by_hand(login, cast, world):
    page = login(cast.leadership).get(reverse("cascade")).content.decode()
    # On track: A only, 1 of 3 = 33 %; a week ago none of 3 (nobody had checked in): up 33 points.
    assert "1 of 3 key results" in page and "33 %" in page and "up 33 pts since a week ago" in page
    # Average confidence (0.9 + 0.3) / 2 = 0.60; nobody had given one a week ago.
    assert "<dd>0.60</dd>" in page and "no figure a week ago" in page
    # Checked in this week: A and B of the three = 67 %; last week none of them.
    assert "2 of 3 key results" in page and "67 %" in page and "last week 0 %" in page
    # Coverage: 1 of 2 open stories = 50 %; a week ago 1 of 4 = 25 %: up 25 points.
    assert "1 of 2 open stories" in page and "50 %" in page and "up 25 pts since a week ago" in page
    # Nothing stale now or then.
    assert "= same as a week ago" in page


def _head(page: str, team) -> str:
    """A team node's head: its name, objective count, statuses and figures (up to its body)."""
    head = page.split(f'id="name-t{team.pk}"')[1].split("</div>\n    </div>")[0]
    assert "<table" not in head  # the node's head alone, not its objectives or the nodes after it
    return head


def test_tree_rolls_up_each_level(login, cast, world):
    page = login(cast.leadership).get(reverse("cascade")).content.decode()
    # Checkout's objective: progress (1.0 + 0.5) / 2 = 75 %, its KRs' confidence 0.6 is in the amber band.
    checkout = _head(page, cast.team)
    assert "1 at risk" in checkout and "75 %" in checkout
    # The department's objective has no KR yet: not started; Growth has no objective.
    assert "1 not started" in _head(page, cast.department)
    assert "no objectives in this cycle" in _head(page, cast.other_team)
    # Departments come before their teams, with their depth.
    assert page.index(f'id="name-t{cast.department.pk}"') < page.index(f'id="name-t{cast.team.pk}"')
    assert "cascade-node depth-1" in page


def test_an_objective_opens_to_its_krs_in_place(login, cast, okrs, world):
    client = login(cast.leadership)
    closed = client.get(reverse("cascade") + f"?team={cast.team.pk}").content.decode()
    assert "Checkout is fast" in closed and "Payments succeed" not in closed
    url = reverse("cascade") + f"?team={cast.team.pk}&open=o{okrs[2].pk}"
    response = client.get(url, headers={"HX-Request": "true", "HX-Target": "cascade-tree"})
    part = response.content.decode()
    assert response.status_code == 200 and "<html" not in part and part.lstrip().startswith('<div id="cascade-tree"')
    assert "Payments succeed" in part and "Checkout under 2 s" in part
    assert 'aria-expanded="true"' in part
    # The toggle closes it again and keeps the other filters.
    assert f'href="?team={cast.team.pk}&amp;open="' in part
    # A plain link gives the whole page with the same state (shareable).
    full = client.get(url).content.decode()
    assert "<html" in full and "Payments succeed" in full


def test_filters_narrow_the_tree(login, cast, okrs, world):
    client = login(cast.leadership)
    department = client.get(reverse("cascade") + f"?team={cast.department.pk}").content.decode()
    assert "Engineering ships faster" in department and "Checkout" in department
    assert f'id="name-t{cast.other_team.pk}"' not in department and 'id="name-c"' not in department
    assert "1 of 2 key results" in department  # the figures follow the team filter: A and B, not C
    off = client.get(reverse("cascade") + "?status=not_started").content.decode()
    # Not started: the company and the department objectives; Checkout's (at risk) is left out, and
    # teams with nothing that matches (Growth) are gone. A matching node opens by itself.
    assert "Customers love paying us" in off and "Engineering ships faster" in off
    assert "Checkout is fast" not in off and f'id="name-t{cast.other_team.pk}"' not in off
    company_only = client.get(reverse("cascade") + "?team=company").content.decode()
    assert "Customers love paying us" in company_only and f'id="name-t{cast.team.pk}"' not in company_only


def test_value_dimension_follows_the_alignment_chain(login, cast, okrs, quarter):
    growth = ValueDimension.objects.create(organisation=cast.org, name="Growth")
    ValueDimension.objects.create(organisation=cast.org, name="People")
    company, _dept, _team = okrs
    company.value_dimension = growth
    company.save()
    objective_services.objective_create(
        organisation=cast.org, cycle=quarter, team=cast.other_team, title="Hire well", owner=cast.lead, state="active"
    )
    client = login(cast.leadership)
    page = client.get(reverse("cascade") + f"?dimension={growth.pk}").content.decode()
    # The department's and the team's objectives align (through their parents) to the Growth objective.
    for title in ("Customers love paying us", "Engineering ships faster", "Checkout is fast"):
        assert title in page
    assert "Hire well" not in page
    matrix = client.get(reverse("dimension_coverage")).content.decode()
    assert "No objective feeds" in matrix and "<strong>People</strong>" in matrix
    assert "<strong>3</strong>" in matrix  # Growth: company, department and team, one each
    assert f"team={cast.other_team.pk}&amp;dimension" not in matrix  # Hire well serves no dimension


def test_private_objectives_show_only_to_who_may_see_them_and_never_in_figures(login, cast, quarter, world):
    secret = objective_services.objective_create(
        organisation=cast.org,
        cycle=quarter,
        team=cast.team,
        title="Secret plan",
        owner=cast.lead,
        visibility="private",
        state="active",
    )
    hidden = _kr(secret, "Hidden number", cast.lead)
    _check_in(cast.lead, hidden, 1, 0.1)
    settle(today=org_today(cast.org))
    lead_page = login(cast.lead).get(reverse("cascade") + f"?team={cast.team.pk}").content.decode()
    assert "Secret plan" in lead_page  # the team's lead may see it, as its own row
    assert "1 of 2 key results" in lead_page  # A and B; the private KR is not counted
    assert "off track" not in _head(lead_page, cast.team)
    for who in (cast.member, cast.leadership, cast.employee_elsewhere):
        page = login(who).get(reverse("cascade") + "?status=off_track").content.decode()
        assert "Secret plan" not in page and "Hidden number" not in page
    matrix = login(cast.lead).get(reverse("dimension_coverage")).content.decode()
    assert "Secret plan" not in matrix


def test_filters_that_name_nothing_of_ours_are_dropped_not_errors(login, cast, world):
    foreign_cycle = CycleFactory(organisation=cast.outsider_org, name="Their Q4")
    client = login(cast.leadership)
    for query in (
        f"?team={cast.outsider_team.pk}",
        "?team=999999&status=purple&dimension=999999",
        f"?cycle={foreign_cycle.pk}",
        "?open=" + ",".join(f"o{i}" for i in range(500)),
    ):
        response = client.get(reverse("cascade") + query)
        assert response.status_code == 200, query
        page = response.content.decode()
        assert "Their Q4" not in page and "Customers love paying us" in page


def test_filters_that_are_no_ids_answer_400_with_the_message(login, cast, world):
    client = login(cast.leadership)
    for name, value in (("team", "-1"), ("dimension", "abc"), ("team", "9" * 40), ("cycle", "²")):
        response = client.get(reverse("cascade"), {name: value})
        assert response.status_code == 400, (name, value)
        words = "No such id" if value.isascii() and value.isdigit() else "Not an id"
        assert f"{name}: {words}" in response.content.decode()


def test_another_organisation_sees_nothing_of_ours(login, cast, world):
    page = login(cast.outsider).get(reverse("cascade")).content.decode()
    assert "Customers love paying us" not in page and "Checkout" not in page.replace("Globex Checkout", "")
    assert login(cast.outsider).get(reverse("dimension_coverage")).status_code == 200


def test_a_cascade_without_a_cycle_says_what_to_do(login, cast):
    page = login(cast.admin).get(reverse("cascade")).content.decode()
    assert "No cycle yet" in page and "Create the first cycle" in page


def _grow(cast, quarter, n):
    """n more teams under the department, each with an objective of two checked-in KRs and a story."""
    for i in range(n):
        team = TeamFactory(organisation=cast.org, name=f"Squad {i}", parent=cast.department)
        objective = objective_services.objective_create(
            organisation=cast.org, cycle=quarter, team=team, title=f"Squad {i} goal", owner=cast.lead, state="active"
        )
        for j in range(2):
            kr = _kr(objective, f"Squad {i} KR {j}", cast.member)
            _check_in(cast.member, kr, j + 1, 0.5)
        backlog_services.story_save(organisation=cast.org, team=team, title=f"Squad {i} story", points=2)
    settle(today=org_today(cast.org))
    snapshots_take(organisation=cast.org)


def test_query_count_is_the_same_at_two_sizes(login, cast, okrs, quarter, world):
    client = login(cast.leadership)
    everything = "?open=" + ",".join([f"o{o.pk}" for o in okrs] + [f"t{cast.department.pk}", f"t{cast.team.pk}"])
    client.get(reverse("cascade"))
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("cascade") + everything).status_code == 200
    with CaptureQueriesContext(connection) as small_matrix:
        client.get(reverse("dimension_coverage"))
    _grow(cast, quarter, 6)
    objectives = Objective.objects.filter(organisation=cast.org).values_list("pk", flat=True)
    teams = Team.objects.filter(organisation=cast.org).values_list("pk", flat=True)
    everything = "?open=" + ",".join([f"o{pk}" for pk in objectives] + [f"t{pk}" for pk in teams])
    with CaptureQueriesContext(connection) as large:
        page = client.get(reverse("cascade") + everything).content.decode()
    assert "Squad 5 KR 1" in page  # every objective open: all their KRs drawn
    with CaptureQueriesContext(connection) as large_matrix:
        client.get(reverse("dimension_coverage"))
    assert len(large) == len(small) <= 20
    assert len(large_matrix) == len(small_matrix) <= 15
