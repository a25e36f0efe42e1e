"""Two people editing the same thing in the browser: the second save is told, never silently applied.

An edit form carries the version of the object it was opened with (a hidden field): the time it was
opened and a short digest of each field it edits. Saving over a newer version is refused (the view
answers 422) with who changed it since and, for each field changed meanwhile, theirs and yours; the
person's input stays in the form, which now carries the stored version, so saving again is a choice.
A field changed meanwhile to exactly what the form sends is no conflict. A form without a version (a
page from before this existed, a script) saves as before, like an API write without ``If-Match``.

Who changed it comes from a registered provider (the change history registers one), so okrapp and the
apps built on it need not import the history.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django import forms
from django.db import models
from django.http import QueryDict
from django.utils import timezone

VERSION_FIELD = "version"
SHOWN_CHARACTERS = 120  # of a long text in the message


@dataclass(frozen=True)
class Editor:
    """Who made a change: a person (``user_id``) or the app itself (no user: a job, an import)."""

    user_id: int | None
    name: str


EditorProvider = Callable[[models.Model, datetime], "Editor | None"]
EDITOR_PROVIDERS: list[EditorProvider] = []


def register_editor_provider(provider: EditorProvider) -> None:
    """``provider(instance, since)`` names who last changed ``instance`` since then, or None."""
    if provider not in EDITOR_PROVIDERS:
        EDITOR_PROVIDERS.append(provider)


def last_editor(instance: models.Model, since: datetime) -> Editor | None:
    for provider in EDITOR_PROVIDERS:
        editor = provider(instance, since)
        if editor is not None:
            return editor
    return None


class VersionedForm(forms.Form):
    """Base of an edit form that carries its object's version. Its ``cleaned_data`` never holds the
    version (the services do not know it); ``opened_version`` does."""

    version = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)

    opened_version = ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        self.opened_version = str(cleaned.pop(VERSION_FIELD, "") or "")
        return cleaned


def _fields(form: forms.BaseForm, instance: models.Model) -> list[str]:
    model_fields = {f.name for f in instance._meta.get_fields() if getattr(f, "concrete", False)}
    return [name for name in form.fields if name != VERSION_FIELD and name in model_fields]


def _stored(instance: models.Model, name: str) -> Any:
    field = instance._meta.get_field(name)
    if field.many_to_many:
        return sorted(getattr(instance, name).values_list("pk", flat=True))
    return getattr(instance, field.attname)  # type: ignore[union-attr]


def _digest(value: Any) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()[:8]


def version_token(instance: models.Model, fields: Iterable[str], *, now: datetime | None = None) -> str:
    """'<opened at, epoch seconds>:<digest>-<digest>…', one digest per field, in the form's order."""
    opened = int((now or timezone.now()).timestamp())
    return f"{opened}:" + "-".join(_digest(_stored(instance, name)) for name in fields)


def form_open(form: forms.BaseForm, instance: models.Model) -> None:
    """Give an (unbound) edit form the version of ``instance`` as it is now."""
    form.initial[VERSION_FIELD] = version_token(instance, _fields(form, instance))


def _parse(token: str, count: int) -> tuple[datetime | None, list[str | None]]:
    opened, _, digests = token.partition(":")
    parts = digests.split("-")
    if not opened.isdigit() or len(parts) != count:  # unreadable: every field may have changed
        return None, [None] * count
    return datetime.fromtimestamp(int(opened), tz=UTC), list(parts)


def _key(value: Any) -> Any:
    """A value as the services store it, to compare the form's with the stored one."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, models.QuerySet | list | tuple | set):
        return sorted(v.pk if isinstance(v, models.Model) else v for v in value)
    if isinstance(value, str):
        return value.strip() or None
    return value


def _text(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    text = " ".join(str(value).split())
    return text if len(text) <= SHOWN_CHARACTERS else text[: SHOWN_CHARACTERS - 1] + "…"


def _display(field: forms.Field, value: Any) -> str:
    """A value as the form's field names it: the choice's label, the person's name."""
    if isinstance(field, forms.ModelMultipleChoiceField):
        if isinstance(value, list):  # stored primary keys: name only those the form offers
            offered = list(field.queryset.filter(pk__in=value))  # type: ignore[union-attr]
            names = [field.label_from_instance(o) for o in offered]
            if len(offered) < len(value):
                names.append(f"{len(value) - len(offered)} you cannot see")
        else:
            names = [field.label_from_instance(o) for o in value]
        return ", ".join(names) if names else "none"
    if isinstance(field, forms.ModelChoiceField):
        if value is None or value == "":
            return "none"
        if not isinstance(value, models.Model):
            chosen = field.queryset.filter(pk=value).first()  # type: ignore[union-attr]
            return field.label_from_instance(chosen) if chosen is not None else "one you cannot see"
        return field.label_from_instance(value)
    if isinstance(field, forms.ChoiceField):
        choices: list[tuple[Any, Any]] = list(getattr(field, "choices", []))
        labels = {str(k): v for k, v in choices if not isinstance(v, list | tuple)}
        return str(labels.get(str(value), _text(value)))
    return _text(value)


def form_is_current(form: forms.BaseForm, instance: models.Model, *, viewer_user_id: int | None) -> bool:
    """Call after ``is_valid()``, with ``instance`` fresh and locked (``select_for_update``) until the save.

    True when the form carries no version, was opened on the stored one, or every field changed since
    already holds what the form sends. Otherwise: the form gets "Changed by … since you opened it" and,
    per conflicting field, "Theirs: … — yours: …"; it now carries the stored version; False."""
    token = getattr(form, "opened_version", "")
    if not token:
        return True
    fields = _fields(form, instance)
    opened_at, before = _parse(token, len(fields))
    conflicts: list[tuple[str, str, str]] = []
    for name, digest in zip(fields, before, strict=True):
        stored = _stored(instance, name)
        if digest == _digest(stored) or name not in form.cleaned_data:
            continue
        yours = form.cleaned_data[name]
        if _key(yours) == _key(stored):
            continue  # changed to what this form sends anyway
        field = form.fields[name]
        theirs = stored if isinstance(field, forms.ModelChoiceField) else getattr(instance, name)
        conflicts.append((name, _display(field, theirs), _display(field, yours)))
    if not conflicts:
        return True
    editor = last_editor(instance, opened_at) if opened_at is not None else None
    if editor is None:
        who = "someone"
    elif editor.user_id is not None and editor.user_id == viewer_user_id:
        who = "you, in another tab or window,"
    else:
        who = editor.name
    form.add_error(
        None,
        f"Changed by {who} since you opened it. Nothing is saved yet: the fields marked below differ; "
        "save again to keep yours, or cancel to keep theirs.",
    )
    for name, theirs_text, yours_text in conflicts:
        form.add_error(name, f"Theirs: {theirs_text} — yours: {yours_text}")
    data = form.data.copy() if isinstance(form.data, QueryDict) else dict(form.data)
    data[form.add_prefix(VERSION_FIELD)] = version_token(instance, fields)
    form.data = data
    return False
