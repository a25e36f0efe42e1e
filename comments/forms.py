from __future__ import annotations

from django import forms

from comments.models import BODY_LIMIT

MENTION_HELP = (
    "Type @ and a name to notify someone: “@Ana Lima”, or the part of their e-mail before the @ (“@ana.lima”). "
    "Plain text; links are made clickable."
)


class CommentForm(forms.Form):
    # No max_length on the field: the service refuses an over-long comment with its length in words.
    body = forms.CharField(
        label="Comment",
        strip=False,
        help_text=MENTION_HELP,
        widget=forms.Textarea(attrs={"rows": 3, "data-limit": BODY_LIMIT}),
    )
