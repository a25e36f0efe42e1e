"""Stretch and committed: one rule (a KR is stretch if it or its objective is marked), read by grading,
the pages, the cascade's ambition filter, the API and the export/import."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from objectives import progress as p
from objectives import services
from objectives.models import KeyResult, Objective
from objectives.services.exchange import cycle_export, cycle_import
from okrapp.http import Viewer

# --- The rule, without a database --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kr_stretch", "objective_stretch", "stretch", "success_at_0_7", "success_at_0_69", "success_at_1"),
    [
        (False, False, False, False, False, True),  # committed: met means 1.0
        (True, False, True, True, False, True),  # the KR is marked
        (False, True, True, True, False, True),  # its objective is marked: all its KRs read as stretch
        (True, True, True, True, False, True),
    ],
)
def test_the_stretch_rule_and_its_success_thresholds(
    kr_stretch, objective_stretch, stretch, success_at_0_7, success_at_0_69, success_at_1
):
    effective = p.is_stretch(key_result_stretch=kr_stretch, objective_stretch=objective_stretch)
    assert effective is stretch
    assert p.grade_is_success(0.7, stretch=effective) is success_at_0_7
    assert p.grade_is_success(0.69, stretch=effective) is success_at_0_69
    assert p.grade_is_success(1.0, stretch=effective) is success_at_1


# --- With the database -------------------------------------------------------------------------------


def _kr(objective: Objective, title: str, **fields) -> KeyResult:
    return services.key_result_create(
        objective=objective, title=title, owner=objective.owner, start_value=0, target_value=10, **fields
    )


@pytest.fixture
def ambitions(cast, quarter):
    """A stretch objective with one KR; a committed objective with a stretch KR and a committed KR."""
    bold = services.objective_create(
        organisation=cast.org,
        cycle=quarter,
        team=cast.team,
        title="Bold bets",
        owner=cast.lead,
        state="active",
        stretch=True,
    )
    steady = services.objective_create(
        organisation=cast.org, cycle=quarter, team=cast.team, title="Steady growth", owner=cast.lead, state="active"
    )
    return {
        "bold": bold,
        "steady": steady,
        "bold_kr": _kr(bold, "Ten pilots"),
        "stretch_kr": _kr(steady, "Double signups", stretch=True),
        "committed_kr": _kr(steady, "Keep churn flat"),
    }


@pytest.mark.django_db
def test_reads_as_stretch_follows_the_rule(ambitions):
    assert [
        KeyResult.objects.select_related("objective").get(pk=ambitions[k].pk).reads_as_stretch
        for k in ("bold_kr", "stretch_kr", "committed_kr")
    ] == [True, True, False]


@pytest.mark.django_db
def test_grades_at_close_read_success_by_the_effective_ambition(login, cast, quarter, ambitions):
    grades = {ambitions[k].pk: (0.7, "Closed at seven of ten") for k in ("bold_kr", "stretch_kr", "committed_kr")}
    services.cycle_close(cycle=quarter, grades=grades)
    client = login(cast.lead)
    inherited = client.get(reverse("key_result_detail", args=[ambitions["bold_kr"].pk])).content.decode()
    assert 'class="status status-ok">Success</span>' in inherited  # stretch by its objective: 0.7 succeeds
    assert "a stretch because its objective is" in inherited
    marked = client.get(reverse("key_result_detail", args=[ambitions["stretch_kr"].pk])).content.decode()
    assert 'class="status status-ok">Success</span>' in marked
    committed = client.get(reverse("key_result_detail", args=[ambitions["committed_kr"].pk])).content.decode()
    assert "Success</span>" not in committed
    assert "below success (1.0 for a committed one)" in committed
    assert '<span class="tag tag-committed"' in committed
    api = client.get("/api/v1/key-results/", {"cycle": quarter.pk}).json()["results"]
    by_id = {row["id"]: row for row in api}
    assert [
        (by_id[ambitions[k].pk]["reads_as_stretch"], by_id[ambitions[k].pk]["grade_success"])
        for k in ("bold_kr", "stretch_kr", "committed_kr")
    ] == [(True, True), (True, True), (False, False)]


@pytest.mark.django_db
def test_lists_tag_stretch_in_words(login, cast, quarter, ambitions):
    client = login(cast.lead)
    page = client.get(reverse("okrs"), {"cycle": quarter.pk, "team": cast.team.pk}).content.decode()
    # The stretch objective, its KR and the marked KR: three tags; the committed ones are not tagged here.
    assert page.count('<span class="tag tag-stretch"') == 3
    assert "tag-committed" not in page
    team_page = client.get(reverse("team_detail", args=[cast.team.pk])).content.decode()
    assert team_page.count('<span class="tag tag-stretch"') == 3
    week = client.get(reverse("my_week")).content.decode()
    assert week.count('<span class="tag tag-stretch"') == 2  # the lead owns all three KRs; two are stretch
    detail = client.get(reverse("objective_detail", args=[ambitions["steady"].pk])).content.decode()
    assert '<span class="tag tag-committed"' in detail  # the objective itself, on its own page
    assert detail.count('<span class="tag tag-stretch"') == 1  # its one stretch KR


# --- Forms -------------------------------------------------------------------------------------------


def _objective_post(objective: Objective, **overrides) -> dict:
    return {
        "title": objective.title,
        "description": "",
        "owner": objective.owner_id,
        "visibility": objective.visibility,
        "state": objective.state,
        "parent": "",
        "value_dimension": "",
    } | overrides


@pytest.mark.django_db
def test_objective_form_offers_stretch_with_its_hint_and_saves_it(login, cast, quarter, ambitions):
    steady = ambitions["steady"]
    client = login(cast.lead)
    url = reverse("objective_edit", args=[steady.pk])
    page = client.get(url).content.decode()
    assert "Stretch objective" in page and "Ambitious on purpose: 0.7 at the end is a success." in page
    partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Stretch objective" in partial and "<html" not in partial
    response = client.post(url, _objective_post(steady, stretch="on"))
    assert response.status_code == 302
    steady.refresh_from_db()
    assert steady.stretch is True
    refused = client.post(url, _objective_post(steady, title="", stretch=""))
    assert refused.status_code == 422
    steady.refresh_from_db()
    assert steady.stretch is True and steady.title == "Steady growth"  # nothing saved
    new = client.post(
        f"{reverse('objective_add')}?cycle={quarter.pk}&team={cast.team.pk}",
        _objective_post(steady, title="Moonshot", stretch="on"),
    )
    assert new.status_code == 302
    assert Objective.objects.get(title="Moonshot").stretch is True


@pytest.mark.django_db
def test_key_result_form_says_when_stretch_is_inherited(login, cast, ambitions):
    client = login(cast.lead)
    inherited = client.get(reverse("key_result_add", args=[ambitions["bold"].pk])).content.decode()
    assert "Stretch (inherited from the objective)" in inherited
    own = client.get(reverse("key_result_edit", args=[ambitions["committed_kr"].pk])).content.decode()
    assert "Stretch goal" in own and "inherited from the objective" not in own


# --- The cascade's ambition filter --------------------------------------------------------------------


def _set(kr: KeyResult, status: str, confidence: float) -> None:
    KeyResult.objects.filter(pk=kr.pk).update(status=status, confidence=confidence)


@pytest.mark.django_db
def test_cascade_filters_by_ambition_and_its_figures_follow(login, cast, quarter, ambitions):
    _set(ambitions["bold_kr"], "on_track", 0.8)
    _set(ambitions["stretch_kr"], "at_risk", 0.5)
    _set(ambitions["committed_kr"], "on_track", 0.9)
    client = login(cast.leadership)
    url = reverse("cascade")

    def figures(ambition: str) -> tuple[int, int, float | None]:
        response = client.get(
            url,
            {
                "cycle": quarter.pk,
                "ambition": ambition,
                "open": f"o{ambitions['bold'].pk},o{ambitions['steady'].pk}",
            },
        )
        assert response.status_code == 200
        f = response.context["cascade"].figures
        return f.key_results, f.on_track, f.confidence.now

    # By hand: all three KRs, two on track, confidence (0.8 + 0.5 + 0.9) / 3 = 0.7333.
    total, on_track, confidence = figures("")
    assert (total, on_track) == (3, 2) and confidence == pytest.approx(2.2 / 3)
    # Stretch: Ten pilots (by its objective) and Double signups: one on track, (0.8 + 0.5) / 2 = 0.65.
    total, on_track, confidence = figures("stretch")
    assert (total, on_track) == (2, 1) and confidence == pytest.approx(0.65)
    # Committed: Keep churn flat alone.
    total, on_track, confidence = figures("committed")
    assert (total, on_track) == (1, 1) and confidence == pytest.approx(0.9)

    stretch_page = client.get(
        url, {"cycle": quarter.pk, "ambition": "stretch", "open": f"o{ambitions['steady'].pk}"}
    ).content.decode()
    assert "Double signups" in stretch_page and "Keep churn flat" not in stretch_page
    assert '<option value="stretch" selected>' in stretch_page
    committed_page = client.get(url, {"cycle": quarter.pk, "ambition": "committed"}).content.decode()
    assert "Bold bets" not in committed_page and "Steady growth" in committed_page
    assert '<span class="tag tag-committed"' in committed_page  # shown where the filter makes it useful
    # An unknown value is dropped, never an error page.
    assert figures("bogus")[0] == 3


@pytest.mark.django_db
def test_cascade_ambition_filter_query_count_does_not_grow(
    login, cast, quarter, ambitions, django_assert_max_num_queries
):
    client = login(cast.leadership)
    params = {"cycle": quarter.pk, "ambition": "stretch", "open": f"o{ambitions['steady'].pk},o{ambitions['bold'].pk}"}
    client.get(reverse("cascade"), params)
    with django_assert_max_num_queries(40) as few:
        client.get(reverse("cascade"), params)
    for i in range(5):
        _kr(ambitions["steady"], f"More stretch {i}", stretch=True)
        _kr(ambitions["bold"], f"More bold {i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("cascade"), params)


# --- API and export ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_objective_stretch_reads_and_writes(login, cast, ambitions):
    client = login(cast.lead)
    url = f"/api/v1/objectives/{ambitions['steady'].pk}/"
    assert client.get(url).json()["stretch"] is False
    assert client.get(f"/api/v1/objectives/{ambitions['bold'].pk}/").json()["stretch"] is True
    response = client.patch(url, {"stretch": True}, content_type="application/json")
    assert response.status_code == 200 and response.json()["stretch"] is True
    ambitions["steady"].refresh_from_db()
    assert ambitions["steady"].stretch is True
    refused = client.patch(url, {"stretch": "maybe"}, content_type="application/json")
    assert refused.status_code == 400
    kr = client.patch(
        f"/api/v1/key-results/{ambitions['committed_kr'].pk}/", {"stretch": True}, content_type="application/json"
    )
    assert kr.status_code == 200 and kr.json()["stretch"] is True


@pytest.mark.django_db
def test_export_import_round_trips_stretch(cast, quarter, ambitions):
    viewer = Viewer.load(cast.lead.user)
    assert viewer is not None
    rows = cycle_export(viewer, quarter)
    by_title = {row["objective"]: row for row in rows}
    assert by_title["Bold bets"]["stretch"] is True and by_title["Steady growth"]["stretch"] is False
    assert [kr["stretch"] for kr in by_title["Steady growth"]["key_results"]] == [True, False]
    next_quarter = type(quarter).objects.create(
        organisation=cast.org,
        name="Q1 2027",
        kind="quarter",
        start_date=quarter.end_date.replace(year=2027, month=1, day=1),
        end_date=quarter.end_date.replace(year=2027, month=3, day=31),
        state="planning",
    )
    created = cycle_import(viewer, next_quarter, rows)
    again = {o.title: o for o in created}
    assert again["Bold bets"].stretch is True and again["Steady growth"].stretch is False
    assert [kr.stretch for kr in again["Steady growth"].key_results.order_by("position", "pk")] == [True, False]
    assert cycle_export(viewer, next_quarter) == rows
    with pytest.raises(ValidationError) as refused:
        cycle_import(viewer, next_quarter, [dict(rows[0], stretch="yes")])
    assert "0.stretch" in str(refused.value)
