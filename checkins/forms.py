"""The check-in form (one per KR row, prefixed) and the metric reading form."""

from __future__ import annotations

from typing import Any

from django import forms

from objectives.models import KeyResult
from objectives.progress import Kind
from okrapp.forms_text import NOTE_MAX_LENGTH, long_text
from okrapp.parsing import validate_date_bounds

DONE_CHOICES = [("", "Choose…"), ("no", "Not done yet"), ("yes", "Done")]


class CheckInForm(forms.Form):
    value = forms.FloatField(label="Value", required=False, widget=forms.NumberInput(attrs={"step": "any"}))
    done = forms.ChoiceField(label="Done?", choices=DONE_CHOICES, required=False)
    confidence = forms.FloatField(
        label="Confidence",
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.1", "min": "0", "max": "1", "inputmode": "decimal"}),
        help_text="0.0 to 1.0: how sure are you the key result will be met?",
    )
    what_changed = long_text(label="What changed", max_length=NOTE_MAX_LENGTH)
    next_steps = long_text(label="Next steps", max_length=NOTE_MAX_LENGTH)
    blockers = long_text(label="Blockers", max_length=NOTE_MAX_LENGTH)

    def __init__(self, *args: Any, key_result: KeyResult, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_result = key_result
        for name in ("value", "done", "confidence"):
            self.fields[name].conditional = True  # type: ignore[attr-defined]  # required; the service says so
        if key_result.kind == Kind.MILESTONE:
            del self.fields["value"]
        else:
            del self.fields["done"]
            unit = f" ({key_result.unit})" if key_result.unit else ""
            self.fields["value"].label = f"Value{unit}"

    def cleaned_done(self) -> bool | None:
        raw = self.cleaned_data.get("done")
        return None if raw in (None, "") else raw == "yes"

    def entry(self) -> dict[str, Any]:
        """The cleaned check-in, as keyword arguments of ``checkins.services.checkin_save``."""
        data = self.cleaned_data
        return {
            "value": data.get("value"),
            "done": self.cleaned_done(),
            "confidence": data["confidence"],
            "what_changed": data["what_changed"],
            "next_steps": data["next_steps"],
            "blockers": data["blockers"],
        }


class ReadingForm(forms.Form):
    taken_on = forms.DateField(
        label="Date",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[validate_date_bounds],  # within 2000–2100 (okrapp.parsing)
    )
    value = forms.FloatField(label="Value", widget=forms.NumberInput(attrs={"step": "any"}))
    note = forms.CharField(label="Note", max_length=240, required=False)
