"""The OKR pages: full GET, htmx partials, valid and invalid POSTs, permissions, the outsider."""

from __future__ import annotations

import pytest
from django.urls import reverse

from objectives import services
from objectives.models import Cycle, KeyResult, Objective
from tests.conftest import settle
from tests.objectives.conftest import TODAY

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def team_objective(cast, okrs):
    return okrs[2]


def test_okrs_page_shows_the_scope(login, cast, okrs, quarter, django_assert_max_num_queries):
    services.key_result_create(
        objective=okrs[2],
        title="API p95 latency",
        start_value=800,
        target_value=300,
        current_value=350,
        unit="ms",
        owner=cast.lead,
        today=TODAY,
    )
    client = login(cast.member)
    with django_assert_max_num_queries(19):
        response = client.get(reverse("okrs"), {"cycle": quarter.pk, "team": cast.team.pk})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Checkout is fast" in body and "API p95 latency" in body
    assert "350 ms → 300 ms" in body and "90 %" in body
    assert "Add an objective" not in body  # members read; leads write


def test_okrs_query_count_does_not_grow_with_key_results(login, cast, okrs, quarter, django_assert_max_num_queries):
    for i in range(12):
        services.key_result_create(objective=okrs[2], title=f"KR {i}", start_value=0, target_value=10, today=TODAY)
    client = login(cast.member)
    with django_assert_max_num_queries(19):
        client.get(reverse("okrs"), {"cycle": quarter.pk, "team": cast.team.pk})


def test_okrs_defaults_to_my_team_and_the_active_cycle(login, cast, okrs):
    body = login(cast.member).get(reverse("okrs")).content.decode()
    assert "<h1>Checkout OKRs</h1>" in body and "Q4 2026" in body


def test_okrs_without_cycles_offers_to_create_one(login, cast):
    body = login(cast.admin).get(reverse("okrs")).content.decode()
    assert "No cycle yet" in body and reverse("cycle_list") in body


def test_lead_creates_an_aligned_team_objective(login, cast, okrs, quarter):
    client = login(cast.lead)
    url = reverse("objective_add") + f"?cycle={quarter.pk}&team={cast.team.pk}"
    page = client.get(url).content.decode()
    assert "Engineering ships faster" in page  # the department objective is offered as parent
    response = client.post(
        url,
        {
            "title": "Payments never fail",
            "owner": cast.lead.pk,
            "visibility": "team",
            "state": "active",
            "parent": okrs[1].pk,
        },
    )
    objective = Objective.objects.get(title="Payments never fail")
    assert response.status_code == 302
    assert (objective.team, objective.parent, objective.cycle) == (cast.team, okrs[1], quarter)


def test_objective_form_errors_are_422_and_keep_input(login, cast, okrs, quarter):
    client = login(cast.lead)
    url = reverse("objective_add") + f"?cycle={quarter.pk}&team={cast.team.pk}"
    response = client.post(
        url,
        {"title": "", "owner": cast.lead.pk, "visibility": "team", "state": "active", "description": "Keep me"},
        **HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert "This field is required." in body and "Keep me" in body and "<html" not in body


def test_member_may_not_create_objectives(login, cast, quarter):
    url = reverse("objective_add") + f"?cycle={quarter.pk}&team={cast.team.pk}"
    assert login(cast.member).get(url).status_code == 403


def test_add_key_results_of_three_kinds(login, cast, team_objective):
    client = login(cast.lead)
    url = reverse("key_result_add", args=[team_objective.pk])
    assert "<html" not in client.get(url, **HTMX).content.decode()
    base = {"owner": cast.lead.pk, "weight": 1, "measure": "lag"}
    assert (
        client.post(
            url,
            {
                **base,
                "title": "API p95 latency",
                "kind": "metric",
                "start_value": 800,
                "target_value": 300,
                "current_value": 350,
                "unit": "ms",
            },
        ).status_code
        == 302
    )
    assert (
        client.post(
            url, {**base, "title": "Uptime", "kind": "guardrail", "bound": 99.95, "bound_keep": "above", "unit": "%"}
        ).status_code
        == 302
    )
    response = client.post(url, {**base, "title": "PCI audit passed", "kind": "milestone"}, **HTMX)
    assert response.status_code == 200 and response["HX-Redirect"] == reverse(
        "objective_detail", args=[team_objective.pk]
    )
    krs = {kr.title: kr for kr in team_objective.key_results.all()}
    assert krs["API p95 latency"].progress == pytest.approx(0.9)
    assert krs["Uptime"].bound == 99.95 and krs["PCI audit passed"].kind == "milestone"
    settle()
    team_objective.refresh_from_db()
    assert team_objective.progress == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"kind": "metric", "start_value": 5, "target_value": 5}, "The target must differ from the start value."),
        ({"kind": "metric", "start_value": "abc", "target_value": 5}, "Enter a number."),
        ({"kind": "guardrail", "bound": ""}, "A guardrail needs the bound to keep"),
    ],
)
def test_bad_key_results_are_422_with_the_message(login, cast, team_objective, data, field_error):
    response = login(cast.lead).post(
        reverse("key_result_add", args=[team_objective.pk]),
        {"title": "Something", "weight": 1, "measure": "lag", **data},
        **HTMX,
    )
    assert response.status_code == 422
    assert field_error in response.content.decode()
    assert not KeyResult.objects.exists()


