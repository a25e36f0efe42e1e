"""Two people editing the same story: the second save is told, not silently applied."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from backlog import services
from backlog.models import Story

pytestmark = pytest.mark.django_db


def signed_in(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def version_in(body: str) -> str:
    found = re.search(r'name="version" value="([^"]+)"', body)
    assert found, "the form carries its version"
    return html.unescape(found.group(1))


def test_saving_over_a_newer_story_is_refused_with_both_values(cast):
    story = services.story_save(organisation=cast.org, team=cast.team, title="Cache the basket", points=5)
    url = reverse("story_edit", args=[story.pk])
    member, teammate = signed_in(cast.member), signed_in(cast.teammate)
    opened = version_in(member.get(url).content.decode())
    fields = {"title": "Cache the basket", "points": "5", "status": "todo", "description": ""}

    theirs = teammate.post(url, fields | {"points": "8", "version": version_in(teammate.get(url).content.decode())})
    assert theirs.status_code == 302

    mine = fields | {"status": "in_progress", "version": opened}
    refused = member.post(url, mine)
    body = html.unescape(refused.content.decode())
    assert refused.status_code == 422
    assert "Changed by Mate since you opened it" in body
    assert "Theirs: 8 — yours: 5" in body
    assert Story.objects.get(pk=story.pk).status == "todo"  # nothing of the member's saved
    assert 'value="in_progress" selected' in body  # the member's input stays

    assert member.post(url, mine | {"version": version_in(body)}).status_code == 302
    assert Story.objects.values_list("points", "status").get(pk=story.pk) == (5, "in_progress")


def test_a_form_without_a_version_saves_as_before(cast):
    story = services.story_save(organisation=cast.org, team=cast.team, title="Cache the basket")
    response = signed_in(cast.member).post(
        reverse("story_edit", args=[story.pk]), {"title": "Cache it", "status": "todo"}
    )
    assert response.status_code == 302
