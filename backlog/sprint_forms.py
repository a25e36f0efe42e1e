"""Forms of the sprint lifecycle: stories into a sprint, and where a completed sprint's unfinished
stories go. Choices are the sprint team's own rows only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet

from backlog.models import Sprint, Story
from backlog.sprints import NEW_SPRINT, Destination

BACKLOG = "backlog"
PER_STORY = ""


class SprintStoriesForm(forms.Form):
    stories = forms.ModelMultipleChoiceField(
        label="Stories to add",
        queryset=Story.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one story."},
    )

    def __init__(self, *args: Any, stories: QuerySet[Story], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stories"].queryset = stories  # type: ignore[attr-defined]


def _sprint_choice(sprint: Sprint) -> str:
    return f"sprint-{sprint.pk}"


class SprintCompleteForm(forms.Form):
    """One destination per unfinished story (``story_<pk>``), and a bulk choice that, when set, applies
    to all of them. ``moves`` is what ``sprints.sprint_complete`` takes."""

    bulk = forms.ChoiceField(label="All unfinished stories", required=False)

    def __init__(
        self, *args: Any, sprint: Sprint, unfinished: Sequence[Story], destinations: Sequence[Sprint], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.sprint, self.unfinished = sprint, list(unfinished)
        self.targets = {_sprint_choice(s): s for s in destinations}
        where: list[tuple[str, str]] = [(_sprint_choice(s), f"Move to {s.name}") for s in destinations]
        where += [(NEW_SPRINT, "Move to a new sprint after this one"), (BACKLOG, "Back to the backlog")]
        default = where[0][0] if destinations else BACKLOG
        self.fields["bulk"].choices = [(PER_STORY, "Choose per story"), *where]  # type: ignore[attr-defined]
        for story in self.unfinished:
            # Not required: a bulk choice covers a story left without one, and the default is its initial.
            self.fields[f"story_{story.pk}"] = forms.ChoiceField(
                label=f"Where “{story.title}” goes", choices=where, initial=default, required=False
            )

    def story_fields(self) -> list[tuple[Story, forms.BoundField]]:
        return [(story, self[f"story_{story.pk}"]) for story in self.unfinished]

    def _destination(self, choice: str) -> Destination:
        if choice == NEW_SPRINT:
            return NEW_SPRINT
        return self.targets.get(choice)  # BACKLOG → None

    @property
    def moves(self) -> dict[int, Destination]:
        bulk = self.cleaned_data.get("bulk") or PER_STORY
        return {
            story.pk: self._destination(
                bulk if bulk != PER_STORY else self.cleaned_data[f"story_{story.pk}"] or BACKLOG
            )
            for story in self.unfinished
        }
