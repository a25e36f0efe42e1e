"""The comment pages and panels: GET, htmx partial, valid and invalid POST, edit, delete, refusals,
escaping, query pins."""

from __future__ import annotations

import pytest
from django.urls import reverse

from comments import services
from comments.access import target_of_key_result
from comments.models import Comment
from comments.templatetags.comment_text import comment_html

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_key_result_page_shows_the_panel_and_checkin_threads(login, cast, kr, checkin):
    services.comment_create(author=cast.lead, target=target_of_key_result(kr), body="Looks good")
    page = login(cast.member).get(reverse("key_result_detail", args=[kr.pk])).content.decode()
    assert "Looks good" in page and "Type @ and a name to notify someone" in page
    assert "Comments (0)" in page and reverse("comment_thread_checkin", args=[checkin.pk]) in page


def test_epic_page_shows_the_panel(login, cast, epic):
    response = login(cast.member).get(reverse("epic_detail", args=[epic.pk]))
    assert response.status_code == 200 and 'id="thread-epic-' in response.content.decode()


@pytest.mark.parametrize("kind", ["key_result", "checkin", "epic"])
def test_thread_get_post_and_htmx(login, cast, kr, checkin, epic, kind):
    obj = {"key_result": kr, "checkin": checkin, "epic": epic}[kind]
    url = reverse(f"comment_thread_{kind}", args=[obj.pk])
    client = login(cast.member)
    full = client.get(url)
    assert full.status_code == 200 and "<html" in full.content.decode()
    partial = client.get(url, **HTMX)
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    posted = client.post(url, {"body": "First!"})
    comment = Comment.objects.get()
    assert posted.status_code == 302 and posted["Location"].endswith(f"#comment-{comment.pk}")
    again = client.post(url, {"body": "Second"}, **HTMX)
    assert again.status_code == 200 and "Second" in again.content.decode()
    refused = client.post(url, {"body": "y" * 100_000}, **HTMX)
    assert refused.status_code == 422 and "at most 5,000 characters" in refused.content.decode()
    assert Comment.objects.count() == 2


def test_outsider_gets_404_and_guest_reads_but_may_not_post(login, cast, kr, private_kr):
    url = reverse("comment_thread_key_result", args=[kr.pk])
    assert login(cast.outsider).get(url).status_code == 404
    assert login(cast.employee_elsewhere).get(url).status_code == 404  # team-visible, Growth's member
    assert login(cast.member).get(reverse("comment_thread_key_result", args=[private_kr.pk])).status_code == 404
    guest = login(cast.guest)
    assert guest.get(url).status_code == 200
    assert guest.post(url, {"body": "hi"}).status_code == 403
    assert not Comment.objects.exists()


def test_edit_and_delete_are_the_authors(login, cast, kr):
    comment = services.comment_create(author=cast.member, target=target_of_key_result(kr), body="Mine")
    edit, delete = reverse("comment_edit", args=[comment.pk]), reverse("comment_delete", args=[comment.pk])
    assert login(cast.lead).post(edit, {"body": "Theirs"}).status_code == 403
    assert login(cast.lead).post(delete).status_code == 403
    assert login(cast.outsider).post(delete).status_code == 404
    client = login(cast.member)
    assert client.get(edit).status_code == 200
    assert "<html" not in client.get(edit, **HTMX).content.decode()
    assert client.post(edit, {"body": ""}, **HTMX).status_code == 422
    assert client.post(edit, {"body": "Mine, edited"}).status_code == 302
    comment.refresh_from_db()
    assert comment.body == "Mine, edited"
    gone = client.post(delete, **HTMX)
    assert gone.status_code == 200 and "Comment deleted" in gone.content.decode()
    assert "Mine, edited" not in client.get(reverse("key_result_detail", args=[kr.pk])).content.decode()


def test_text_is_escaped_and_only_http_links_are_made():
    html = comment_html("<script>alert(1)</script>\njavascript:alert(1) see https://ex.com/a?b=1&c=2.")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<br>" in html
    assert 'href="javascript' not in html
    assert '<a href="https://ex.com/a?b=1&amp;c=2" rel="nofollow noopener">' in html


def test_a_script_body_renders_as_text_on_the_page(login, cast, kr):
    services.comment_create(author=cast.member, target=target_of_key_result(kr), body="<script>alert(1)</script>")
    page = login(cast.lead).get(reverse("key_result_detail", args=[kr.pk])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page


def test_thread_query_count_does_not_grow(login, cast, kr, django_assert_max_num_queries):
    client = login(cast.member)
    url = reverse("comment_thread_key_result", args=[kr.pk])
    services.comment_create(author=cast.lead, target=target_of_key_result(kr), body="one")
    with django_assert_max_num_queries(12) as few:
        client.get(url, **HTMX)
    for i in range(15):
        author = (cast.lead, cast.member, cast.teammate)[i % 3]
        services.comment_create(author=author, target=target_of_key_result(kr), body=f"c{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url, **HTMX)
