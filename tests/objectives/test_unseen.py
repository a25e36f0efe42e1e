"""Writes keep what the writer cannot see (objectives.services.unseen): whatever the door (PUT, PATCH,
the page's form), a parent, contributions, contributors, KFIs, a theme's objectives and a sprint's
focus key results that the writer may not see stay as they were; the writer changes only what they see."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from backlog import services as backlog_services
from backlog import sprints
from history.selectors import key_result_timeline, objective_timeline
from objectives import services
from objectives.models import Cycle, KeyResult, Objective
from okrapp.http import Viewer
from okrapp.models import Membership
from okrapp.tokens import api_token_create
from tests.conftest import TODAY
from tests.factories import CycleFactory

pytestmark = pytest.mark.django_db


def api_client(membership: Membership) -> APIClient:
    api = APIClient()
    _token, secret = api_token_create(membership=membership, name="test")
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return api


def viewer(membership: Membership) -> Viewer:
    found = Viewer.load(membership.user)
    assert found is not None
    return found


class Aligned:
    """Growth's private objective and its KR (the admin may not see them), and a company objective the
    admin may edit, aligned to the private one and contributing to its KR and to a visible one."""

    def __init__(self, cast, quarter, okrs) -> None:
        self.private = services.objective_create(
            organisation=cast.org,
            cycle=quarter,
            team=cast.other_team,
            title="Secret acquisition",
            owner=cast.employee_elsewhere,
            visibility="private",
            state="active",
        )
        self.hidden_kr = services.key_result_create(
            objective=self.private, title="Initech signs", kind="milestone", today=TODAY
        )
        self.seen_kr = services.key_result_create(
            objective=okrs[0], title="NPS", start_value=30, target_value=50, today=TODAY
        )
        self.other_kr = services.key_result_create(
            objective=okrs[1], title="Lead time", start_value=10, target_value=5, today=TODAY
        )
        self.objective = services.objective_create(
            organisation=cast.org,
            cycle=quarter,
            team=cast.other_team,
            title="Growth grows",
            owner=cast.employee_elsewhere,
            visibility="company",
            state="active",
            parent=self.private,
            contributes_to=[self.hidden_kr, self.seen_kr],
        )

    def stored(self) -> tuple[int | None, set[int]]:
        objective = Objective.objects.get(pk=self.objective.pk)
        return objective.parent_id, set(objective.contributes_to.values_list("pk", flat=True))


@pytest.fixture
def aligned(cast, quarter, okrs) -> Aligned:
    return Aligned(cast, quarter, okrs)


def test_the_admin_cannot_see_the_private_objective(cast, aligned):
    api = api_client(cast.admin)
    assert api.get(f"/api/v1/objectives/{aligned.private.pk}/").status_code == 404
    read = api.get(f"/api/v1/objectives/{aligned.objective.pk}/").json()
    assert read["parent"] is None and read["contributes_to"] == [aligned.seen_kr.pk]


def test_a_put_of_what_was_read_keeps_what_the_writer_cannot_see(cast, aligned):
    """Finding 3: an admin PUTs back the objective as read (parent null, contributions without the
    hidden KR): the parent and the hidden contribution stay, and the history shows no removal."""
    api = api_client(cast.admin)
    url = f"/api/v1/objectives/{aligned.objective.pk}/"
    read = api.get(url).json()
    response = api.put(url, read, format="json")
    assert response.status_code == 200, response.json()
    assert aligned.stored() == (aligned.private.pk, {aligned.hidden_kr.pk, aligned.seen_kr.pk})
    assert response.json()["parent"] is None and response.json()["contributes_to"] == [aligned.seen_kr.pk]
    timeline = objective_timeline(viewer(cast.employee_elsewhere), aligned.objective)
    assert [
        e for e in timeline.entries if e.summary == "changed the objective" or e.summary.startswith("removed")
    ] == []


def test_a_put_changes_only_what_the_writer_sees(cast, aligned):
    api = api_client(cast.admin)
    url = f"/api/v1/objectives/{aligned.objective.pk}/"
    read = api.get(url).json()
    response = api.put(url, {**read, "contributes_to": [aligned.other_kr.pk]}, format="json")
    assert response.status_code == 200, response.json()
    assert aligned.stored() == (aligned.private.pk, {aligned.hidden_kr.pk, aligned.other_kr.pk})
    # Aligning to another objective would remove the one the admin cannot see: refused, nothing changed.
    refused = api.put(url, {**read, "parent": aligned.other_kr.objective_id}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "parent"
    assert "Secret" not in refused.content.decode()
    assert aligned.stored() == (aligned.private.pk, {aligned.hidden_kr.pk, aligned.other_kr.pk})


def test_a_patch_keeps_what_the_writer_cannot_see(cast, aligned):
    api = api_client(cast.admin)
    url = f"/api/v1/objectives/{aligned.objective.pk}/"
    response = api.patch(url, {"parent": None, "contributes_to": []}, format="json")
    assert response.status_code == 200, response.json()
    assert aligned.stored() == (aligned.private.pk, {aligned.hidden_kr.pk})
    assert api.patch(url, {"title": "Growth grows faster"}, format="json").status_code == 200
    assert aligned.stored() == (aligned.private.pk, {aligned.hidden_kr.pk})


def test_someone_who_sees_everything_changes_everything(cast, aligned):
    api = api_client(cast.employee_elsewhere)  # the private objective's owner
    url = f"/api/v1/objectives/{aligned.objective.pk}/"
    read = api.get(url).json()
    assert read["parent"] == aligned.private.pk
    response = api.put(url, {**read, "parent": None, "contributes_to": []}, format="json")
    assert response.status_code == 200, response.json()
    assert aligned.stored() == (None, set())


def test_the_form_keeps_what_the_writer_cannot_see(login, cast, aligned):
    client = login(cast.admin)
    url = reverse("objective_edit", args=[aligned.objective.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Secret" not in page.content.decode() and "Initech" not in page.content.decode()
    form = {
        "title": "Growth grows",
        "owner": cast.employee_elsewhere.pk,
        "visibility": "company",
        "state": "active",
        "parent": "",
        "contributes_to": [aligned.other_kr.pk],
    }
    assert client.post(url, form).status_code == 302
    assert aligned.stored() == (aligned.private.pk, {aligned.hidden_kr.pk, aligned.other_kr.pk})
    refused = client.post(url, {**form, "parent": aligned.other_kr.objective_id})
    assert refused.status_code == 422 and "only someone who sees it may change that" in refused.content.decode()
    assert aligned.stored() == (aligned.private.pk, {aligned.hidden_kr.pk, aligned.other_kr.pk})


def test_the_form_keeps_a_visible_parent_it_could_not_offer_anew(login, cast, quarter, okrs):
    """An objective of a closed year is not offered for new alignments; editing a quarter's objective
    aligned to it keeps the alignment (the form shows it chosen)."""
    year = CycleFactory(
        organisation=cast.org, name="2026", kind="year", start_date=date(2026, 1, 1), end_date=date(2026, 12, 31)
    )
    Cycle.objects.filter(pk=quarter.pk).update(parent=year)
    yearly = services.objective_create(
        organisation=cast.org, cycle=year, team=None, title="A great year", owner=cast.leadership, state="active"
    )
    Objective.objects.filter(pk=okrs[2].pk).update(parent=yearly)
    Cycle.objects.filter(pk=year.pk).update(state="closed")
    client = login(cast.lead)
    url = reverse("objective_edit", args=[okrs[2].pk])
    assert f'<option value="{yearly.pk}" selected>' in client.get(url).content.decode()
    form = {"title": "Checkout is fast", "owner": cast.lead.pk, "visibility": "team", "state": "active"}
    assert client.post(url, {**form, "parent": yearly.pk}).status_code == 302
    assert Objective.objects.get(pk=okrs[2].pk).parent_id == yearly.pk


@pytest.fixture
def guarded(cast, okrs):
    """A team KR owned by the guest, with a contributor and a KFI of another team the guest may not
    be offered, and one each of their own team."""
    ours = services.health_metric_save(
        organisation=cast.org,
        team=cast.team,
        name="Basket errors",
        direction="lower",
        green_threshold=1,
        amber_threshold=2,
    )
    theirs = services.health_metric_save(
        organisation=cast.org,
        team=cast.other_team,
        name="Churn of trials",
        direction="lower",
        green_threshold=1,
        amber_threshold=2,
    )
    kr = services.key_result_create(
        objective=okrs[2],
        title="Checkout p95",
        start_value=800,
        target_value=300,
        owner=cast.guest,
        contributors=[cast.member, cast.employee_elsewhere],
        kfis=[ours, theirs],
        today=TODAY,
    )
    return kr, ours, theirs


def kr_lists(kr: KeyResult) -> tuple[set[int], set[int]]:
    kr = KeyResult.objects.get(pk=kr.pk)
    return set(kr.contributors.values_list("pk", flat=True)), set(kr.kfis.values_list("pk", flat=True))


def test_a_key_result_put_keeps_contributors_and_kfis_the_writer_cannot_see(cast, guarded):
    kr, ours, theirs = guarded
    api = api_client(cast.guest)
    url = f"/api/v1/key-results/{kr.pk}/"
    read = api.get(url).json()
    assert read["kfis"] == [ours.pk]
    response = api.put(url, {**read, "contributors": [], "kfis": []}, format="json")
    assert response.status_code == 200, response.json()
    assert kr_lists(kr) == ({cast.employee_elsewhere.pk}, {theirs.pk})
    response = api.put(url, read, format="json")  # as read: the guest's own teammate comes back
    assert response.status_code == 200, response.json()
    assert kr_lists(kr) == ({cast.member.pk, cast.employee_elsewhere.pk}, {ours.pk, theirs.pk})
    # Adding someone the guest is not offered is refused.
    refused = api.patch(url, {"contributors": [cast.leadership.pk]}, format="json")
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "contributors"


def test_a_key_result_patch_keeps_what_the_writer_cannot_see(cast, guarded):
    kr, _ours, theirs = guarded
    response = api_client(cast.guest).patch(f"/api/v1/key-results/{kr.pk}/", {"kfis": []}, format="json")
    assert response.status_code == 200, response.json()
    assert kr_lists(kr) == ({cast.member.pk, cast.employee_elsewhere.pk}, {theirs.pk})


def test_the_key_result_form_keeps_what_the_writer_cannot_see(login, cast, guarded):
    kr, _ours, theirs = guarded
    client = login(cast.guest)
    url = reverse("key_result_edit", args=[kr.pk])
    assert "Churn of trials" not in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "title": "Checkout p95",
            "kind": "metric",
            "owner": cast.guest.pk,
            "start_value": "800",
            "target_value": "300",
            "current_value": "800",
            "weight": "1",
            "measure": "lag",
            "contributors": [],
            "kfis": [],
        },
    )
    assert response.status_code == 302
    assert kr_lists(kr) == ({cast.employee_elsewhere.pk}, {theirs.pk})
    entries = key_result_timeline(viewer(cast.guest), kr).entries
    assert "Churn" not in repr(entries)


def test_the_service_leaves_lists_alone_when_not_given(cast, guarded):
    kr, ours, theirs = guarded
    services.key_result_update(key_result=kr, title="Checkout p95 (web)", today=TODAY)
    assert kr_lists(kr) == ({cast.member.pk, cast.employee_elsewhere.pk}, {ours.pk, theirs.pk})


def test_a_theme_put_keeps_objectives_the_writer_cannot_see(cast, aligned, okrs):
    theme = backlog_services.theme_save(
        organisation=cast.org, title="Win Initech", objectives=[aligned.private, okrs[0]]
    )
    api = api_client(cast.admin)
    url = f"/api/v1/themes/{theme.pk}/"
    read = api.get(url).json()
    assert read["objectives"] == [okrs[0].pk]
    response = api.put(url, {**read, "objectives": [okrs[1].pk]}, format="json")
    assert response.status_code == 200, response.json()
    assert set(theme.objectives.values_list("pk", flat=True)) == {aligned.private.pk, okrs[1].pk}
    response = api.patch(url, {"objectives": []}, format="json")
    assert response.status_code == 200, response.json()
    assert set(theme.objectives.values_list("pk", flat=True)) == {aligned.private.pk}


def test_a_sprint_put_keeps_focus_key_results_the_writer_cannot_see(cast, aligned):
    # The other team's lead plans its sprint; the admin may not see the private KR in its focus.
    sprint = sprints.sprint_save(
        organisation=cast.org,
        team=cast.other_team,
        name="Sprint 1",
        start_date=TODAY,
        end_date=TODAY,
        focus_key_results=[aligned.hidden_kr, aligned.seen_kr],
    )
    api = api_client(cast.admin)
    url = f"/api/v1/sprints/{sprint.pk}/"
    read = api.get(url).json()
    assert read["focus_key_results"] == [aligned.seen_kr.pk]
    response = api.put(url, {**read, "focus_key_results": []}, format="json")
    assert response.status_code == 200, response.json()
    assert set(sprint.focus_key_results.values_list("pk", flat=True)) == {aligned.hidden_kr.pk}
    response = api.patch(url, {"focus_key_results": [aligned.other_kr.pk]}, format="json")
    assert response.status_code == 200, response.json()
    assert set(sprint.focus_key_results.values_list("pk", flat=True)) == {aligned.hidden_kr.pk, aligned.other_kr.pk}


def test_links_of_work_to_a_hidden_key_result_survive_the_links_the_writer_changes(cast, aligned):
    """Stories and epics link one key result at a time: unlinking what one sees leaves the rest."""
    story = backlog_services.story_save(organisation=cast.org, team=cast.other_team, title="Data room")
    backlog_services.link_story(story=story, key_result=aligned.hidden_kr, share=0.5)
    backlog_services.link_story(story=story, key_result=aligned.seen_kr, share=0.5)
    api = api_client(cast.admin)
    links = api.get(f"/api/v1/links/?story={story.pk}").json()["results"]
    assert [link["key_result"] for link in links] == [aligned.seen_kr.pk]
    assert api.delete(f"/api/v1/links/{links[0]['id']}/").status_code == 204
    assert list(story.links.values_list("key_result_id", flat=True)) == [aligned.hidden_kr.pk]
