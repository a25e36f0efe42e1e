"""The form an admin registers a webhook with: an http(s) address and the events it receives."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from okrapp.models import Webhook, WebhookEvent
from okrapp.webhook_targets import TargetNotFound, TargetRefused, webhook_target

URL_MAX_LENGTH = Webhook._meta.get_field("url").max_length or 500


class WebhookForm(forms.Form):
    url = forms.URLField(
        label="URL",
        max_length=URL_MAX_LENGTH,
        assume_scheme="https",
        help_text="Where each event is sent as a signed JSON POST: an http:// or https:// address on the internet.",
        error_messages={
            "required": "Enter the address that receives the events.",
            "invalid": "Enter a full web address, such as https://example.com/hooks/okr.",
            "max_length": f"Keep the address to {URL_MAX_LENGTH} characters at most.",
        },
        # A text box with the URL keyboard: app.css styles text inputs (type=url would stand out unstyled).
        widget=forms.TextInput(
            attrs={"inputmode": "url", "spellcheck": "false", "autocomplete": "off", "placeholder": "https://"}
        ),
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Nothing about private objectives or their key results is ever sent.",
        error_messages={"required": "Choose at least one event to send."},
    )

    def clean_url(self) -> str:
        """The address must lead to the public internet now (its host is resolved); every delivery checks
        it again, since what a name resolves to can change."""
        url: str = self.cleaned_data["url"]
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            raise ValidationError("Use an http:// or https:// address.")
        try:
            webhook_target(url, allow_internal=settings.WEBHOOKS_ALLOW_INTERNAL)
        except TargetRefused as refused:
            if refused.internal:
                raise ValidationError(
                    f"Refused: {refused}. Webhooks go only to addresses on the public internet."
                ) from None
            raise ValidationError(f"Refused: {refused}.") from None
        except TargetNotFound as missing:
            reason = str(missing)
            raise ValidationError(f"{reason[:1].upper()}{reason[1:]}: check the host name.") from None
        return url
