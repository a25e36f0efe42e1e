"""Forms of goals. Choices are scoped to the viewer's organisation and visibility."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from objectives.models import (
    Cycle,
    CycleKind,
    HealthMetric,
    KeyResult,
    Objective,
    ObjectiveState,
    ValueDimension,
    Visibility,
)
from objectives.progress import Kind
from okrapp.forms_text import DESCRIPTION_MAX_LENGTH, long_text
from okrapp.models import Membership, Team
from okrapp.parsing import validate_date_bounds
from okrapp.versioning import VersionedForm


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return obj.user.full_name


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return obj.user.full_name


class ObjectiveChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Objective) -> str:
        where = obj.team.name if obj.team_id else "Company"  # type: ignore[union-attr]
        return f"{where}: {obj.title}"


class KeyResultChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: KeyResult) -> str:
        return f"{obj.objective.title} → {obj.title}"


def people_of(organisation_id: int) -> Any:
    return Membership.objects.filter(organisation_id=organisation_id).select_related("user").order_by("user__full_name")


def offered_people(people: Any, chosen: Any) -> Any:
    """Deactivated people are not offered, except those already chosen (a deactivated owner stays
    until someone picks another, so saving an unrelated change does not drop them)."""
    values = chosen if isinstance(chosen, list | tuple | set) else [chosen]
    keep = {getattr(value, "pk", value) for value in values if value not in (None, "")}
    return people.filter(Q(deactivated_at=None) | Q(pk__in=keep))


class ObjectiveForm(VersionedForm):
    title = forms.CharField(
        label="Objective", max_length=200, help_text="Qualitative and inspiring: where do you want to be?"
    )
    description = long_text(label="Why it matters", max_length=DESCRIPTION_MAX_LENGTH, rows=3)
    owner = PersonChoiceField(label="Owner", queryset=Membership.objects.none())
    visibility = forms.ChoiceField(
        label="Who can see it",
        choices=Visibility.choices,
        initial=Visibility.COMPANY,
        help_text="Team: the team, the teams above it and leadership. Private: its owner, its key results' people and the team's leads.",
    )
    state = forms.ChoiceField(label="State", choices=ObjectiveState.choices, initial=ObjectiveState.ACTIVE)
    parent = ObjectiveChoiceField(
        label="Aligned to",
        queryset=Objective.objects.none(),
        required=False,
        empty_label="Nothing (a top objective)",
        help_text="The objective above this one in the cascade.",
    )
    value_dimension = forms.ModelChoiceField(
        label="Value dimension",
        queryset=ValueDimension.objects.none(),
        required=False,
        empty_label="None",
        help_text="Which of the company's value pillars it serves.",
    )
    contributes_to = KeyResultChoiceField(
        label="Also contributes to",
        queryset=KeyResult.objects.none(),
        required=False,
        help_text="Key results of other objectives this one moves (cross-team alignment).",
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    stretch = forms.BooleanField(
        label="Stretch objective",
        required=False,
        help_text="Ambitious on purpose: 0.7 at the end is a success.",
    )

    def __init__(
        self,
        *args: Any,
        organisation_id: int,
        team: Team | None,
        parents: Any,
        contributions: Any,
        people: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        people = people if people is not None else people_of(organisation_id)
        self.fields["owner"].queryset = offered_people(people, self.initial.get("owner"))  # type: ignore[attr-defined]
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]
        self.fields["contributes_to"].queryset = contributions  # type: ignore[attr-defined]
        self.fields["value_dimension"].queryset = ValueDimension.objects.filter(  # type: ignore[attr-defined]
            organisation_id=organisation_id
        )
        if team is None:
            self.fields["visibility"].choices = [  # type: ignore[attr-defined]
                (value, label) for value, label in Visibility.choices if value != Visibility.TEAM
            ]


KIND_CHOICES = [
    (Kind.METRIC.value, "Metric: move a number from a start to a target"),
    (Kind.GUARDRAIL.value, "Guardrail: keep a number above or below a bound"),
    (Kind.MILESTONE.value, "Milestone: done or not done"),
]


class KeyResultForm(VersionedForm, forms.ModelForm):
    kind = forms.ChoiceField(label="Kind", choices=KIND_CHOICES, widget=forms.RadioSelect, initial=Kind.METRIC)
    owner = PersonChoiceField(
        label="Owner", queryset=Membership.objects.none(), required=False, empty_label="Nobody yet"
    )
    contributors = PeopleChoiceField(
        label="Contributors",
        queryset=Membership.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
        help_text="People who may check in besides the owner.",
    )
    kfis = forms.ModelMultipleChoiceField(
        label="Key failure indicators",
        queryset=HealthMetric.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
        help_text="Health metrics that must not get worse while this improves. A red one caps the status at at risk.",
    )
    description = long_text(label="Notes", max_length=DESCRIPTION_MAX_LENGTH)

    class Meta:
        model = KeyResult
        fields = (
            "title",
            "kind",
            "owner",
            "unit",
            "start_value",
            "target_value",
            "current_value",
            "bound",
            "bound_keep",
            "done",
            "weight",
            "measure",
            "stretch",
            "progress_from_aligned",
            "contributors",
            "kfis",
            "description",
        )
        labels = {
            "title": "Key result",
            "unit": "Unit",
            "start_value": "Start",
            "target_value": "Target",
            "current_value": "Current",
            "bound": "Bound",
            "bound_keep": "Keep it",
            "done": "Done",
            "weight": "Weight",
            "measure": "Measure",
            "stretch": "Stretch goal",
            "progress_from_aligned": "Progress from aligned objectives",
        }
        help_texts = {
            "title": "An outcome you can measure, e.g. “API p95 latency from 800 ms to 300 ms”.",
            "weight": "How much it counts in its objective's progress (1 is normal).",
        }

    def __init__(
        self,
        *args: Any,
        organisation_id: int,
        people: Any = None,
        metrics: Any = None,
        objective_stretch: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if objective_stretch:  # objectives.progress.is_stretch: the objective's mark covers all its KRs
            self.fields["stretch"].label = "Stretch (inherited from the objective)"
            self.fields["stretch"].help_text = "The objective is a stretch, so this key result reads as stretch too."
        people = people if people is not None else people_of(organisation_id)
        self.fields["owner"].queryset = offered_people(people, self.initial.get("owner"))  # type: ignore[attr-defined]
        self.fields["contributors"].queryset = offered_people(people, self.initial.get("contributors") or [])  # type: ignore[attr-defined]
        self.fields["kfis"].queryset = (  # type: ignore[attr-defined]
            metrics
            if metrics is not None
            else HealthMetric.objects.filter(organisation_id=organisation_id).select_related("team")
        )
        self.fields["weight"].widget.attrs.update(step="0.5", min="0.5")
        self.fields["bound_keep"].choices = [("", "Choose…"), *self.fields["bound_keep"].choices[1:]]  # type: ignore[attr-defined]
        for name in ("start_value", "target_value", "bound_keep", "bound"):
            self.fields[name].conditional = True  # type: ignore[attr-defined]  # required for its kind only
        for name in ("start_value", "target_value", "current_value", "bound"):
            self.fields[name].widget.attrs.update(step="any")

    def _post_clean(self) -> None:
        """The services check definitions (and say which field is wrong); no model validation here."""

    def definition(self) -> dict[str, Any]:
        """The cleaned definition fields for the services (the people and KFIs go separately)."""
        data = dict(self.cleaned_data)
        data.pop("contributors", None)
        data.pop("kfis", None)
        return data


class CycleForm(forms.ModelForm):
    parent = forms.ModelChoiceField(
        label="Inside the year", queryset=Cycle.objects.none(), required=False, empty_label="None"
    )

    class Meta:
        model = Cycle
        fields = ("name", "kind", "start_date", "end_date", "parent")
        labels = {"name": "Name", "kind": "Kind", "start_date": "Starts", "end_date": "Ends"}
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def _post_clean(self) -> None:
        """objectives.services.cycles checks dates, names and the year (per field)."""

    def __init__(self, *args: Any, organisation_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Cycle.objects.filter(  # type: ignore[attr-defined]
            organisation_id=organisation_id, kind=CycleKind.YEAR
        )
        for name in ("start_date", "end_date"):  # a message by the field, before the service's rules
            self.fields[name].validators.append(validate_date_bounds)


class MoveKeyResultForm(forms.Form):
    objective = ObjectiveChoiceField(label="Move to objective", queryset=Objective.objects.none())

    def __init__(self, *args: Any, objectives: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["objective"].queryset = objectives  # type: ignore[attr-defined]


class GradeForm(forms.Form):
    grade = forms.FloatField(
        label="Grade", min_value=0.0, max_value=1.0, help_text="0.0 to 1.0; 0.7 on a stretch key result is a success."
    )
    grade_reason = forms.CharField(
        label="Why this grade",
        max_length=300,
        required=False,
        help_text="Needed when the grade differs from the progress.",
    )


class CarryOverForm(forms.Form):
    cycle = forms.ModelChoiceField(label="Into the cycle", queryset=Cycle.objects.none())

    def __init__(self, *args: Any, cycles: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = cycles  # type: ignore[attr-defined]
