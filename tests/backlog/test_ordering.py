"""Ordering the backlog by hand: the move service (one row written, refusals change nothing), keys
that stay distinct and ordered under many moves, concurrent moves in one team, and the move page."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backlog import ordering, services
from backlog.models import Story
from tests.security.test_concurrency import in_parallel

HTMX = {"HTTP_HX_REQUEST": "true"}


def order(team) -> list[str]:
    return list(Story.objects.filter(team=team).order_by("rank", "pk").values_list("title", flat=True))


def ranks(team) -> dict[str, str]:
    return dict(Story.objects.filter(team=team).values_list("title", "rank"))


@pytest.fixture
def backlog(cast):
    return {
        title: services.story_save(organisation=cast.org, team=cast.team, title=title) for title in ("A", "B", "C", "D")
    }


@pytest.mark.django_db
def test_new_stories_go_to_the_bottom_with_ascending_keys(cast, backlog):
    assert order(cast.team) == ["A", "B", "C", "D"]
    keys = [backlog[t].rank for t in "ABCD"]
    assert keys == sorted(keys) and len(set(keys)) == 4


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("title", "to", "expected"),
    [
        ("C", "top", ["C", "A", "B", "D"]),
        ("C", "up", ["A", "C", "B", "D"]),
        ("B", "down", ["A", "C", "B", "D"]),
        ("A", "up", ["A", "B", "C", "D"]),  # at the top already: nothing moves
        ("D", "down", ["A", "B", "C", "D"]),
        ("A", "top", ["A", "B", "C", "D"]),
    ],
)
def test_step_moves_one_place_or_to_the_top_writing_one_row(cast, backlog, title, to, expected):
    before = ranks(cast.team)
    with CaptureQueriesContext(connection) as queries:
        ordering.story_step(story=backlog[title], to=to)
    assert order(cast.team) == expected
    after = ranks(cast.team)
    changed = {t for t in before if before[t] != after[t]}
    assert changed <= {title}  # one row written, the others keep their keys
    assert len([q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]) == len(changed)


@pytest.mark.django_db
def test_up_and_down_skip_done_stories(cast, backlog):
    services.story_set_status(story=backlog["B"], status="done")
    ordering.story_step(story=backlog["C"], to="up")  # the open story above C is A: C goes before it
    assert order(cast.team) == ["C", "A", "B", "D"]
    ordering.story_step(story=backlog["C"], to="down")  # back right after A
    assert order(cast.team) == ["A", "C", "B", "D"]


@pytest.mark.django_db
def test_move_between_neighbours(cast, backlog):
    ordering.story_move(story=backlog["D"], above=backlog["A"])
    assert order(cast.team) == ["A", "D", "B", "C"]
    ordering.story_move(story=backlog["A"], below=backlog["C"])
    assert order(cast.team) == ["D", "B", "A", "C"]
    ordering.story_move(story=backlog["C"], below=backlog["D"])  # landed first
    assert order(cast.team) == ["C", "D", "B", "A"]
    ordering.story_move(story=backlog["C"], above=backlog["A"])  # landed last
    assert order(cast.team) == ["D", "B", "A", "C"]


@pytest.mark.django_db
def test_refusals_change_nothing(cast, backlog):
    elsewhere = services.story_save(organisation=cast.org, team=cast.other_team, title="Growth story")
    foreign = services.story_save(organisation=cast.outsider_org, team=cast.outsider_team, title="Globex story")
    before = ranks(cast.team)
    for kwargs, field in (
        ({"above": elsewhere}, "above"),
        ({"below": foreign}, "below"),
        ({"above": backlog["B"]}, "above"),  # B next to itself
        ({}, "position"),
    ):
        with pytest.raises(ValidationError) as refused:
            ordering.story_move(story=backlog["B"], **kwargs)
        assert field in refused.value.message_dict
    with pytest.raises(ValidationError):
        ordering.story_step(story=backlog["B"], to="sideways")  # type: ignore[arg-type]
    assert ranks(cast.team) == before


@pytest.mark.django_db
def test_two_hundred_moves_into_one_gap_keep_keys_distinct_and_ordered(cast, backlog):
    """Each move puts the bottom story right after A: the gap after A halves every time."""
    for _ in range(200):
        bottom = Story.objects.filter(team=cast.team).order_by("-rank").first()
        ordering.story_move(story=bottom, above=backlog["A"])
    rows = list(Story.objects.filter(team=cast.team).order_by("rank", "pk").values_list("title", "rank"))
    keys = [rank for _, rank in rows]
    assert len(set(keys)) == 4 and keys == sorted(keys)
    assert all(len(k) <= ordering.RANK_MAX_LENGTH for k in keys)
    assert rows[0][0] == "A" and {t for t, _ in rows} == set("ABCD")


@pytest.mark.django_db
def test_a_key_too_long_respaces_the_team_once_in_order(cast, backlog, monkeypatch):
    monkeypatch.setattr(ordering, "RANK_MAX_LENGTH", 2)  # any key between two keys now looks too long
    ordering.story_move(story=backlog["D"], above=backlog["A"])
    assert order(cast.team) == ["A", "D", "B", "C"]
    assert all(len(k) == 2 for k in ranks(cast.team).values())


@pytest.mark.django_db
def test_accepting_the_impact_order_rewrites_keys(cast, backlog):
    services.stories_rerank(team=cast.team, ordered_ids=[backlog["C"].pk, backlog["A"].pk])
    assert order(cast.team) == ["C", "A", "B", "D"]
    with pytest.raises(ValidationError):
        services.stories_rerank(team=cast.team, ordered_ids=[backlog["C"].pk, 10**9])
    assert order(cast.team) == ["C", "A", "B", "D"]


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_moves_to_the_top_lose_no_story_and_share_no_key(cast):
    stories = [services.story_save(organisation=cast.org, team=cast.team, title=f"S{i}") for i in range(20)]

    def move(i: int) -> None:
        ordering.story_step(story=stories[i], to="top")

    assert in_parallel(20, move) == []
    rows = list(Story.objects.filter(team=cast.team).values_list("pk", "rank"))
    assert sorted(pk for pk, _ in rows) == sorted(s.pk for s in stories)
    assert len({rank for _, rank in rows}) == 20


@pytest.mark.django_db(transaction=True)
def test_concurrent_moves_and_new_stories_in_one_team(cast):
    stories = [services.story_save(organisation=cast.org, team=cast.team, title=f"S{i}") for i in range(10)]

    def work(i: int) -> None:
        if i % 2:
            services.story_save(organisation=cast.org, team=cast.team, title=f"New {i}")
        else:
            ordering.story_move(story=stories[i], above=stories[(i + 3) % 10])

    assert in_parallel(10, work) == []
    ranks_ = list(Story.objects.filter(team=cast.team).values_list("rank", flat=True))
    assert len(ranks_) == 15 and len(set(ranks_)) == 15


# --- The move endpoint -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_keyboard_move_plain_post_redirects_back_with_the_filters(login, cast, backlog):
    client = login(cast.member)
    query = f"team={cast.team.pk}&status=open"
    response = client.post(reverse("story_move", args=[backlog["C"].pk]), {"to": "top", "query": query})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('backlog')}?{query}#story-{backlog['C'].pk}"
    assert order(cast.team) == ["C", "A", "B", "D"]


@pytest.mark.django_db
def test_drop_over_htmx_returns_the_list_and_announces(login, cast, backlog, django_assert_max_num_queries):
    client = login(cast.member)
    url = reverse("story_move", args=[backlog["D"].pk])
    with django_assert_max_num_queries(19):  # the page of 50 counts its backlog
        response = client.post(url, {"above": backlog["A"].pk, "query": f"team={cast.team.pk}"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert 'id="story-list"' in body and 'hx-swap-oob="innerHTML:#order-status"' in body
    assert "Moved “D”. It is now 2 of 4." in body
    assert order(cast.team) == ["A", "D", "B", "C"]


@pytest.mark.django_db
def test_move_query_count_does_not_grow_with_rows(login, cast, backlog, django_assert_max_num_queries):
    for i in range(30):
        services.story_save(organisation=cast.org, team=cast.team, title=f"More {i}")
    client = login(cast.member)
    with django_assert_max_num_queries(19):  # the page of 50 counts its backlog
        response = client.post(reverse("story_move", args=[backlog["D"].pk]), {"to": "up"}, **HTMX)
    assert response.status_code == 200


@pytest.mark.django_db
def test_bad_moves_answer_422_and_change_nothing(login, cast, backlog):
    elsewhere = services.story_save(organisation=cast.org, team=cast.other_team, title="Growth story")
    client = login(cast.member)
    url = reverse("story_move", args=[backlog["B"].pk])
    before = ranks(cast.team)
    for data in ({"above": elsewhere.pk}, {"above": backlog["B"].pk}, {"above": "x"}, {"to": "sideways"}, {}):
        response = client.post(url, data, **HTMX)
        assert response.status_code == 422, data
        assert "Not moved" in response.content.decode()
    plain = client.post(url, {"above": elsewhere.pk}, follow=True)
    assert "Not moved: Place it next to a story of the same team" in plain.content.decode()
    assert ranks(cast.team) == before


@pytest.mark.django_db
def test_who_may_move(login, cast, backlog):
    url = reverse("story_move", args=[backlog["B"].pk])
    assert login(cast.guest).post(url, {"to": "top"}).status_code == 403  # sees the team, may not write
    assert login(cast.employee_elsewhere).post(url, {"to": "top"}).status_code == 403
    assert login(cast.outsider).post(url, {"to": "top"}).status_code == 404
    foreign = services.story_save(organisation=cast.outsider_org, team=cast.outsider_team, title="Globex story")
    assert login(cast.member).post(url, {"above": foreign.pk}).status_code == 404  # a neighbour one may not see
    assert order(cast.team) == ["A", "B", "C", "D"]


@pytest.mark.django_db
def test_backlog_page_offers_moves_to_writers_only(login, cast, backlog):
    url = f"{reverse('backlog')}?team={cast.team.pk}"
    page = login(cast.member).get(url).content.decode()
    assert page.count("data-drag-handle") == 4 and "Move up: A" in page and "backlog-order.js" in page
    assert "data-drag-handle" not in login(cast.guest).get(url).content.decode()
    done = login(cast.member).get(url + "&status=done").content.decode()
    assert "Move up" not in done
