"""Forms of the backlog pages. They parse and show errors; the rules live in ``backlog.services``."""

from __future__ import annotations

import math
import re
from typing import Any

from django import forms
from django.db.models import QuerySet

from backlog.models import Epic, Lane, Sprint, StoryStatus
from objectives.forms import PersonChoiceField
from objectives.models import KeyResult, Objective
from okrapp.forms_text import DESCRIPTION_MAX_LENGTH, long_text
from okrapp.models import Membership
from okrapp.parsing import validate_date_bounds
from okrapp.versioning import VersionedForm

IMPACT_HELP = "In the key result's unit (−100 for 100 ms less) or as a share of it (25 %). Optional."
_SHARE = re.compile(r"^\s*([-+−]?\d+(?:[.,]\d+)?)\s*%\s*$")
_AMOUNT = re.compile(r"^\s*([-+−]?\d+(?:[.,]\d+)?)\s*[^\d\s]*\s*$")


def parse_impact(text: str) -> tuple[float | None, float | None]:
    """'25 %' → (0.25, None); '−100 ms' or '-100' → (None, -100); '' → (None, None).
    Raises ValueError with a message for people."""
    text = text.strip()
    if not text:
        return None, None
    share = _SHARE.match(text)
    if share:
        return float(share.group(1).replace("−", "-").replace(",", ".")) / 100, None
    amount = _AMOUNT.match(text)
    if amount:
        value = float(amount.group(1).replace("−", "-").replace(",", "."))
        if math.isfinite(value):
            return None, value
    raise ValueError("Write the impact as a number in the key result's unit (−100) or as a share (25 %).")


class StoryForm(VersionedForm):
    title = forms.CharField(label="Story", max_length=300)
    points = forms.FloatField(
        label="Points", required=False, min_value=0, widget=forms.NumberInput(attrs={"step": "any", "min": "0"})
    )
    status = forms.ChoiceField(label="Status", choices=StoryStatus.choices, initial=StoryStatus.TODO)
    epic = forms.ModelChoiceField(label="Epic", queryset=Epic.objects.none(), required=False)
    sprint = forms.ModelChoiceField(label="Sprint", queryset=Sprint.objects.none(), required=False)
    assignee = PersonChoiceField(
        label="Assignee",
        queryset=Membership.objects.none(),
        required=False,
        empty_label="Nobody yet",
        error_messages={"invalid_choice": "Choose a lead or member of the story's team."},
    )
    description = long_text(label="Description", max_length=DESCRIPTION_MAX_LENGTH, rows=3)

    def __init__(
        self,
        *args: Any,
        epics: QuerySet[Epic],
        sprints: QuerySet[Sprint],
        people: QuerySet[Membership] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["epic"].queryset = epics  # type: ignore[attr-defined]
        self.fields["sprint"].queryset = sprints  # type: ignore[attr-defined]
        if people is not None:  # the team's active leads and members (backlog.assignees)
            self.fields["assignee"].queryset = people  # type: ignore[attr-defined]


class LinkForm(forms.Form):
    key_result = forms.ModelChoiceField(
        label="Key result", queryset=KeyResult.objects.none(), widget=forms.RadioSelect, empty_label=None
    )
    impact = forms.CharField(label="Expected impact", required=False, max_length=40, help_text=IMPACT_HELP)

    def __init__(self, *args: Any, key_results: QuerySet[KeyResult], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["key_result"].queryset = key_results  # type: ignore[attr-defined]

    def clean_impact(self) -> tuple[float | None, float | None]:
        try:
            return parse_impact(self.cleaned_data.get("impact") or "")
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


class EpicForm(forms.Form):
    title = forms.CharField(label="Epic", max_length=200)
    theme = forms.ModelChoiceField(label="Theme", queryset=Epic.objects.none(), required=False)
    parent = forms.ModelChoiceField(label="Parent epic", queryset=Epic.objects.none(), required=False)
    status = forms.ChoiceField(label="Status", choices=[("open", "Open"), ("done", "Done")], initial="open")
    context = long_text(
        label="Context",
        max_length=DESCRIPTION_MAX_LENGTH,
        rows=3,
        help_text="What is going on and why it matters now.",
    )
    higher_intent = long_text(
        label="Higher intent", max_length=DESCRIPTION_MAX_LENGTH, help_text="What the level above wants."
    )
    my_intent = long_text(
        label="My intent",
        max_length=DESCRIPTION_MAX_LENGTH,
        help_text="What this epic sets out to achieve, and why.",
    )
    key_implied_tasks = long_text(
        label="Key implied tasks",
        max_length=DESCRIPTION_MAX_LENGTH,
        rows=3,
        help_text="What must be done for the intent to hold.",
    )
    boundaries = long_text(
        label="Boundaries", max_length=DESCRIPTION_MAX_LENGTH, help_text="What is off limits; what is free."
    )

    def __init__(self, *args: Any, themes: QuerySet[Any], parents: QuerySet[Epic], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["theme"].queryset = themes  # type: ignore[attr-defined]
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]


class SprintForm(forms.Form):
    name = forms.CharField(label="Sprint", max_length=80)
    # Within 2000–2100 (okrapp.parsing): a sprint from year 1 would draw a burndown of 700,000 days.
    start_date = forms.DateField(
        label="Starts", widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_date_bounds]
    )
    end_date = forms.DateField(
        label="Ends", widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_date_bounds]
    )
    goal = long_text(label="Goal", max_length=DESCRIPTION_MAX_LENGTH)
    focus_key_results = forms.ModelMultipleChoiceField(
        label="Focus key results",
        queryset=KeyResult.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The key results this sprint is meant to move.",
    )

    def __init__(self, *args: Any, key_results: QuerySet[KeyResult], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["focus_key_results"].queryset = key_results  # type: ignore[attr-defined]


class ThemeForm(forms.Form):
    title = forms.CharField(label="Theme", max_length=200)
    description = long_text(label="Problem to solve", max_length=DESCRIPTION_MAX_LENGTH)
    lane = forms.ChoiceField(label="Lane", choices=Lane.choices, initial=Lane.LATER)
    objectives = forms.ModelMultipleChoiceField(
        label="Objectives it serves",
        queryset=Objective.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, objectives: QuerySet[Objective], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["objectives"].queryset = objectives  # type: ignore[attr-defined]