def test_key_result_page_and_edit(login, cast, team_objective):
    kr = services.key_result_create(
        objective=team_objective, title="Implement Redis caching", kind="milestone", today=TODAY
    )
    client = login(cast.member)
    body = client.get(reverse("key_result_detail", args=[kr.pk])).content.decode()
    assert "This reads like a task" in body and "Nobody owns this key result" in body
    assert client.get(reverse("key_result_edit", args=[kr.pk])).status_code == 403
    lead = login(cast.lead)
    response = lead.post(
        reverse("key_result_edit", args=[kr.pk]),
        {
            "title": "Cache hit rate",
            "kind": "metric",
            "start_value": 0,
            "target_value": 80,
            "unit": "%",
            "weight": 2,
            "measure": "lead",
            "owner": cast.member.pk,
        },
    )
    assert response.status_code == 302
    kr.refresh_from_db()
    assert (kr.title, kr.kind, kr.weight, kr.owner) == ("Cache hit rate", "metric", 2, cast.member)


def test_objective_page(login, cast, okrs, django_assert_max_num_queries):
    client = login(cast.member)
    with django_assert_max_num_queries(22):  # two of them the change history's (its events, its KRs')
        body = client.get(reverse("objective_detail", args=[okrs[1].pk])).content.decode()
    assert "Engineering ships faster" in body and "Checkout is fast" in body  # aligned below it


def test_outsider_and_invisible_get_404(login, cast, okrs, quarter):
    secret = services.objective_create(
        organisation=cast.org,
        cycle=quarter,
        team=cast.team,
        title="Secret",
        owner=cast.lead,
        visibility="private",
    )
    kr = services.key_result_create(objective=secret, title="Hidden KR", kind="milestone", today=TODAY)
    for who in (cast.outsider, cast.employee_elsewhere):
        client = login(who)
        for url in (
            reverse("objective_detail", args=[secret.pk]),
            reverse("objective_edit", args=[secret.pk]),
            reverse("key_result_detail", args=[kr.pk]),
            reverse("key_result_edit", args=[kr.pk]),
            reverse("key_result_add", args=[secret.pk]),
        ):
            assert client.get(url).status_code == 404, (who, url)
    body = (
        login(cast.employee_elsewhere)
        .get(reverse("okrs"), {"cycle": quarter.pk, "team": cast.team.pk})
        .content.decode()
    )
    assert "Secret" not in body
    assert login(cast.outsider).get(reverse("okrs"), {"cycle": quarter.pk}).status_code == 404


