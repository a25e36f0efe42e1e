"""The lists people keep are in the change history (finding 9): an objective's contributions and themes,
a key result's contributors, key failure indicators, contributing objectives and the sprints focused on
it, each "added …" or "removed …" with who and when, named only where the viewer may see the name."""

from __future__ import annotations

import pghistory
import pytest
from django.urls import reverse

from backlog import services as backlog_services
from backlog import sprints
from backlog.models import Sprint, Theme
from history import models as history
from history.selectors import key_result_timeline, objective_timeline
from objectives import services
from objectives.models import KeyResult, Objective
from okrapp.http import Viewer
from okrapp.models import Membership
from tests.conftest import TODAY

pytestmark = pytest.mark.django_db


def viewer(membership: Membership) -> Viewer:
    found = Viewer.load(membership.user)
    assert found is not None
    return found


def summaries(timeline) -> list[str]:
    return [f"{e.who} {e.summary}" for e in timeline.entries]


def history_panel(client, url: str) -> str:
    body = client.get(url).content.decode()
    return body.split('id="history-heading"')[1]


@pytest.mark.parametrize(
    ("through", "recorded"),
    [
        (Objective.contributes_to.through, history.CONTRIBUTION_FIELDS),
        (KeyResult.contributors.through, history.CONTRIBUTOR_FIELDS),
        (KeyResult.kfis.through, history.KFI_FIELDS),
        (Theme.objectives.through, history.THEME_OBJECTIVE_FIELDS),
        (Sprint.focus_key_results.through, history.SPRINT_FOCUS_FIELDS),
    ],
)
def test_every_list_records_both_its_ends(through, recorded):
    columns = {f.name for f in through._meta.concrete_fields}
    assert set(recorded) | history.NOT_RECORDED["list"] == columns


@pytest.fixture
def nps(cast, okrs) -> KeyResult:
    return services.key_result_create(objective=okrs[0], title="NPS", start_value=30, target_value=50, today=TODAY)


@pytest.fixture
def latency(cast, okrs) -> KeyResult:
    return services.key_result_create(
        objective=okrs[2], title="API p95 latency", start_value=800, target_value=300, unit="ms", today=TODAY
    )


def test_contributions_show_on_the_objective_and_on_the_key_result(login, cast, okrs, nps):
    team_objective = okrs[2]
    with pghistory.context(user=cast.lead.user_id):
        services.objective_update(
            objective=team_objective,
            title=team_objective.title,
            owner=cast.lead,
            visibility="team",
            state="active",
            parent=okrs[1],
            contributes_to=[nps],
        )
    with pghistory.context(user=cast.leadership.user_id):
        services.objective_update(
            objective=team_objective,
            title=team_objective.title,
            owner=cast.lead,
            visibility="team",
            state="active",
            parent=okrs[1],
            contributes_to=[],
        )
    on_objective = summaries(objective_timeline(viewer(cast.member), team_objective))
    assert on_objective[:2] == [
        "Boss removed the contribution to the key result “NPS”",
        "Lead added a contribution to the key result “NPS”",
    ]
    on_kr = summaries(key_result_timeline(viewer(cast.member), nps))
    assert on_kr[:2] == [
        "Boss removed the contribution of the objective “Checkout is fast”",
        "Lead added the contribution of the objective “Checkout is fast”",
    ]
    panel = history_panel(login(cast.member), reverse("objective_detail", args=[team_objective.pk]))
    assert "Boss</span> removed the contribution to the key result “NPS”" in panel
    # Someone who may not see the team objective sees nothing of its contribution on the company KR.
    assert summaries(key_result_timeline(viewer(cast.employee_elsewhere), nps))[:1] == [
        "The app created the key result"
    ]
    panel = history_panel(login(cast.employee_elsewhere), reverse("key_result_detail", args=[nps.pk]))
    assert "Checkout is fast" not in panel and "contribution" not in panel


def test_a_page_form_records_its_writer(login, cast, okrs, nps):
    response = login(cast.lead).post(
        reverse("objective_edit", args=[okrs[2].pk]),
        {
            "title": "Checkout is fast",
            "owner": cast.lead.pk,
            "visibility": "team",
            "state": "active",
            "parent": okrs[1].pk,
            "contributes_to": [nps.pk],
        },
    )
    assert response.status_code == 302
    panel = history_panel(login(cast.member), reverse("objective_detail", args=[okrs[2].pk]))
    assert "Lead</span> added a contribution to the key result “NPS”" in panel


def test_contributors_and_kfis_show_on_the_key_result(login, cast, latency):
    margin = services.health_metric_save(
        organisation=cast.org,
        team=cast.team,
        name="Gross margin",
        direction="higher",
        green_threshold=40,
        amber_threshold=30,
    )
    with pghistory.context(user=cast.lead.user_id):
        services.key_result_update(key_result=latency, contributors=[cast.member], kfis=[margin], today=TODAY)
        services.key_result_update(key_result=latency, contributors=[cast.teammate], kfis=[], today=TODAY)
    entries = summaries(key_result_timeline(viewer(cast.member), latency))
    for expected in (
        "Lead added the contributor Member",
        "Lead removed the contributor Member",
        "Lead added the contributor Mate",
        "Lead added the key failure indicator “Gross margin”",
        "Lead removed the key failure indicator “Gross margin”",
    ):
        assert expected in entries
    panel = history_panel(login(cast.member), reverse("key_result_detail", args=[latency.pk]))
    assert "Lead</span> removed the key failure indicator “Gross margin”" in panel
    assert "Lead</span> added the contributor Mate" in panel


