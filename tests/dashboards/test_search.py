"""The frame's search: words and prefixes, ranking, grouping, visibility (private objectives, guests,
people, other organisations), bad input, the htmx dropdown, query counts and the GIN indexes."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.db.models import CharField
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backlog import services as backlog_services
from backlog.models import Story
from dashboards.search import (
    DROPDOWN_LIMIT,
    PAGE_LIMIT,
    objective_matches,
    prefix_query,
    search,
    search_terms,
    story_matches,
)
from objectives import services as objective_services
from objectives.models import Objective
from okrapp.http import Viewer
from okrapp.models import TeamRole
from tests.conftest import TODAY
from tests.factories import MembershipFactory, TeamFactory, TeamMembershipFactory

pytestmark = pytest.mark.django_db

SEARCH = reverse("search")
HTMX = {"HX-Request": "true", "HX-Target": "frame-search-popup"}


def make_objective(cast, quarter, title, *, description="", team=None, visibility="company", owner=None):
    return objective_services.objective_create(
        organisation=cast.org,
        cycle=quarter,
        team=team,
        title=title,
        description=description,
        owner=owner or cast.lead,
        visibility=visibility,
        state="active",
    )


def make_kr(objective, title, *, description="", owner=None):
    return objective_services.key_result_create(
        objective=objective,
        title=title,
        description=description,
        start_value=900,
        target_value=400,
        owner=owner,
        today=TODAY,
    )


def viewer_of(membership) -> Viewer:
    viewer = Viewer.load(membership.user)
    assert viewer is not None
    return viewer


def titles(results, kind: str) -> list[str]:
    return [hit.title for group in results.groups if group.kind == kind for hit in group.hits]


def words(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.split('id="main"', 1)[-1]).split())


# --- Words and ranking ------------------------------------------------------------------------------


def test_terms_are_words_only():
    assert search_terms("p95 & (Latency)* 'x' \\ | ! <-> :* %") == ["p95", "latency", "x"]
    assert search_terms(".* [a-z]+ foo_bar") == ["a", "z", "foo", "bar"]
    assert search_terms("  ") == [] and search_terms("*&|!():<>%'\"\\") == []
    assert search_terms("Über Straße") == ["über", "straße"]


def test_finds_by_a_word_of_a_title_and_by_a_prefix(cast, quarter):
    objective = make_objective(cast, quarter, "Customers finish onboarding in a day")
    make_objective(cast, quarter, "Revenue grows")
    viewer = viewer_of(cast.member)
    assert titles(search(viewer, "onboarding", limit=5), "objective") == [objective.title]
    assert titles(search(viewer, "onb", limit=5), "objective") == [objective.title]  # a prefix
    assert titles(search(viewer, "ONBOARD customers", limit=5), "objective") == [objective.title]  # every word
    assert titles(search(viewer, "onboarding revenue", limit=5), "objective") == []  # not every word
    assert titles(search(viewer, "boarding", limit=5), "objective") == []  # the start of a word, not the middle


def test_a_title_match_ranks_above_a_description_match(cast, quarter):
    in_description = make_objective(
        cast, quarter, "Partners trust us", description="Latency of the partner API, latency in every region"
    )
    in_title = make_objective(cast, quarter, "Latency halves", description="Nothing else here")
    found = titles(search(viewer_of(cast.member), "latency", limit=5), "objective")
    assert found == [in_title.title, in_description.title]
    kr_in_description = make_kr(in_title, "Partners stay", description="latency budget")
    kr_in_title = make_kr(in_description, "p95 latency under 400 ms")
    found = titles(search(viewer_of(cast.member), "latency", limit=5), "key_result")
    assert found == [kr_in_title.title, kr_in_description.title]


def test_results_are_grouped_by_kind_with_their_context(login, cast, quarter):
    objective = make_objective(cast, quarter, "Falcon launch succeeds", team=cast.team, visibility="team")
    make_kr(objective, "Falcon signups reach 500", owner=cast.member)
    epic = backlog_services.epic_save(organisation=cast.org, team=cast.team, title="Falcon onboarding", owner=cast.lead)
    backlog_services.story_save(
        organisation=cast.org, team=cast.team, title="Falcon sign-up form", epic=epic, assignee=cast.member
    )
    backlog_services.theme_save(organisation=cast.org, title="Falcon", lane="next")
    MembershipFactory(organisation=cast.org, user__full_name="Fay Falconer", job_title="Designer")
    html = login(cast.member).get(SEARCH, {"q": "falc"}).content.decode()
    text = words(html)
    headings = re.findall(r'<h2 id="search-(\w+)">', html)
    assert headings == ["objective", "key_result", "epic", "story", "theme", "person"]
    assert "6 results for “falc”" in text  # one of each kind, counted by hand
    assert "Falcon launch succeeds" in text and "Checkout · Q4 2026 · Owner Lead" in text
    assert "Falcon signups reach 500" in text and "Falcon launch succeeds · Checkout · Q4 2026 · Owner Member" in text
    assert "Falcon onboarding" in text and "Checkout · Open · Owner Lead" in text
    assert "Falcon sign-up form" in text and "Checkout · To do · Assigned to Member · Epic Falcon onboarding" in text
    assert "Roadmap · Lane Next" in text
    assert "Fay Falconer" in text and "Designer ·" in text
    assert "Not started" in text  # the objective's and the KR's status, as a pill
    assert f'href="{reverse("objective_detail", args=[objective.pk])}"' in html


def test_at_most_the_limit_per_kind_and_it_says_there_are_more(login, cast, quarter):
    for i in range(PAGE_LIMIT + 2):
        make_objective(cast, quarter, f"Zebra objective {i}")
    html = login(cast.member).get(SEARCH, {"q": "zebra"}).content.decode()
    assert html.count('class="search-hit-title"') == PAGE_LIMIT
    assert f"{PAGE_LIMIT} results for" in words(html)
    assert f"Only the first {PAGE_LIMIT} are shown" in html
    dropdown = login(cast.member).get(SEARCH, {"q": "zebra"}, headers=HTMX).content.decode()
    assert dropdown.count('class="search-option"') == DROPDOWN_LIMIT


# --- Visibility ---------------------------------------------------------------------------------------


def test_a_private_objective_is_found_by_its_owner_only(login, cast, quarter):
    secret = make_objective(
        cast, quarter, "Acquire Initech", description="board memo", team=cast.team, visibility="private"
    )
    make_kr(secret, "Initech head count")
    make_objective(cast, quarter, "Initech partnership stays healthy")  # public: the counts must not move
    for who in (cast.admin, cast.leadership, cast.member, cast.guest, cast.employee_elsewhere, cast.outsider):
        client = login(who)
        for query in ("initech", "acquire", "memo", "head count"):
            for headers in ({}, HTMX):
                html = client.get(SEARCH, {"q": query}, headers=headers).content.decode()
                assert "Acquire Initech" not in html and "Initech head count" not in html, (who, query)
        text = words(client.get(SEARCH, {"q": "initech"}).content.decode())
        if who == cast.outsider:
            assert "Nothing matches “initech”" in text
        else:
            assert "1 result for “initech”" in text, who  # the public one alone: no count reveals the rest
    owner = words(login(cast.lead).get(SEARCH, {"q": "initech"}).content.decode())
    assert "3 results for “initech”" in owner
    assert "Acquire Initech" in owner and "Initech head count" in owner


def test_team_objectives_follow_the_visibility_rule(cast, quarter):
    make_objective(cast, quarter, "Checkout converts", team=cast.team, visibility="team")
    assert titles(search(viewer_of(cast.member), "converts", limit=5), "objective") == ["Checkout converts"]
    assert titles(search(viewer_of(cast.leadership), "converts", limit=5), "objective") == ["Checkout converts"]
    assert titles(search(viewer_of(cast.employee_elsewhere), "converts", limit=5), "objective") == []


def test_a_guest_finds_their_own_teams_work_and_people_only(cast):
    backlog_services.story_save(organisation=cast.org, team=cast.team, title="Walrus checkout story")
    backlog_services.story_save(organisation=cast.org, team=cast.other_team, title="Walrus growth story")
    backlog_services.epic_save(organisation=cast.org, team=cast.other_team, title="Walrus growth epic")
    guest, member = viewer_of(cast.guest), viewer_of(cast.member)
    assert titles(search(guest, "walrus", limit=5), "story") == ["Walrus checkout story"]
    assert titles(search(guest, "walrus", limit=5), "epic") == []
    assert sorted(titles(search(member, "walrus", limit=5), "story")) == [
        "Walrus checkout story",
        "Walrus growth story",
    ]
    # People: the guest finds Checkout's people and themselves, not Growth's member.
    assert titles(search(guest, "mate", limit=5), "person") == ["Mate"]
    assert titles(search(guest, "guest", limit=5), "person") == ["Guest"]
    assert titles(search(guest, "growth", limit=5), "person") == []
    assert titles(search(member, "growth", limit=5), "person") == ["Growth"]


def test_people_are_the_active_members_of_the_organisation(cast):
    gone = MembershipFactory(organisation=cast.org, user__full_name="Quentin Gone")
    gone.deactivated_at = timezone.now()
    gone.save()
    MembershipFactory(organisation=cast.org, user__full_name="Quentin Here", user__email="qh@acme.test")
    MembershipFactory(organisation=cast.outsider_org, user__full_name="Quentin Globex")
    viewer = viewer_of(cast.member)
    assert titles(search(viewer, "quentin", limit=5), "person") == ["Quentin Here"]
    assert titles(search(viewer, "qh", limit=5), "person") == ["Quentin Here"]  # by e-mail address


def test_another_organisations_items_are_never_found(login, cast, quarter):
    make_objective(cast, quarter, "Checkout converts better")
    backlog_services.story_save(organisation=cast.org, team=cast.team, title="Checkout button")
    backlog_services.theme_save(organisation=cast.org, title="Checkout journey")
    globex_team = cast.outsider_team
    backlog_services.story_save(organisation=cast.outsider_org, team=globex_team, title="Globex checkout story")
    outsider = words(login(cast.outsider).get(SEARCH, {"q": "checkout"}).content.decode())
    assert "Globex checkout story" in outsider
    assert "Checkout converts better" not in outsider and "Checkout button" not in outsider
    assert "Checkout journey" not in outsider
    member = words(login(cast.member).get(SEARCH, {"q": "checkout"}).content.decode())
    assert "Checkout button" in member and "Globex" not in member


# --- Bad input --------------------------------------------------------------------------------------

NASTY = [
    "'",
    '"',
    "\\",
    ":",
    "*",
    "&",
    "|",
    "!",
    "()",
    "<->",
    "%",
    "' OR 1=1 --",
    "latency:* | !p95",
    "a & | b",
    ".*",
    "[a-z]+",
    "(((",
    "%_%",
    "p95 & (latency)*",
    "<script>alert(1)</script>",
]


@pytest.mark.parametrize("text", NASTY)
def test_metacharacters_are_plain_words_or_dropped(login, cast, quarter, text):
    objective = make_objective(cast, quarter, "Checkout is fast")
    make_kr(objective, "p95 latency under 400 ms")
    client = login(cast.member)
    for headers in ({}, HTMX):
        response = client.get(SEARCH, {"q": text}, headers=headers)
        assert response.status_code == 200, (text, headers)
        assert "<script>alert" not in response.content.decode()
    if text == "p95 & (latency)*":  # the words survive the punctuation
        assert "p95 latency under 400 ms" in client.get(SEARCH, {"q": text}).content.decode()


def test_no_word_explains_what_one_can_search(login, cast):
    client = login(cast.member)
    with CaptureQueriesContext(connection) as queries:
        empty = words(client.get(SEARCH).content.decode())
    assert "What you can search" in empty and "People by name and e-mail address" in empty
    assert not [q for q in queries.captured_queries if "to_tsquery" in q["sql"]]
    assert "No words to search for in “*&amp;|”" in words(client.get(SEARCH, {"q": "*&|"}).content.decode())
    dropdown = client.get(SEARCH, {"q": ""}, headers=HTMX)
    assert dropdown.status_code == 200 and 'role="listbox"' not in dropdown.content.decode()


def test_a_null_character_is_refused_in_words(login, cast):
    response = login(cast.member).get(SEARCH, {"q": "late\x00ncy"})
    assert response.status_code == 422 and "Null characters are not allowed." in response.content.decode()


@pytest.mark.parametrize("length", [201, 10_000])
def test_too_long_a_query_is_refused_without_querying(login, cast, quarter, length):
    make_objective(cast, quarter, "Aardvark " * 20)
    client = login(cast.member)
    text = "aardvark " * (length // 9) + "a" * (length % 9)
    assert len(text) == length
    for headers in ({}, HTMX):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(SEARCH, {"q": text}, headers=headers)
        html = response.content.decode()
        assert response.status_code == 422, headers
        assert f"Search for at most 200 characters (this has {length})" in html
        assert "search-hit-title" not in html and 'role="option"' not in html
        assert not [q for q in queries.captured_queries if "to_tsquery" in q["sql"]]
    assert client.get(SEARCH, {"q": "aardvark " * 22}).status_code == 200  # 198 characters: searched


# --- The page, the dropdown, anonymous visitors -----------------------------------------------------


def test_the_frame_carries_the_search_box(login, cast):
    html = login(cast.member).get(reverse("home")).content.decode()
    assert 'role="combobox"' in html and 'aria-controls="frame-search-listbox"' in html
    assert 'placeholder="Search"' in html and 'aria-keyshortcuts="/"' in html
    assert 'hx-trigger="input changed delay:200ms, search"' in html
    assert '<label for="frame-search-input" class="visually-hidden">' in html
    assert "js/search.js" in html


def test_the_htmx_request_gets_the_dropdown_alone(login, cast, quarter):
    objective = make_objective(cast, quarter, "Checkout is fast")
    kr = make_kr(objective, "Checkout p95 under 400 ms")
    response = login(cast.member).get(SEARCH, {"q": "checkout p9"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "<h1" not in html
    assert 'role="listbox"' in html and html.count('role="option"') == 2  # the KR and "See all results"
    assert f'href="{reverse("key_result_detail", args=[kr.pk])}"' in html
    assert 'href="/search/?q=checkout%20p9"' in html and "See all results for “checkout p9”" in html
    assert "1 result: arrow keys move through them" in html
    nothing = login(cast.member).get(SEARCH, {"q": "zzz"}, headers=HTMX).content.decode()
    assert "Nothing you can see matches “zzz”" in nothing and nothing.count('role="option"') == 1


def test_only_get_is_allowed(login, cast):
    assert login(cast.member).post(SEARCH, {"q": "x"}).status_code == 405


def test_anonymous_visitors_go_to_the_login_page(client):
    response = client.get(SEARCH, {"q": "checkout"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get(SEARCH, {"q": "checkout"}, headers=HTMX).status_code == 302


# --- Queries and indexes ----------------------------------------------------------------------------


def _fill(cast, quarter, n: int, tag: str) -> None:
    objective = make_objective(cast, quarter, f"Heron objective {tag}", team=cast.team, visibility="team")
    for i in range(n):
        make_kr(objective, f"Heron result {tag} {i}", owner=cast.member)
        epic = backlog_services.epic_save(organisation=cast.org, team=cast.team, title=f"Heron epic {tag} {i}")
        backlog_services.story_save(
            organisation=cast.org, team=cast.team, title=f"Heron story {tag} {i}", epic=epic, assignee=cast.member
        )
        backlog_services.theme_save(organisation=cast.org, title=f"Heron theme {tag} {i}")
        MembershipFactory(organisation=cast.org, user__full_name=f"Heron Person {tag} {i}", job_title="Analyst")


def test_query_count_does_not_grow_with_the_results(login, cast, quarter, django_assert_max_num_queries):
    _fill(cast, quarter, 1, "a")
    client = login(cast.member)
    client.get(SEARCH, {"q": "heron"})
    with CaptureQueriesContext(connection) as few:
        assert client.get(SEARCH, {"q": "heron"}).status_code == 200
    _fill(cast, quarter, 6, "b")
    with CaptureQueriesContext(connection) as many:
        html = client.get(SEARCH, {"q": "heron"}).content.decode()
    assert html.count('class="search-hit-title"') == 2 + 5 * 7  # 2 objectives; 7 of every other kind
    assert len(many) == len(few)
    with django_assert_max_num_queries(16):  # session, viewer, frame, one query per kind
        client.get(SEARCH, {"q": "heron"})
    with django_assert_max_num_queries(16):
        client.get(SEARCH, {"q": "heron"}, headers=HTMX)


def _plan(queryset) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
        cursor.execute("RESET enable_seqscan")
    return plan


def test_the_objective_and_story_queries_use_their_gin_index(cast, quarter):
    """With a realistic number of rows (and fresh statistics) the planner picks the GIN index over the
    organisation's b-tree: it can only if the query's expression is the index's."""
    make_objective(cast, quarter, "Kestrel objective")
    backlog_services.story_save(organisation=cast.org, team=cast.team, title="Kestrel story")
    common = {"organisation": cast.org, "owner": cast.lead, "visibility": "company", "state": "active"}
    Objective.objects.bulk_create(
        Objective(cycle=quarter, title=f"Filler objective {i}", description="plain words", **common)
        for i in range(2000)
    )
    # The backlog's rank is a unique order key per team (a float before fractional indexing): any distinct ones.
    textual_rank = isinstance(Story._meta.get_field("rank"), CharField)
    Story.objects.bulk_create(
        Story(
            organisation=cast.org,
            team=cast.team,
            title=f"Filler story {i}",
            description="plain words",
            rank=f"filler{i:05d}" if textual_rank else 1000.0 + i,
        )
        for i in range(2000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE objectives_objective; ANALYZE backlog_story")
    for membership in (cast.member, cast.guest, cast.admin):
        viewer = viewer_of(membership)
        query = prefix_query(search_terms("kestrel"))
        objectives = objective_matches(viewer, query)
        stories = story_matches(viewer, query)
        assert [o.title for o in objectives] == ["Kestrel objective"]
        assert [s.title for s in stories] == ["Kestrel story"]
        assert "Bitmap Index Scan on objective_search" in _plan(objectives), membership
        assert "Bitmap Index Scan on story_search" in _plan(stories), membership


def test_a_guest_of_two_teams_sees_both(cast):
    """A guest's teams are all the teams they are a guest of (not just the first)."""
    third = TeamFactory(organisation=cast.org, name="Payments")
    TeamMembershipFactory(team=third, membership=cast.guest, role=TeamRole.GUEST)
    backlog_services.story_save(organisation=cast.org, team=third, title="Ibis payments story")
    backlog_services.story_save(organisation=cast.org, team=cast.team, title="Ibis checkout story")
    found = sorted(titles(search(viewer_of(cast.guest), "ibis", limit=5), "story"))
    assert found == ["Ibis checkout story", "Ibis payments story"]