def test_cycles_admin_creates_starts_and_closes(login, cast, django_assert_max_num_queries):
    client = login(cast.admin)
    bad = client.post(
        reverse("cycle_list"),
        {"name": "Q1", "kind": "quarter", "start_date": "2027-03-31", "end_date": "2027-01-01"},
        **HTMX,
    )
    assert bad.status_code == 422 and "must end after it starts" in bad.content.decode()
    ok = client.post(
        reverse("cycle_list"),
        {"name": "Q1 2027", "kind": "quarter", "start_date": "2027-01-01", "end_date": "2027-03-31"},
    )
    assert ok.status_code == 302
    cycle = Cycle.objects.get(name="Q1 2027")
    client.post(reverse("cycle_transition", args=[cycle.pk, "start"]))
    cycle.refresh_from_db()
    assert cycle.state == "active"
    client.post(reverse("cycle_transition", args=[cycle.pk, "close"]))
    cycle.refresh_from_db()
    assert cycle.state == "closed"
    with django_assert_max_num_queries(10):
        assert "Q1 2027" in client.get(reverse("cycle_list")).content.decode()


def test_only_admins_manage_cycles(login, cast, quarter):
    client = login(cast.lead)
    assert "Add a cycle" not in client.get(reverse("cycle_list")).content.decode()
    assert client.post(reverse("cycle_list"), {"name": "X"}).status_code == 403
    assert client.post(reverse("cycle_transition", args=[quarter.pk, "close"])).status_code == 403
    assert login(cast.outsider).post(reverse("cycle_transition", args=[quarter.pk, "close"])).status_code == 404


def test_move_and_promote_from_the_key_result_page(login, cast, okrs):
    _company, dept, team = okrs
    kr = services.key_result_create(
        objective=team, title="Latency", start_value=800, target_value=300, current_value=550, today=TODAY
    )
    client = login(cast.lead)
    page = client.get(reverse("key_result_detail", args=[kr.pk])).content.decode()
    assert "Move key result" in page and "Promote to objective" in page
    assert client.post(reverse("key_result_move", args=[kr.pk]), {"objective": dept.pk}).status_code == 302
    kr.refresh_from_db()
    assert kr.objective == dept
    response = client.post(reverse("key_result_promote", args=[kr.pk]))
    promoted = Objective.objects.get(title="Latency")
    assert response["Location"] == reverse("objective_detail", args=[promoted.pk])
    assert promoted.parent == dept


def test_member_cannot_move_or_promote(login, cast, okrs):
    kr = services.key_result_create(objective=okrs[2], title="X", kind="milestone", today=TODAY)
    client = login(cast.member)
    assert client.post(reverse("key_result_move", args=[kr.pk]), {"objective": okrs[1].pk}).status_code == 403
    assert client.post(reverse("key_result_promote", args=[kr.pk])).status_code == 403


def test_grade_after_close_needs_a_reason_to_differ(login, cast, okrs, quarter):
    kr = services.key_result_create(
        objective=okrs[2],
        title="Latency",
        start_value=0,
        target_value=10,
        current_value=6,
        owner=cast.member,
        today=TODAY,
    )
    services.cycle_close(cycle=quarter)
    client = login(cast.member)
    assert "Save grade" in client.get(reverse("key_result_detail", args=[kr.pk])).content.decode()
    refused = client.post(reverse("key_result_grade", args=[kr.pk]), {"grade": "0.8", "grade_reason": ""})
    assert refused.status_code == 422 and "Say why the grade differs" in refused.content.decode()
    assert client.post(reverse("key_result_grade", args=[kr.pk]), {"grade": "1.5"}).status_code == 422
    ok = client.post(reverse("key_result_grade", args=[kr.pk]), {"grade": "0.8", "grade_reason": "Shipped in week 13"})
    assert ok.status_code == 302
    kr.refresh_from_db()
    assert (kr.grade, kr.grade_reason) == (0.8, "Shipped in week 13")
    assert login(cast.guest).post(reverse("key_result_grade", args=[kr.pk]), {"grade": "0"}).status_code == 403


def test_carry_over_from_the_objective_page(login, cast, okrs):
    from datetime import date

    from tests.factories import CycleFactory

    nxt = CycleFactory(
        organisation=cast.org, name="Q1 2027", state="planning", start_date=date(2027, 1, 1), end_date=date(2027, 3, 31)
    )
    services.key_result_create(
        objective=okrs[2], title="Latency", start_value=800, target_value=300, current_value=500, today=TODAY
    )
    client = login(cast.lead)
    assert "Carry over" in client.get(reverse("objective_detail", args=[okrs[2].pk])).content.decode()
    response = client.post(reverse("objective_carry_over", args=[okrs[2].pk]), {"cycle": nxt.pk})
    copy = Objective.objects.get(cycle=nxt)
    assert response["Location"] == reverse("objective_detail", args=[copy.pk])
    assert copy.key_results.get().start_value == 500


