"""Every text a person types has a length limit, with a message that says what to do."""

from __future__ import annotations

import pytest
from django.urls import reverse

from backlog.forms import EpicForm, StoryForm
from backlog.models import Epic, Sprint
from checkins.forms import CheckInForm
from objectives import services
from okrapp.forms_text import DESCRIPTION_MAX_LENGTH, NOTE_MAX_LENGTH
from tests.conftest import TODAY

pytestmark = pytest.mark.django_db


def test_an_objective_description_too_long_is_refused_next_to_the_field(login, cast, okrs):
    objective = okrs[2]
    response = login(cast.lead).post(
        reverse("objective_edit", args=[objective.pk]),
        {
            "title": objective.title,
            "description": "x" * (DESCRIPTION_MAX_LENGTH + 1),
            "owner": cast.lead.pk,
            "visibility": "team",
            "state": "active",
        },
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert "Keep this to 10,000 characters at most (it has 10001)" in body
    assert 'maxlength="10000"' in body  # the browser stops typing there too
    objective.refresh_from_db()
    assert objective.description == ""


def test_check_in_notes_have_a_limit(cast, okrs):
    kr = services.key_result_create(objective=okrs[2], title="API p95", start_value=800, target_value=300, today=TODAY)
    data = {"value": "500", "confidence": "0.7", "blockers": "b" * (NOTE_MAX_LENGTH + 1)}
    form = CheckInForm(data, key_result=kr)
    assert not form.is_valid()
    assert form.errors["blockers"] == [
        "Keep this to 4,000 characters at most (it has 4001): shorten it, or link to a longer document."
    ]
    assert CheckInForm(data | {"blockers": "b" * NOTE_MAX_LENGTH}, key_result=kr).is_valid()


def test_backlog_texts_have_a_limit(cast):
    too_long = "y" * (DESCRIPTION_MAX_LENGTH + 1)
    story = StoryForm(
        {"title": "Cache the basket", "status": "todo", "description": too_long},
        epics=Epic.objects.none(),
        sprints=Sprint.objects.none(),
    )
    assert not story.is_valid() and "10,000 characters" in story.errors["description"][0]
    epic = EpicForm(
        {"title": "Faster pages", "status": "open", "my_intent": too_long},
        themes=Epic.objects.none(),
        parents=Epic.objects.none(),
    )
    assert not epic.is_valid() and list(epic.errors) == ["my_intent"]
