"""The cascade's filters, read from the URL so a filtered view can be shared. An id that is not one
answers 400 (okrapp.parsing); a value that is not one of the choices (another organisation's team, a
made-up status) is dropped, as one that does not exist."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict

from dashboards.cascade import COMMITTED, COMPANY, STRETCH, Filters
from objectives.models import Cycle, ValueDimension
from objectives.progress import STATUS_LABELS, Status
from okrapp.http import Viewer
from okrapp.parsing import parse_id

MAX_OPEN_TOKENS = 200


class CascadeFilterForm(forms.Form):
    cycle = forms.ModelChoiceField(queryset=Cycle.objects.none(), required=False, empty_label=None)
    team = forms.ChoiceField(required=False)
    status = forms.ChoiceField(required=False)
    dimension = forms.ModelChoiceField(queryset=ValueDimension.objects.none(), required=False)
    ambition = forms.ChoiceField(required=False, choices=[("", "All"), (COMMITTED, "Committed"), (STRETCH, "Stretch")])
    open = forms.CharField(required=False, max_length=2000)

    def __init__(self, data: QueryDict, *, viewer: Viewer, teams: list[Any]) -> None:
        for name in ("cycle", "dimension"):
            parse_id(data.get(name), field=name)
        if data.get("team") != COMPANY:
            parse_id(data.get("team"), field="team")
        super().__init__(data)
        self.fields["cycle"].queryset = Cycle.objects.filter(organisation_id=viewer.organisation_id)  # type: ignore[attr-defined]
        self.fields["dimension"].queryset = ValueDimension.objects.filter(organisation_id=viewer.organisation_id)  # type: ignore[attr-defined]
        self.fields["team"].choices = [("", "All"), (COMPANY, "Company level")] + [(str(t.pk), t.name) for t in teams]  # type: ignore[attr-defined]
        self.fields["status"].choices = [("", "Any")] + [(s.value, STATUS_LABELS[s]) for s in Status]  # type: ignore[attr-defined]

    def value(self, name: str) -> Any:
        """The field's clean value, or None when it was missing or not one of the choices."""
        if name in self.errors:
            return None
        return self.cleaned_data.get(name) or None

    def filters(self) -> Filters:
        self.is_valid()
        team = self.value("team")
        status = self.value("status")
        dimension = self.value("dimension")
        tokens = (self.value("open") or "").split(",")[:MAX_OPEN_TOKENS]
        return Filters(
            team=COMPANY if team == COMPANY else int(team) if team else None,
            status=Status(status) if status else None,
            dimension=dimension.pk if dimension else None,
            ambition=self.value("ambition"),
            open=frozenset(t for t in tokens if t and len(t) < 20),
        )