def test_a_kfi_the_viewer_may_not_see_stays_unnamed(login, cast, latency):
    growth_metric = services.health_metric_save(
        organisation=cast.org,
        team=cast.other_team,
        name="Canary trial churn",
        direction="lower",
        green_threshold=1,
        amber_threshold=2,
    )
    services.key_result_update(key_result=latency, kfis=[growth_metric], today=TODAY)
    services.key_result_update(key_result=latency, kfis=[], today=TODAY)
    seen_by_guest = summaries(key_result_timeline(viewer(cast.guest), latency))
    assert "The app added a key failure indicator you cannot see" in seen_by_guest
    assert "Canary" not in repr(seen_by_guest)
    assert "Canary" not in login(cast.guest).get(reverse("key_result_detail", args=[latency.pk])).content.decode()
    assert "The app removed the key failure indicator “Canary trial churn”" in summaries(
        key_result_timeline(viewer(cast.member), latency)
    )


def test_themes_show_on_the_objective(login, cast, okrs):
    with pghistory.context(user=cast.leadership.user_id):
        theme = backlog_services.theme_save(organisation=cast.org, title="Fast checkout", objectives=[okrs[2]])
        backlog_services.theme_save(organisation=cast.org, title=theme.title, objectives=[], theme=theme)
    assert summaries(objective_timeline(viewer(cast.member), okrs[2]))[:2] == [
        "Boss removed it from the theme “Fast checkout”",
        "Boss added it to the theme “Fast checkout”",
    ]
    panel = history_panel(login(cast.member), reverse("objective_detail", args=[okrs[2].pk]))
    assert "Boss</span> added it to the theme “Fast checkout”" in panel


def test_sprint_focus_shows_on_the_key_result_unnamed_for_a_guest_of_another_team(login, cast, nps):
    with pghistory.context(user=cast.lead.user_id):
        sprint = sprints.sprint_save(
            organisation=cast.org,
            team=cast.other_team,
            name="Canary sprint",
            start_date=TODAY,
            end_date=TODAY,
            focus_key_results=[nps],
        )
        sprints.sprint_save(
            organisation=cast.org,
            team=cast.other_team,
            name=sprint.name,
            start_date=TODAY,
            end_date=TODAY,
            focus_key_results=[],
            sprint=sprint,
        )
    assert summaries(key_result_timeline(viewer(cast.member), nps))[:2] == [
        "Lead removed it from the focus of sprint “Canary sprint”",
        "Lead added it to the focus of sprint “Canary sprint”",
    ]
    seen_by_guest = summaries(key_result_timeline(viewer(cast.guest), nps))
    assert seen_by_guest[:1] == ["Lead removed it from the focus of a sprint you cannot see"]
    assert "Canary" not in login(cast.guest).get(reverse("key_result_detail", args=[nps.pk])).content.decode()


def test_a_contribution_to_a_hidden_key_result_stays_unnamed(login, cast, quarter, okrs):
    private = services.objective_create(
        organisation=cast.org,
        cycle=quarter,
        team=cast.other_team,
        title="Canary acquisition",
        owner=cast.employee_elsewhere,
        visibility="private",
    )
    hidden = services.key_result_create(objective=private, title="Canary signs", kind="milestone", today=TODAY)
    services.objective_update(
        objective=okrs[0],
        title=okrs[0].title,
        owner=cast.leadership,
        visibility="company",
        state="active",
        contributes_to=[hidden],
    )
    seen_by_admin = summaries(objective_timeline(viewer(cast.admin), okrs[0]))
    assert seen_by_admin[0] == "The app added a contribution to a key result you cannot see"
    body = login(cast.admin).get(reverse("objective_detail", args=[okrs[0].pk])).content.decode()
    assert "Canary" not in body
    assert summaries(objective_timeline(viewer(cast.employee_elsewhere), okrs[0]))[0] == (
        "The app added a contribution to the key result “Canary signs”"
    )


def test_list_history_reads_with_a_fixed_number_of_queries(cast, okrs, nps, latency, django_assert_num_queries):
    margin = services.health_metric_save(
        organisation=cast.org,
        team=cast.team,
        name="Gross margin",
        direction="higher",
        green_threshold=40,
        amber_threshold=30,
    )
    me = viewer(cast.lead)

    def write(i: int) -> None:
        services.key_result_update(
            key_result=nps, contributors=[cast.member] if i % 2 else [], kfis=[margin] if i % 2 else [], today=TODAY
        )
        sprints.sprint_save(
            organisation=cast.org,
            team=cast.team,
            name=f"Sprint {i}",
            start_date=TODAY,
            end_date=TODAY,
            focus_key_results=[nps],
        )

    write(1)
    # The KR's own events, its check-ins', both kinds of links', its lists' (and the team tree that
    # decides which contributing objectives the viewer sees), then one query per kind of name the
    # lists need: people, health metrics, sprints.
    with django_assert_num_queries(9):
        few = key_result_timeline(me, nps)
    for i in range(2, 8):
        write(i)
    with django_assert_num_queries(9):
        many = key_result_timeline(me, nps)
    assert len(many.entries) > len(few.entries) + 10
