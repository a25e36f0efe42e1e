"""One visibility rule for every list: company, team and private objectives, persona by persona."""

from __future__ import annotations

import pytest

from objectives import services
from objectives.visibility import visible_key_results, visible_objectives
from okrapp.http import Viewer
from tests.factories import ObjectiveFactory
from tests.objectives.conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast, quarter):
    make = ObjectiveFactory
    objs = {
        "company": make(organisation=cast.org, cycle=quarter, owner=cast.leadership, visibility="company"),
        "checkout_team": make(organisation=cast.org, cycle=quarter, team=cast.team, owner=cast.lead, visibility="team"),
        "dept_team": make(
            organisation=cast.org, cycle=quarter, team=cast.department, owner=cast.lead, visibility="team"
        ),
        "growth_team": make(
            organisation=cast.org, cycle=quarter, team=cast.other_team, owner=cast.employee_elsewhere, visibility="team"
        ),
        "checkout_private": make(
            organisation=cast.org, cycle=quarter, team=cast.team, owner=cast.member, visibility="private"
        ),
        "company_private": make(organisation=cast.org, cycle=quarter, owner=cast.leadership, visibility="private"),
        "globex": make(organisation=cast.outsider_org, visibility="company"),
    }
    # The teammate contributes to a KR of the member's private objective: they see it too.
    kr = services.key_result_create(
        objective=objs["checkout_private"], title="Secret KR", kind="milestone", today=TODAY
    )
    kr.contributors.add(cast.teammate)
    return objs


EXPECTED = {
    # persona: objectives they see
    "admin": {"company", "checkout_team", "dept_team", "growth_team", "company_private"},
    "leadership": {"company", "checkout_team", "dept_team", "growth_team", "company_private"},
    "lead": {"company", "checkout_team", "checkout_private"},
    "member": {"company", "checkout_team", "checkout_private"},
    "teammate": {"company", "checkout_team", "checkout_private"},
    "guest": {"company", "checkout_team"},
    "employee_elsewhere": {"company", "growth_team"},
    "outsider": {"globex"},
}


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_who_sees_what(cast, world, persona, django_assert_max_num_queries):
    viewer = Viewer.load(getattr(cast, persona).user)
    with django_assert_max_num_queries(2):
        seen = set(visible_objectives(viewer).values_list("pk", flat=True))
    names = {name for name, obj in world.items() if obj.pk in seen}
    expected = EXPECTED[persona]
    assert names == expected


def test_leadership_does_not_see_others_private_objectives(cast, world, quarter):
    hidden = ObjectiveFactory(organisation=cast.org, cycle=quarter, owner=cast.admin, visibility="private")
    viewer = Viewer.load(cast.leadership.user)
    assert not visible_objectives(viewer).filter(pk=hidden.pk).exists()


def test_members_of_a_department_see_team_objectives_below_it(cast, world):
    from tests.factories import TeamMembershipFactory

    TeamMembershipFactory(team=cast.department, membership=cast.employee_elsewhere)
    viewer = Viewer.load(cast.employee_elsewhere.user)
    names = {n for n, o in world.items() if visible_objectives(viewer).filter(pk=o.pk).exists()}
    assert {"checkout_team", "dept_team"} <= names
    assert "checkout_private" not in names


def test_key_results_are_as_visible_as_their_objective(cast, world):
    guest = Viewer.load(cast.guest.user)
    teammate = Viewer.load(cast.teammate.user)
    assert not visible_key_results(guest).filter(title="Secret KR").exists()
    assert visible_key_results(teammate).filter(title="Secret KR").exists()
