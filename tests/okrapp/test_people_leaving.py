"""People leaving: deactivation (access gone, history kept), reactivation, and handing their work over."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from backlog.models import Epic, Story, StoryStatus
from backlog.ordering import rank_at_end
from checkins.digest import recipients
from checkins.reminders import owners_behind
from objectives.forms import KeyResultForm, ObjectiveForm
from objectives.models import KeyResult, Objective
from okrapp.handover import HandoverRequest, hand_over, handover_groups
from okrapp.http import Viewer
from okrapp.models import CompanyRole, Membership, SecurityEvent, TeamMembership, TeamRole
from okrapp.people import active_people, person_deactivate, person_reactivate
from okrapp.tokens import api_token_create
from tests.factories import MembershipFactory

PASSWORD = "a long enough password"


def viewer_of(membership: Membership) -> Viewer:
    viewer = Viewer.load(membership.user)
    assert viewer is not None
    return viewer


def deactivate(cast, membership: Membership) -> Membership:
    return person_deactivate(actor=cast.admin, membership=membership, now=timezone.now())


def kr_of(objective: Objective, title: str, owner: Membership | None) -> KeyResult:
    return KeyResult.objects.create(
        organisation_id=objective.organisation_id, objective=objective, title=title, kind="milestone", owner=owner
    )


def story(cast, title: str, assignee: Membership, *, team=None, status=StoryStatus.TODO) -> Story:
    return Story.objects.create(
        organisation=cast.org,
        team=team or cast.team,
        title=title,
        rank=rank_at_end((team or cast.team).pk),
        assignee=assignee,
        status=status,
        done_at=timezone.now() if status == StoryStatus.DONE else None,
    )


# --- Deactivation: access ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_deactivated_person_cannot_sign_in_and_gets_the_generic_failure(cast, client):
    cast.member.user.set_password(PASSWORD)
    cast.member.user.save()
    deactivate(cast, cast.member)
    response = client.post(reverse("login"), {"username": "member@acme.test", "password": PASSWORD})
    assert response.status_code == 422
    # Django's ModelBackend refuses inactive users before the form can tell: the same words as a wrong password.
    assert "do not match an account" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_open_session_ends_and_its_row_is_deleted(cast):
    browser = Client()
    browser.force_login(cast.member.user)
    assert browser.get(reverse("people_list")).status_code == 200
    deactivate(cast, cast.member)
    response = browser.get(reverse("people_list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    remaining = [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(cast.member.user_id)]
    assert remaining == []


@pytest.mark.django_db
def test_api_token_refused_while_deactivated_and_works_again_after_reactivation(cast):
    _token, secret = api_token_create(membership=cast.member, name="CI")
    api = Client(HTTP_AUTHORIZATION=f"Token {secret}")
    assert api.get("/api/v1/cycles/").status_code == 200
    deactivate(cast, cast.member)
    assert api.get("/api/v1/cycles/").status_code == 401
    person_reactivate(actor=cast.admin, membership=cast.member)
    assert api.get("/api/v1/cycles/").status_code == 200


@pytest.mark.django_db
def test_reactivation_restores_sign_in(cast, client):
    cast.member.user.set_password(PASSWORD)
    cast.member.user.save()
    deactivate(cast, cast.member)
    person_reactivate(actor=cast.admin, membership=cast.member)
    cast.member.refresh_from_db()
    assert cast.member.deactivated_at is None and cast.member.user.is_active
    response = client.post(reverse("login"), {"username": "member@acme.test", "password": PASSWORD})
    assert response.status_code == 302
    kinds = list(SecurityEvent.objects.filter(subject_user=cast.member.user).values_list("detail", flat=True))
    assert any(d.startswith("Deactivated") for d in kinds) and "Reactivated: can sign in again." in kinds


@pytest.mark.django_db
def test_deactivation_keeps_every_row_and_logs_one_security_event(cast, okrs):
    _company, _dept, team_objective = okrs
    kr = kr_of(team_objective, "p95 under 300 ms", cast.member)
    before = timezone.now()
    deactivate(cast, cast.member)
    deactivate(cast, cast.member)  # again: nothing changes, nothing logged twice
    cast.member.refresh_from_db()
    assert cast.member.deactivated_at >= before and not cast.member.user.is_active
    assert KeyResult.objects.get(pk=kr.pk).owner_id == cast.member.pk
    events = SecurityEvent.objects.filter(subject_user=cast.member.user, actor=cast.admin)
    assert events.count() == 1 and events.get().organisation_id == cast.org.pk


@pytest.mark.django_db
def test_the_last_active_admin_is_refused_and_nothing_changes(cast):
    # Through the page an admin always remains (one cannot deactivate oneself); the service holds the
    # rule for any other caller, counting only active admins.
    with pytest.raises(ValidationError, match="at least one admin who can sign in"):
        person_deactivate(actor=cast.leadership, membership=cast.admin, now=timezone.now())
    cast.admin.refresh_from_db()
    assert cast.admin.deactivated_at is None and cast.admin.user.is_active
    second = MembershipFactory(organisation=cast.org, role=CompanyRole.ADMIN, user__email="admin2@acme.test")
    person_deactivate(actor=cast.admin, membership=second, now=timezone.now())
    with pytest.raises(ValidationError, match="at least one admin who can sign in"):
        person_deactivate(actor=cast.leadership, membership=cast.admin, now=timezone.now())


@pytest.mark.django_db
def test_self_refused_with_422_and_nothing_changes(cast, login):
    client = login(cast.admin)
    response = client.post(reverse("person_deactivate", args=[cast.admin.pk]))
    assert response.status_code == 422
    assert "cannot deactivate yourself" in response.content.decode()
    cast.admin.refresh_from_db()
    assert cast.admin.deactivated_at is None


@pytest.mark.django_db
def test_another_organisations_person_is_404(cast, login):
    client = login(cast.admin)
    for name in ("person_deactivate", "person_reactivate", "person_handover"):
        assert client.post(reverse(name, args=[cast.outsider.pk])).status_code == 404
    assert client.get(reverse("person_handover", args=[cast.outsider.pk])).status_code == 404
    cast.outsider.refresh_from_db()
    assert cast.outsider.deactivated_at is None
    with pytest.raises(ValidationError):
        person_deactivate(actor=cast.admin, membership=cast.outsider, now=timezone.now())


@pytest.mark.django_db
def test_deactivate_page_confirm_partial_and_post(cast, login):
    client = login(cast.admin)
    url = reverse("person_deactivate", args=[cast.member.pk])
    page = client.get(url)
    assert page.status_code == 200 and "<html" in page.content.decode()
    partial = client.get(url, headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    assert 'id="deactivate-confirm"' in partial.content.decode()
    response = client.post(url)
    assert response.status_code == 302
    cast.member.refresh_from_db()
    assert cast.member.deactivated_at is not None
    detail = client.get(reverse("person_detail", args=[cast.member.pk])).content.decode()
    assert "Reactivate" in detail and "Deactivated on" in detail
    assert client.post(reverse("person_reactivate", args=[cast.member.pk])).status_code == 302
    cast.member.refresh_from_db()
    assert cast.member.deactivated_at is None


@pytest.mark.django_db
def test_non_admins_are_refused(cast, login):
    client = login(cast.lead)
    assert client.post(reverse("person_deactivate", args=[cast.member.pk])).status_code == 403
    assert client.get(reverse("person_handover", args=[cast.member.pk])).status_code == 403
    cast.member.refresh_from_db()
    assert cast.member.deactivated_at is None


# --- The directory and the pickers ------------------------------------------------------------------


@pytest.mark.django_db
def test_people_list_shows_active_by_default_and_deactivated_on_request(cast, login):
    deactivate(cast, cast.teammate)
    client = login(cast.admin)
    active = client.get(reverse("people_list")).content.decode()
    assert "Mate" not in active and "Member" in active
    gone = client.get(reverse("people_list"), {"status": "deactivated"}).content.decode()
    assert "Mate" in gone and ">Member<" not in gone and "Deactivated" in gone
    assert "1 deactivated person" in gone


@pytest.mark.django_db
def test_pickers_leave_out_deactivated_people_but_keep_a_current_owner(cast, okrs):
    _company, _dept, team_objective = okrs
    deactivate(cast, cast.teammate)
    form = ObjectiveForm(
        organisation_id=cast.org.pk,
        team=cast.team,
        parents=Objective.objects.none(),
        contributions=KeyResult.objects.none(),
    )
    assert cast.teammate not in form.fields["owner"].queryset
    assert cast.member in form.fields["owner"].queryset
    kept = ObjectiveForm(
        organisation_id=cast.org.pk,
        team=cast.team,
        parents=Objective.objects.none(),
        contributions=KeyResult.objects.none(),
        initial={"owner": cast.teammate.pk},
    )
    assert cast.teammate in kept.fields["owner"].queryset
    kr = kr_of(team_objective, "Checkout in two clicks", cast.lead)
    kr.contributors.add(cast.teammate)
    kr_form = KeyResultForm(organisation_id=cast.org.pk, instance=kr)
    assert cast.teammate in kr_form.fields["contributors"].queryset
    assert cast.teammate not in KeyResultForm(organisation_id=cast.org.pk).fields["contributors"].queryset
    assert cast.teammate not in active_people(cast.org.pk)


@pytest.mark.django_db
def test_reminders_and_digests_skip_deactivated_people(cast, okrs):
    _company, _dept, team_objective = okrs
    kr_of(team_objective, "Ship the new checkout", cast.teammate)
    kr_of(team_objective, "Halve refunds", cast.member)
    week = date(2026, 11, 16)
    assert set(owners_behind(cast.org, week=week)) == {cast.teammate.pk, cast.member.pk}
    TeamMembership.objects.filter(membership=cast.lead).update(role=TeamRole.LEAD)
    assert cast.lead in recipients(cast.org)
    deactivate(cast, cast.teammate)
    deactivate(cast, cast.lead)
    assert set(owners_behind(cast.org, week=week)) == {cast.member.pk}
    assert cast.lead not in recipients(cast.org)


@pytest.mark.django_db
def test_deactivated_owner_is_marked_on_the_objective_page(cast, okrs, login):
    _company, _dept, team_objective = okrs
    Objective.objects.filter(pk=team_objective.pk).update(owner=cast.teammate)
    deactivate(cast, cast.teammate)
    page = login(cast.admin).get(reverse("objective_detail", args=[team_objective.pk])).content.decode()
    assert "Mate (deactivated)" in page


# --- Handover ---------------------------------------------------------------------------------------


@pytest.fixture
def holdings(cast, okrs):
    """What the teammate holds: 2 objectives (one private to the team, which the admin may not see),
    2 KRs owned, 1 KR contributed to, 3 open stories in Checkout and 1 done, 1 epic, the lead of Growth."""
    company, _dept, team_objective = okrs
    mate = cast.teammate
    owned = Objective.objects.create(
        organisation=cast.org, cycle=team_objective.cycle, team=cast.team, title="Mate's visible goal", owner=mate
    )
    hidden = Objective.objects.create(
        organisation=cast.org,
        cycle=team_objective.cycle,
        team=cast.other_team,
        title="Mate's secret plan",
        owner=mate,
        visibility="private",
    )
    krs = [kr_of(team_objective, "KR one", mate), kr_of(owned, "KR two", mate)]
    hidden_kr = kr_of(hidden, "Secret KR", mate)
    contributed = kr_of(company, "Company KR", cast.lead)
    contributed.contributors.add(mate)
    stories = [story(cast, f"Story {n}", mate) for n in range(3)]
    done = story(cast, "Done story", mate, status=StoryStatus.DONE)
    epic = Epic.objects.create(organisation=cast.org, team=cast.team, title="Mate's epic", owner=mate)
    TeamMembership.objects.create(team=cast.other_team, membership=mate, role=TeamRole.LEAD)
    return {
        "owned": owned,
        "hidden": hidden,
        "krs": krs,
        "hidden_kr": hidden_kr,
        "contributed": contributed,
        "stories": stories,
        "done": done,
        "epic": epic,
    }


@pytest.mark.django_db
def test_handover_lists_only_what_the_admin_may_see(cast, holdings, login):
    groups = {g.key: g for g in handover_groups(viewer_of(cast.admin), cast.teammate)}
    assert set(groups) == {"teams", "objectives", "key_results", "contributions", f"stories-{cast.team.pk}", "epics"}
    assert [i.title for i in groups["objectives"].items] == ["Mate's visible goal"]
    assert [i.title for i in groups["key_results"].items] == ["KR one", "KR two"]
    assert [i.title for i in groups[f"stories-{cast.team.pk}"].items] == ["Story 0", "Story 1", "Story 2"]
    # Stories go only to Checkout's leads and members (not its guest, not Growth's member).
    story_candidates = {p.pk for p in groups[f"stories-{cast.team.pk}"].candidates}
    assert story_candidates == {cast.lead.pk, cast.member.pk}
    page = login(cast.admin).get(reverse("person_handover", args=[cast.teammate.pk])).content.decode()
    assert "secret" not in page.lower()  # neither title nor a count of what the admin may not see


@pytest.mark.django_db
def test_handover_moves_exactly_the_selected_items(cast, holdings, login):
    client = login(cast.admin)
    stories_key = f"stories-{cast.team.pk}"
    first, second, third = holdings["stories"]
    response = client.post(
        reverse("person_handover", args=[cast.teammate.pk]),
        {
            "objectives-items": [holdings["owned"].pk],
            "objectives-target": cast.member.pk,
            "key_results-items": [holdings["krs"][0].pk],
            "key_results-target": cast.member.pk,
            "contributions-items": [holdings["contributed"].pk],
            "contributions-target": cast.employee_elsewhere.pk,
            f"{stories_key}-items": [first.pk, third.pk],
            f"{stories_key}-target": cast.member.pk,
            "epics-target": cast.lead.pk,  # a target without selected rows moves nothing
            "teams-items": [cast.other_team.pk],
            "teams-target": cast.employee_elsewhere.pk,
        },
    )
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]  # type: ignore[attr-defined]
    assert messages == ["6 items handed over from Mate."]  # 1 + 1 + 1 + 2 + 1, counted by hand
    assert Objective.objects.get(pk=holdings["owned"].pk).owner_id == cast.member.pk
    assert Objective.objects.get(pk=holdings["hidden"].pk).owner_id == cast.teammate.pk
    assert KeyResult.objects.get(pk=holdings["krs"][0].pk).owner_id == cast.member.pk
    assert KeyResult.objects.get(pk=holdings["krs"][1].pk).owner_id == cast.teammate.pk
    assert KeyResult.objects.get(pk=holdings["hidden_kr"].pk).owner_id == cast.teammate.pk
    assert set(holdings["contributed"].contributors.all()) == {cast.employee_elsewhere}
    assigned = dict(Story.objects.filter(team=cast.team).values_list("pk", "assignee_id"))
    assert assigned == {
        first.pk: cast.member.pk,
        second.pk: cast.teammate.pk,
        third.pk: cast.member.pk,
        holdings["done"].pk: cast.teammate.pk,
    }
    assert Epic.objects.get(pk=holdings["epic"].pk).owner_id == cast.teammate.pk
    roles = dict(TeamMembership.objects.filter(team=cast.other_team).values_list("membership_id", "role"))
    assert roles == {cast.teammate.pk: TeamRole.MEMBER, cast.employee_elsewhere.pk: TeamRole.LEAD}


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["outsider", "deactivated", "non_member", "hidden_item", "no_target"])
def test_handover_refusals_change_nothing(cast, holdings, login, who):
    stories_key = f"stories-{cast.team.pk}"
    first = holdings["stories"][0]
    data: dict[str, object] = {
        "objectives-items": [holdings["owned"].pk],
        "objectives-target": cast.member.pk,
        f"{stories_key}-items": [first.pk],
        f"{stories_key}-target": cast.lead.pk,
    }
    field = stories_key
    if who == "outsider":
        data[f"{stories_key}-target"] = cast.outsider.pk
    elif who == "deactivated":
        deactivate(cast, cast.lead)
    elif who == "non_member":
        data[f"{stories_key}-target"] = cast.employee_elsewhere.pk
    elif who == "hidden_item":
        data["objectives-items"] = [holdings["owned"].pk, holdings["hidden"].pk]
        field = "objectives"
    else:
        del data[f"{stories_key}-target"]
    response = login(cast.admin).post(reverse("person_handover", args=[cast.teammate.pk]), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert f'id="{field}-target-error"' in html
    assert "secret" not in html.lower()
    # The valid group of the same request did not move either: all or nothing.
    assert Objective.objects.get(pk=holdings["owned"].pk).owner_id == cast.teammate.pk
    assert Story.objects.get(pk=first.pk).assignee_id == cast.teammate.pk


@pytest.mark.django_db
def test_handover_htmx_partial_and_nothing_selected(cast, holdings, login):
    client = login(cast.admin)
    url = reverse("person_handover", args=[cast.teammate.pk])
    partial = client.get(url, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode() and 'id="handover"' in partial.content.decode()
    empty = client.post(url, {}, headers={"HX-Request": "true"})
    assert empty.status_code == 422 and "Select what to hand over" in empty.content.decode()
    done = client.post(
        url, {"epics-items": [holdings["epic"].pk], "epics-target": cast.lead.pk}, headers={"HX-Request": "true"}
    )
    assert done.status_code == 200 and "1 item handed over from Mate." in done.content.decode()
    assert Epic.objects.get(pk=holdings["epic"].pk).owner_id == cast.lead.pk


@pytest.mark.django_db
def test_handover_service_refuses_a_target_of_another_organisation(cast, holdings):
    with pytest.raises(ValidationError):
        hand_over(
            viewer=viewer_of(cast.admin),
            person=cast.teammate,
            requests={"epics": HandoverRequest(cast.outsider.pk, {holdings["epic"].pk})},
        )
    assert Epic.objects.get(pk=holdings["epic"].pk).owner_id == cast.teammate.pk


@pytest.mark.django_db
def test_handover_page_query_count_does_not_grow(cast, holdings, login, django_assert_max_num_queries):
    client = login(cast.admin)
    url = reverse("person_handover", args=[cast.teammate.pk])
    client.get(url)
    with django_assert_max_num_queries(20) as few:
        assert client.get(url).status_code == 200
    for n in range(10):
        story(cast, f"More {n}", cast.teammate)
        kr_of(holdings["owned"], f"More KR {n}", cast.teammate)
        Epic.objects.create(organisation=cast.org, team=cast.team, title=f"More epic {n}", owner=cast.teammate)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200