def test_closed_cycles_refuse_edits(login, cast, okrs, quarter):
    kr = services.key_result_create(objective=okrs[2], title="X", kind="milestone", today=TODAY)
    services.cycle_close(cycle=quarter)
    client = login(cast.lead)
    for url in (reverse("objective_edit", args=[okrs[2].pk]), reverse("key_result_edit", args=[kr.pk])):
        assert client.get(url).status_code == 403
    assert client.post(reverse("key_result_promote", args=[kr.pk])).status_code == 403
    assert client.post(reverse("key_result_move", args=[kr.pk]), {"objective": okrs[1].pk}).status_code == 403
    assert KeyResult.objects.filter(pk=kr.pk, objective=okrs[2]).exists()


def test_leadership_reads_team_okrs_but_writes_company_ones(login, cast, okrs, quarter):
    client = login(cast.leadership)
    assert client.get(reverse("objective_edit", args=[okrs[2].pk])).status_code == 403
    assert client.get(reverse("objective_add") + f"?cycle={quarter.pk}&team={cast.team.pk}").status_code == 403
    assert client.get(reverse("objective_add") + f"?cycle={quarter.pk}&team=company").status_code == 200


def test_odd_query_parameters_are_400_or_404_not_500(login, cast, okrs):
    client = login(cast.member)
    for params in ({"cycle": "²"}, {"team": "²"}, {"cycle": "abc"}, {"team": "5" * 5000}):
        assert client.get(reverse("okrs"), params).status_code == 400, params  # not an id
    for params in ({"team": "99999"}, {"cycle": "99999"}):
        assert client.get(reverse("okrs"), params).status_code == 404, params  # no such team or cycle


def test_an_invisible_parent_is_not_named(login, cast, quarter):
    secret = services.objective_create(
        organisation=cast.org,
        cycle=quarter,
        team=cast.other_team,
        title="Secret parent",
        owner=cast.employee_elsewhere,
        visibility="private",
    )
    child = services.objective_create(
        organisation=cast.org,
        cycle=quarter,
        team=cast.team,
        title="Visible child",
        owner=cast.employee_elsewhere,
        visibility="company",
        parent=secret,
    )
    client = login(cast.member)
    assert (
        "Secret parent" not in client.get(reverse("okrs"), {"cycle": quarter.pk, "team": cast.team.pk}).content.decode()
    )
    assert "Secret parent" not in client.get(reverse("objective_detail", args=[child.pk])).content.decode()
    # Editing the child keeps the link the editor cannot see.
    login(cast.admin).post(
        reverse("objective_edit", args=[child.pk]),
        {"title": "Visible child", "owner": cast.employee_elsewhere.pk, "visibility": "company", "state": "active"},
    )
    child.refresh_from_db()
    assert child.parent == secret


def test_guest_form_choices_stay_in_their_team(login, cast, okrs):
    kr = services.key_result_create(
        objective=okrs[2], title="Guest's KR", kind="milestone", owner=cast.guest, today=TODAY
    )
    services.health_metric_save(
        organisation=cast.org,
        team=cast.other_team,
        name="Growth secret metric",
        direction="higher",
        green_threshold=2,
        amber_threshold=1,
    )
    body = login(cast.guest).get(reverse("key_result_edit", args=[kr.pk])).content.decode()
    assert "Growth secret metric" not in body
    assert "Growth@Acme.Test" not in body and "Admin" not in body  # people outside the guest's team


def test_okrs_query_count_for_a_lead(login, cast, okrs, quarter, django_assert_max_num_queries):
    for i in range(6):
        services.objective_create(
            organisation=cast.org,
            cycle=quarter,
            team=cast.team,
            title=f"Extra {i}",
            owner=cast.lead,
            visibility="team",
        )
    client = login(cast.lead)
    with django_assert_max_num_queries(19):
        client.get(reverse("okrs"), {"cycle": quarter.pk, "team": cast.team.pk})
