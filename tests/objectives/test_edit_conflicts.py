"""Two people editing the same objective or key result: the second save is told who changed it and
what, and overwrites nothing until saved again."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from objectives import services
from objectives.models import KeyResult, Objective
from tests.conftest import TODAY

pytestmark = pytest.mark.django_db


def signed_in(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def version_in(body: str) -> str:
    found = re.search(r'name="version" value="([^"]+)"', body)
    assert found, "the form carries its version"
    return html.unescape(found.group(1))


def objective_post(objective: Objective, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": objective.title,
        "description": objective.description,
        "owner": objective.owner_id,
        "visibility": objective.visibility,
        "state": objective.state,
        "parent": objective.parent_id or "",
    }
    return data | changes


def test_saving_over_a_newer_objective_shows_theirs_and_yours_and_saves_nothing(cast, okrs):
    objective = okrs[2]
    url = reverse("objective_edit", args=[objective.pk])
    lead, admin = signed_in(cast.lead), signed_in(cast.admin)
    opened = version_in(lead.get(url).content.decode())

    # Meanwhile the admin renames it.
    theirs = admin.post(
        url, objective_post(objective, title="Checkout is instant", version=version_in(admin.get(url).content.decode()))
    )
    assert theirs.status_code == 302

    # The lead, on the page opened before, changes the description and keeps the old title.
    mine = objective_post(objective, description="Every page under a second.", version=opened)
    refused = lead.post(url, mine)
    body = refused.content.decode()
    assert refused.status_code == 422
    assert "Changed by Admin since you opened it" in body
    assert "Theirs: Checkout is instant — yours: Checkout is fast" in html.unescape(body)
    assert body.count("Theirs:") == 1  # the description is the lead's change alone: no conflict
    assert "Every page under a second." in body  # the lead's input stays in the form
    objective.refresh_from_db()
    assert (objective.title, objective.description) == ("Checkout is instant", "")

    # Saving again, having seen theirs, is a choice: it goes through.
    again = lead.post(url, mine | {"version": version_in(body)})
    assert again.status_code == 302
    objective.refresh_from_db()
    assert (objective.title, objective.description) == ("Checkout is fast", "Every page under a second.")


def test_a_change_made_to_what_the_form_sends_is_no_conflict(cast, okrs):
    objective = okrs[2]
    url = reverse("objective_edit", args=[objective.pk])
    lead = signed_in(cast.lead)
    opened = version_in(lead.get(url).content.decode())
    Objective.objects.filter(pk=objective.pk).update(title="Checkout is instant")
    response = lead.post(url, objective_post(objective, title="Checkout is instant", version=opened))
    assert response.status_code == 302


def kr_post(kr: KeyResult, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": kr.title,
        "kind": kr.kind,
        "owner": kr.owner_id or "",
        "unit": kr.unit,
        "start_value": kr.start_value,
        "target_value": kr.target_value,
        "current_value": kr.current_value,
        "weight": kr.weight,
        "measure": kr.measure,
    }
    return data | changes


def test_a_check_in_while_the_key_result_form_is_open_is_not_overwritten(cast, okrs):
    kr = services.key_result_create(
        objective=okrs[2],
        title="API p95 latency",
        start_value=800,
        target_value=300,
        unit="ms",
        owner=cast.member,
        today=TODAY,
    )
    url = reverse("key_result_edit", args=[kr.pk])
    lead, member = signed_in(cast.lead), signed_in(cast.member)
    opened = version_in(lead.get(url).content.decode())
    prefix = f"kr{kr.pk}"
    checked_in = member.post(
        reverse("checkin_row", args=[kr.pk]), {f"{prefix}-value": "550", f"{prefix}-confidence": "0.7"}
    )
    assert checked_in.status_code == 302

    refused = lead.post(url, kr_post(kr, target_value=250, version=opened))
    body = html.unescape(refused.content.decode())
    assert refused.status_code == 422
    assert "Changed by Member since you opened it" in body
    assert "Theirs: 550 — yours: 800" in body  # the check-in moved the current value
    kr.refresh_from_db()
    assert (kr.current_value, kr.target_value) == (550, 300)

    # The same person in a second tab is named as such.
    tab_one = version_in(lead.get(url).content.decode())
    assert (
        lead.post(
            url, kr_post(kr, current_value=550, title="API p95", version=version_in(lead.get(url).content.decode()))
        ).status_code
        == 302
    )
    kr.refresh_from_db()
    again = lead.post(url, kr_post(kr, title="API p95 latency (web)", version=tab_one))
    assert again.status_code == 422
    assert "Changed by you, in another tab or window, since you opened it" in again.content.decode()
