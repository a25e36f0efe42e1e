"""Health-metric and value-dimension pages: full GET, htmx partial, valid POST, invalid POST (422), who may
write (403), who may see (404), counts that never reveal a private objective, and query pins."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from objectives import services
from objectives.models import HealthMetric, ValueDimension
from objectives.progress import Direction, health_light
from tests.factories import ObjectiveFactory
from tests.objectives.conftest import TODAY

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def record_reading(metric: HealthMetric, value: float, *, hours_ago: int = 3) -> None:
    """What a reading leaves on the metric: its value, when, and the light from progress.py."""
    light = health_light(
        value=value,
        direction=Direction(metric.direction),
        green=metric.green_threshold,
        amber=metric.amber_threshold,
    )
    HealthMetric.objects.filter(pk=metric.pk).update(
        latest_value=value, latest_at=timezone.now() - timedelta(hours=hours_ago), light=light.value if light else ""
    )


def page_rules(body: str) -> None:
    """What every page keeps: one h1, no inline script, no style or event-handler attributes (CSP)."""
    assert body.count("<h1") == 1
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)
    assert not re.search(r"\sstyle=", body)
    assert not re.search(r"\s(on[a-z]+|hx-on[:\w-]*)=", body)


@pytest.fixture
def metrics(cast):
    margin = services.health_metric_save(
        organisation=cast.org,
        name="Gross margin",
        unit="%",
        direction="higher",
        green_threshold=60,
        amber_threshold=50,
        description="Revenue left after the cost of sales.",
        owner=cast.leadership,
    )
    latency = services.health_metric_save(
        organisation=cast.org,
        team=cast.team,
        name="Checkout p95 latency",
        unit="ms",
        direction="lower",
        green_threshold=300,
        amber_threshold=500,
    )
    signups = services.health_metric_save(
        organisation=cast.org,
        team=cast.other_team,
        name="Weekly sign-ups",
        direction="higher",
        green_threshold=1000,
        amber_threshold=800,
    )
    theirs = services.health_metric_save(
        organisation=cast.outsider_org, name="Globex churn", direction="lower", green_threshold=2, amber_threshold=4
    )
    record_reading(margin, 55)
    record_reading(latency, 620)
    return margin, latency, signups, theirs


@pytest.fixture
def guarded(cast, quarter, metrics):
    """Key results guarded by the gross margin: one in a company objective, one in a private one."""
    margin = metrics[0]
    public = ObjectiveFactory(organisation=cast.org, cycle=quarter, owner=cast.leadership, title="Grow revenue")
    private = ObjectiveFactory(
        organisation=cast.org, cycle=quarter, owner=cast.leadership, visibility="private", title="Secret pricing"
    )
    seen = services.key_result_create(
        objective=public, title="Revenue +20 %", kind="milestone", kfis=[margin], today=TODAY
    )
    hidden = services.key_result_create(
        objective=private, title="Raise prices quietly", kind="milestone", kfis=[margin], today=TODAY
    )
    return seen, hidden


def metric_post(**changes) -> dict:
    data = {
        "name": "Checkout NPS",
        "team": "",
        "description": "How likely buyers recommend us.",
        "unit": "",
        "direction": "higher",
        "green_threshold": "40",
        "amber_threshold": "20",
        "owner": "",
    }
    return {**data, **changes}


# --- Health metric list ----------------------------------------------------------------------------


def test_health_list_groups_company_first_with_lights_and_readings(
    login, cast, metrics, guarded, django_assert_max_num_queries
):
    client = login(cast.member)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("health_metric_list"))
    body = response.content.decode()
    assert response.status_code == 200
    page_rules(body)
    assert "<title>Health metrics · Acme</title>" in body
    main = body[body.index('<main id="main"') :]  # the sidebar lists the viewer's teams too
    assert main.index("Company-wide") < main.index(">Checkout</a>") < main.index(">Growth</a>")
    assert "Globex churn" not in body
    # Light as colour and word, value with unit, relative time with the exact time on hover.
    assert 'class="status status-risk light light-amber">Amber</span>' in body
    assert 'class="status status-off light light-red">Red</span>' in body
    assert 'class="status status-stale light light-none">No reading yet</span>' in body
    assert '<span class="amount">55 %</span>' in body
    assert "3 hours ago</time>" in body and "<time datetime=" in body and 'title="' in body
    assert 'Green at <span class="amount">60 %</span> or more, amber from <span class="amount">50 %</span>' in body
    assert 'Green at <span class="amount">300 ms</span> or less, amber up to' in body
    # The member sees one of the two KRs the margin guards: the private one is not counted.
    row = body[body.index(f'id="metric-{metrics[0].pk}"') :]
    assert "1 KR<" in row[: row.index("</tr>")]
    # Members read; they neither add nor edit.
    assert "Add a health metric" not in body and "/edit/" not in body


def test_health_list_counts_what_the_viewer_may_see(login, cast, metrics, guarded):
    body = login(cast.admin).get(reverse("health_metric_list")).content.decode()
    row = body[body.index(f'id="metric-{metrics[0].pk}"') :]
    assert "2 KRs<" in row[: row.index("</tr>")]  # the admin sees the private company objective too
    assert body.count("/edit/") == 3 and "Add a health metric" in body


def test_health_list_lead_edits_only_their_teams_metrics(login, cast, metrics):
    body = login(cast.lead).get(reverse("health_metric_list")).content.decode()
    assert reverse("health_metric_edit", args=[metrics[1].pk]) in body
    assert reverse("health_metric_edit", args=[metrics[0].pk]) not in body
    assert reverse("health_metric_edit", args=[metrics[2].pk]) not in body
    assert "Add a health metric" in body


def test_guest_sees_company_wide_and_own_team_metrics_only(login, cast, metrics):
    client = login(cast.guest)
    body = client.get(reverse("health_metric_list")).content.decode()
    assert "Gross margin" in body and "Checkout p95 latency" in body
    assert "Weekly sign-ups" not in body
    assert client.get(reverse("health_metric_detail", args=[metrics[2].pk])).status_code == 404
    assert client.get(reverse("health_metric_detail", args=[metrics[1].pk])).status_code == 200


def test_other_members_see_every_team_metric(login, cast, metrics):
    body = login(cast.employee_elsewhere).get(reverse("health_metric_list")).content.decode()
    assert "Gross margin" in body and "Checkout p95 latency" in body and "Weekly sign-ups" in body


def test_a_guest_reads_no_other_teams_kfi_on_the_objective_pages(login, cast, quarter, metrics):
    """Issue 19: Growth's metric guards a KR of Checkout. Checkout's guest sees the KR but not Growth's
    metric (its page is a 404 to them): the objective and OKR pages name only the KFIs a reader may see."""
    _, latency, signups, _ = metrics
    objective = ObjectiveFactory(organisation=cast.org, cycle=quarter, team=cast.team, owner=cast.lead)
    services.key_result_create(
        objective=objective, title="Faster checkout", kind="milestone", kfis=[latency, signups], today=TODAY
    )
    pages = (
        reverse("objective_detail", args=[objective.pk]),
        f"{reverse('okrs')}?team={cast.team.pk}&cycle={quarter.pk}",
    )
    for url in pages:
        guest = login(cast.guest).get(url).content.decode()
        assert "Faster checkout" in guest and "KFI: Checkout p95 latency" in guest
        assert "Weekly sign-ups" not in guest, url
        member = login(cast.member).get(url).content.decode()
        assert "KFI: Checkout p95 latency, Weekly sign-ups" in member


@pytest.mark.parametrize(("who", "offered"), [("admin", True), ("lead", True), ("member", False)])
def test_health_list_empty_state(login, cast, who, offered):
    body = login(getattr(cast, who)).get(reverse("health_metric_list")).content.decode()
    assert "No health metrics yet" in body and "key failure indicator" in body
    assert ("Add a health metric" in body) is offered


def test_health_list_query_count_does_not_grow_with_metrics(
    login, cast, metrics, guarded, django_assert_max_num_queries
):
    for n in range(10):
        services.health_metric_save(
            organisation=cast.org,
            team=cast.team,
            name=f"Metric {n}",
            direction="higher",
            green_threshold=2,
            amber_threshold=1,
        )
    client = login(cast.lead)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("health_metric_list")).status_code == 200


# --- Health metric detail --------------------------------------------------------------------------


def test_health_detail_explains_and_lists_visible_guarded_krs(login, cast, metrics, guarded):
    seen, hidden = guarded
    response = login(cast.member).get(reverse("health_metric_detail", args=[metrics[0].pk]))
    body = response.content.decode()
    assert response.status_code == 200
    page_rules(body)
    assert "<title>Gross margin · Health metrics · Acme</title>" in body
    assert 'light-amber">Amber</span>' in body
    assert "Revenue left after the cost of sales." in body and "Boss" in body
    text = re.sub(r"<[^>]+>", "", body)
    assert "Green at 60 % or more, amber from 50 %, red below." in text
    assert f'href="/key-results/{seen.pk}/"' in body and "Revenue +20 %" in body
    assert f"/key-results/{hidden.pk}/" not in body and "Raise prices quietly" not in body
    assert "Edit" not in body.split("</h1>")[1].split("</div>")[1]  # no edit button for a member


def test_health_detail_lower_is_better_and_no_reading(login, cast, metrics):
    latency_body = login(cast.member).get(reverse("health_metric_detail", args=[metrics[1].pk])).content.decode()
    assert "Green at 300 ms or less, amber up to 500 ms, red above." in re.sub(r"<[^>]+>", "", latency_body)
    assert "No key result leans on it yet" in latency_body
    body = login(cast.member).get(reverse("health_metric_detail", args=[metrics[2].pk])).content.decode()
    assert "No reading yet" in body and "No reading has come in yet" in body


def test_health_detail_admin_sees_the_private_guarded_kr(login, cast, metrics, guarded):
    body = login(cast.admin).get(reverse("health_metric_detail", args=[metrics[0].pk])).content.decode()
    assert "Raise prices quietly" in body
    assert reverse("health_metric_edit", args=[metrics[0].pk]) in body


def test_outsider_gets_404_on_health_metrics(login, cast, metrics):
    client = login(cast.outsider)
    for metric in metrics[:3]:
        assert client.get(reverse("health_metric_detail", args=[metric.pk])).status_code == 404
        assert client.get(reverse("health_metric_edit", args=[metric.pk])).status_code == 404
        assert client.post(reverse("health_metric_edit", args=[metric.pk]), metric_post()).status_code == 404
    body = client.get(reverse("health_metric_list")).content.decode()
    assert "Globex churn" in body and "Gross margin" not in body


def test_signed_out_visitor_is_sent_to_login(client, metrics):
    response = client.get(reverse("health_metric_list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Health metric add and edit --------------------------------------------------------------------


def test_admin_adds_a_company_wide_metric(login, cast):
    client = login(cast.admin)
    response = client.get(reverse("health_metric_add"))
    body = response.content.decode()
    assert response.status_code == 200
    page_rules(body)
    assert "<title>Add a health metric · Acme</title>" in body
    assert "The whole company" in body and "Growth" in body  # admins choose any team, or none
    assert body.index("Cancel") < body.index("Add metric</button>")
    response = client.post(reverse("health_metric_add"), metric_post(unit="points", owner=cast.lead.pk), follow=True)
    metric = HealthMetric.objects.get(name="Checkout NPS")
    assert response.redirect_chain == [(reverse("health_metric_detail", args=[metric.pk]), 302)]
    assert "Health metric Checkout NPS was added." in response.content.decode()
    assert (metric.organisation, metric.team, metric.owner, metric.unit) == (cast.org, None, cast.lead, "points")
    assert (metric.green_threshold, metric.amber_threshold, metric.light) == (40, 20, "")


def test_add_metric_with_bad_thresholds_is_422_and_keeps_the_input(login, cast):
    client = login(cast.admin)
    response = client.post(reverse("health_metric_add"), metric_post(green_threshold="10", amber_threshold="20"))
    body = response.content.decode()
    assert response.status_code == 422
    assert 'value="Checkout NPS"' in body and 'value="10"' in body
    assert "must not be below the amber one" in body
    assert '<p class="error" id="id_green_threshold_error">' in body  # next to its field
    assert not HealthMetric.objects.exists()


def test_add_metric_missing_and_non_numeric_values_are_422(login, cast):
    response = login(cast.admin).post(reverse("health_metric_add"), metric_post(name="", amber_threshold="lots"))
    body = response.content.decode()
    assert response.status_code == 422
    assert "This field is required." in body and "Enter a number." in body
    assert not HealthMetric.objects.exists()


def test_add_metric_name_clash_comes_from_the_service(login, cast, metrics):
    response = login(cast.admin).post(reverse("health_metric_add"), metric_post(name="gross MARGIN"))
    assert response.status_code == 422
    assert "already exists here" in response.content.decode()
    assert HealthMetric.objects.filter(organisation=cast.org).count() == 3


def test_lead_adds_metrics_to_their_own_team_only(login, cast):
    client = login(cast.lead)
    body = client.get(reverse("health_metric_add")).content.decode()
    team_select = body[body.index('<select name="team"') :]
    team_select = team_select[: team_select.index("</select>")]
    assert "The whole company" not in team_select and "Growth" not in team_select and "Checkout" in team_select
    response = client.post(reverse("health_metric_add"), metric_post(team=cast.team.pk))
    assert response.status_code == 302
    assert HealthMetric.objects.get(name="Checkout NPS").team == cast.team
    for team in ("", cast.other_team.pk, cast.outsider_team.pk):
        response = client.post(reverse("health_metric_add"), metric_post(name="Other", team=team))
        assert response.status_code == 422
    assert not HealthMetric.objects.filter(name="Other").exists()


@pytest.mark.parametrize("who", ["leadership", "member", "guest"])
def test_non_leads_cannot_write_health_metrics(login, cast, metrics, who):
    client = login(getattr(cast, who))
    assert client.get(reverse("health_metric_add")).status_code == 403
    assert client.post(reverse("health_metric_add"), metric_post()).status_code == 403
    assert client.get(reverse("health_metric_edit", args=[metrics[1].pk])).status_code == 403
    response = client.post(reverse("health_metric_edit", args=[metrics[1].pk]), metric_post(team=cast.team.pk))
    assert response.status_code == 403
    assert not HealthMetric.objects.filter(name="Checkout NPS").exists()


def test_lead_edits_their_teams_metric_but_not_another(login, cast, metrics):
    margin, latency, signups, _ = metrics
    client = login(cast.lead)
    response = client.get(reverse("health_metric_edit", args=[latency.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    page_rules(body)
    assert "<title>Edit Checkout p95 latency · Acme</title>" in body
    assert 'value="Checkout p95 latency"' in body and 'value="300.0"' in body
    changes = metric_post(name="Checkout p95", team=cast.team.pk, unit="ms", direction="lower")
    changes.update(green_threshold="250", amber_threshold="400")
    response = client.post(reverse("health_metric_edit", args=[latency.pk]), changes)
    assert response.status_code == 302
    assert response["Location"] == reverse("health_metric_detail", args=[latency.pk])
    latency.refresh_from_db()
    assert (latency.name, latency.green_threshold, latency.amber_threshold) == ("Checkout p95", 250, 400)
    assert latency.light == "red"  # the stored reading of 620 ms against the new thresholds
    for other in (margin, signups):
        assert client.get(reverse("health_metric_edit", args=[other.pk])).status_code == 403
        assert client.post(reverse("health_metric_edit", args=[other.pk]), changes).status_code == 403


def test_edit_metric_invalid_post_is_422_and_saves_nothing(login, cast, metrics):
    latency = metrics[1]
    client = login(cast.admin)
    changes = metric_post(name="Renamed", team=cast.team.pk, direction="lower", green_threshold="600")
    changes["amber_threshold"] = "500"
    response = client.post(reverse("health_metric_edit", args=[latency.pk]), changes)
    body = response.content.decode()
    assert response.status_code == 422
    assert 'value="Renamed"' in body and "must not be above the amber one" in body
    assert "<h1>Edit Checkout p95 latency</h1>" in body
    latency.refresh_from_db()
    assert (latency.name, latency.green_threshold) == ("Checkout p95 latency", 300)


def test_admin_moves_a_metric_company_wide(login, cast, metrics):
    latency = metrics[1]
    changes = metric_post(name=latency.name, direction="lower", green_threshold="300", amber_threshold="500")
    response = login(cast.admin).post(reverse("health_metric_edit", args=[latency.pk]), changes)
    assert response.status_code == 302
    latency.refresh_from_db()
    assert latency.team is None


# --- Value dimensions ------------------------------------------------------------------------------


@pytest.fixture
def dimensions(cast, quarter):
    customer = services.value_dimension_save(organisation=cast.org, name="Customer value", description="They love it")
    growth = services.value_dimension_save(organisation=cast.org, name="Growth")
    efficiency = services.value_dimension_save(organisation=cast.org, name="Efficiency")
    services.value_dimension_save(organisation=cast.outsider_org, name="Globex value")
    make = ObjectiveFactory
    make(organisation=cast.org, cycle=quarter, owner=cast.leadership, value_dimension=customer)
    make(organisation=cast.org, cycle=quarter, owner=cast.admin, value_dimension=customer, visibility="company")
    # Growth is named only by a private company objective and a team objective: neither counts.
    make(organisation=cast.org, cycle=quarter, owner=cast.leadership, value_dimension=growth, visibility="private")
    make(organisation=cast.org, cycle=quarter, team=cast.team, owner=cast.lead, value_dimension=growth)
    return customer, growth, efficiency


def row_of(body: str, dimension: ValueDimension) -> str:
    start = body.index(f'id="dimension-{dimension.pk}"')
    return body[start : body.index("</tr>", start)]


def test_value_dimension_list(login, cast, dimensions, django_assert_max_num_queries):
    customer, _, efficiency = dimensions
    client = login(cast.member)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("value_dimension_list"))
    body = response.content.decode()
    assert response.status_code == 200
    page_rules(body)
    assert "<title>Value dimensions · Acme</title>" in body
    assert (
        body.index("<strong>Customer value") < body.index("<strong>Growth</strong>") < body.index("<strong>Efficiency")
    )  # by position
    assert "They love it" in body and "Globex value" not in body
    assert "2 company objectives" in row_of(body, customer)
    assert "No objective feeds this dimension" in row_of(body, efficiency)
    assert "Add a value dimension" not in body and "/edit/" not in body  # members read


def test_value_dimension_counts_never_reveal_a_private_objective(login, cast, dimensions):
    growth = dimensions[1]
    for who in ("admin", "leadership", "member"):  # the private objective's owner and admins alike
        body = login(getattr(cast, who)).get(reverse("value_dimension_list")).content.decode()
        assert "No objective feeds this dimension" in row_of(body, growth)
        assert "company objective" not in row_of(body, growth)


def test_value_dimension_list_empty_state(login, cast):
    body = login(cast.member).get(reverse("value_dimension_list")).content.decode()
    assert "No value dimensions yet" in body and "A company admin sets them up." in body
    assert "Add a value dimension" in login(cast.admin).get(reverse("value_dimension_list")).content.decode()


def test_value_dimension_list_query_count_is_flat(login, cast, dimensions, django_assert_max_num_queries):
    for n in range(10):
        services.value_dimension_save(organisation=cast.org, name=f"Pillar {n}")
    client = login(cast.admin)
    with django_assert_max_num_queries(9):
        assert client.get(reverse("value_dimension_list")).status_code == 200


def test_admin_adds_a_dimension_without_htmx(login, cast, dimensions):
    client = login(cast.admin)
    body = client.get(reverse("value_dimension_list")).content.decode()
    assert "Add a value dimension" in body and 'hx-post="/value-dimensions/"' in body
    response = client.post(reverse("value_dimension_list"), {"name": "Learning", "description": "We grow"}, follow=True)
    assert response.redirect_chain == [(reverse("value_dimension_list"), 302)]
    assert "Value dimension Learning was added." in response.content.decode()
    added = ValueDimension.objects.get(organisation=cast.org, name="Learning")
    assert (added.description, added.position) == ("We grow", 3)


def test_admin_adds_a_dimension_over_htmx(login, cast, dimensions):
    response = login(cast.admin).post(reverse("value_dimension_list"), {"name": "Learning"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.strip().startswith('<section id="dimensions"') and "<html" not in body
    assert "✓ Learning was added." in body and "Learning</strong>" in body
    assert 'name="name" maxlength="80" required id="id_name">' in body  # a fresh, empty form
    assert ValueDimension.objects.filter(organisation=cast.org, name="Learning").exists()


def test_htmx_get_returns_only_the_list_section(login, cast, dimensions):
    body = login(cast.member).get(reverse("value_dimension_list"), **HTMX).content.decode()
    assert body.strip().startswith('<section id="dimensions"') and "<html" not in body


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_add_dimension_invalid_is_422_next_to_the_field(login, cast, dimensions, headers):
    response = login(cast.admin).post(
        reverse("value_dimension_list"), {"name": "growth", "description": "Kept"}, **headers
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert '<p class="error" id="id_name_error">A value dimension with this name already exists.</p>' in body
    assert 'value="growth"' in body and 'value="Kept"' in body
    assert ("<html" in body) is (not headers)
    assert ValueDimension.objects.filter(organisation=cast.org).count() == 3


@pytest.mark.parametrize("who", ["leadership", "lead", "member", "guest"])
def test_only_admins_write_value_dimensions(login, cast, dimensions, who):
    client = login(getattr(cast, who))
    customer = dimensions[0]
    assert client.post(reverse("value_dimension_list"), {"name": "Sneaky"}).status_code == 403
    assert client.get(reverse("value_dimension_edit", args=[customer.pk])).status_code == 403
    assert client.post(reverse("value_dimension_edit", args=[customer.pk]), {"name": "Sneaky"}).status_code == 403
    assert not ValueDimension.objects.filter(name="Sneaky").exists()


def test_admin_edits_a_dimension(login, cast, dimensions):
    customer = dimensions[0]
    client = login(cast.admin)
    response = client.get(reverse("value_dimension_edit", args=[customer.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    page_rules(body)
    assert "<title>Edit Customer value · Value dimensions · Acme</title>" in body
    assert 'value="Customer value"' in body and body.index("Cancel") < body.index("Save dimension")
    response = client.post(
        reverse("value_dimension_edit", args=[customer.pk]), {"name": "Customer delight", "description": "Wow"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("value_dimension_list")
    customer.refresh_from_db()
    assert (customer.name, customer.description, customer.objectives.count()) == ("Customer delight", "Wow", 2)


def test_edit_dimension_invalid_is_422_and_saves_nothing(login, cast, dimensions):
    customer = dimensions[0]
    client = login(cast.admin)
    for data, message in [
        ({"name": "GROWTH", "description": "Kept"}, "A value dimension with this name already exists."),
        ({"name": "", "description": "Kept"}, "This field is required."),
    ]:
        response = client.post(reverse("value_dimension_edit", args=[customer.pk]), data)
        body = response.content.decode()
        assert response.status_code == 422
        assert f'<p class="error" id="id_name_error">{message}</p>' in body
        assert 'value="Kept"' in body and "<h1>Edit Customer value</h1>" in body
    customer.refresh_from_db()
    assert (customer.name, customer.description) == ("Customer value", "They love it")


def test_outsider_gets_404_on_value_dimensions(login, cast, dimensions):
    client = login(cast.outsider)
    for dimension in dimensions:
        assert client.get(reverse("value_dimension_edit", args=[dimension.pk])).status_code == 404
        assert client.post(reverse("value_dimension_edit", args=[dimension.pk]), {"name": "X"}).status_code == 404
    body = client.get(reverse("value_dimension_list")).content.decode()
    assert "Globex value" in body and "Customer value" not in body
