"""Every text a person types has a length limit, with a message that says what to do."""

from __future__ import annotations

from typing import Any

from django import forms

NOTE_MAX_LENGTH = 4_000  # a check-in's notes: what changed, next steps, blockers
DESCRIPTION_MAX_LENGTH = 10_000  # descriptions, mission briefings, a sprint's goal


def long_text(*, label: str, max_length: int, rows: int = 2, required: bool = False, **kwargs: Any) -> forms.CharField:
    """A textarea field with a limit the browser enforces too (``maxlength``) and a plain message."""
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={
            "max_length": f"Keep this to {max_length:,} characters at most (it has %(show_value)d): "
            "shorten it, or link to a longer document."
        },
        **kwargs,
    )
