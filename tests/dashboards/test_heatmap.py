"""The heatmap: weeks from the daily snapshots, this week live; private objectives out of aggregates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from checkins import services as checkin_services
from checkins.weeks import week_of
from dashboards import heatmap
from objectives import services as objective_services
from objectives.services.snapshots import snapshots_take
from okrapp.http import Viewer
from okrapp.timeutil import org_today
from tests.conftest import settle

pytestmark = pytest.mark.django_db


def _checked_in(cast, okrs, *, title="Conversion", value=4, confidence=0.8, weeks_ago=(2, 0)):
    kr = objective_services.key_result_create(
        objective=okrs[2], title=title, start_value=0, target_value=10, owner=cast.member, today=org_today(cast.org)
    )
    today = org_today(cast.org)
    for ago in weeks_ago:
        day = today - timedelta(weeks=ago)
        checkin_services.checkin_save(
            viewer=Viewer.load(cast.member.user),
            key_result=kr,
            value=value,
            confidence=confidence,
            today=day,
            week=week_of(day),
        )
    settle(today=today)
    snapshots_take(organisation=cast.org)
    return kr


def test_heatmap_cells_come_from_snapshots_and_live_state(login, cast, okrs):
    kr = _checked_in(cast, okrs, confidence=0.3)  # below 0.4: off track whatever the progress
    client = login(cast.member)
    page = client.get(reverse("heatmap")).content.decode()
    this_week = week_of(org_today(cast.org))
    two_ago = this_week - timedelta(weeks=2)
    assert f"Week of {two_ago:%a} {two_ago.day} {two_ago:%b}: off track, confidence 0.3" in page
    assert "heat heat-off" in page and "Checkout" in page and "Conversion" not in page  # KR rows open on demand
    rows = client.get(reverse("heatmap_rows"), {"objective": okrs[2].pk}, headers={"HX-Request": "true"})
    assert rows.status_code == 200
    html = rows.content.decode()
    assert "<html" not in html and 'class="heat-kr"' in html and "Conversion" in html
    assert f'href="/key-results/{kr.pk}/#week-{this_week:%Y-%m-%d}"' in html
    assert f"Week of {two_ago:%a} {two_ago.day} {two_ago:%b}: off track, confidence 0.3" in html
    everything = client.get(reverse("heatmap"), {"expand": "all"}).content.decode()
    assert f'href="/key-results/{kr.pk}/#week-{this_week:%Y-%m-%d}"' in everything


def test_a_large_heatmap_opens_a_teams_objectives_on_demand(login, cast, okrs, monkeypatch):
    """Past INLINE_OBJECTIVES the page has only the company's and the teams' rows; a team's row loads
    its objectives' rows in place."""
    _checked_in(cast, okrs, confidence=0.3)
    monkeypatch.setattr(heatmap, "INLINE_OBJECTIVES", 0)
    client = login(cast.member)
    page = client.get(reverse("heatmap")).content.decode()
    assert 'class="heat-team"' in page and 'class="heat-objective"' not in page
    assert f"team={cast.team.pk}" in page
    rows = client.get(reverse("heatmap_rows"), {"team": cast.team.pk}, headers={"HX-Request": "true"})
    html = rows.content.decode()
    assert rows.status_code == 200 and 'class="heat-objective"' in html and okrs[2].title in html
    assert 'class="heat-team"' not in html


def test_heatmap_rows_refuse_what_the_viewer_may_not_see(login, cast, okrs, quarter):
    secret = objective_services.objective_create(
        organisation=cast.org,
        cycle=quarter,
        team=cast.team,
        title="Secret plan",
        owner=cast.lead,
        visibility="private",
        state="active",
    )
    client = login(cast.member)
    assert client.get(reverse("heatmap_rows"), {"objective": secret.pk}).status_code == 404
    assert client.get(reverse("heatmap_rows"), {"team": "nonsense"}).status_code == 400  # not an id
    assert client.get(reverse("heatmap_rows"), {"team": cast.outsider_team.pk, "cycle": quarter.pk}).status_code == 404
    team_rows = client.get(reverse("heatmap_rows"), {"team": cast.team.pk, "cycle": quarter.pk}).content.decode()
    assert "Secret plan" not in team_rows
    assert login(cast.outsider).get(reverse("heatmap_rows"), {"objective": okrs[2].pk}).status_code == 404


def test_private_objectives_stay_out_of_team_rows(login, cast, okrs, quarter):
    secret = objective_services.objective_create(
        organisation=cast.org,
        cycle=quarter,
        team=cast.team,
        title="Secret plan",
        owner=cast.lead,
        visibility="private",
        state="active",
    )
    hidden = objective_services.key_result_create(
        objective=secret, title="Hidden", start_value=0, target_value=10, owner=cast.lead, today=org_today(cast.org)
    )
    checkin_services.checkin_save(
        viewer=Viewer.load(cast.lead.user), key_result=hidden, value=1, confidence=0.1, today=org_today(cast.org)
    )
    _checked_in(cast, okrs, confidence=0.9, value=9)
    member_page = login(cast.member).get(reverse("heatmap")).content.decode()
    assert "Secret plan" not in member_page
    team_row = member_page.split('class="heat-team"')[-1].split("</tr>")[0]  # Checkout's row
    assert "heat-off" not in team_row  # the private objective's off-track week does not colour it


def test_heatmap_query_count_does_not_grow(login, cast, okrs):
    _checked_in(cast, okrs)
    client = login(cast.member)
    client.get(reverse("heatmap"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("heatmap") + "?expand=all")
    with CaptureQueriesContext(connection) as few_rows:
        client.get(reverse("heatmap_rows"), {"objective": okrs[2].pk})
    for i in range(5):
        _checked_in(cast, okrs, title=f"KR {i}")
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("heatmap") + "?expand=all").status_code == 200
    with CaptureQueriesContext(connection) as many_rows:
        client.get(reverse("heatmap_rows"), {"objective": okrs[2].pk})
    assert len(many) == len(few)
    assert len(many_rows) == len(few_rows)
