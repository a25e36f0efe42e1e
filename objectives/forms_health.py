"""Forms of the health-metric and value-dimension pages. Choices are scoped to the viewer's organisation
(and, for a team lead, to the teams they lead)."""

from __future__ import annotations

from typing import Any

from django import forms

from objectives.access_health import health_metric_teams
from objectives.models import HealthMetric
from objectives.progress import Direction
from okrapp.forms import TeamChoiceField
from okrapp.http import Viewer
from okrapp.models import Membership, Team


class HealthMetricForm(forms.Form):
    name = forms.CharField(label="Name", max_length=120)
    team = TeamChoiceField(
        label="Watched by",
        queryset=Team.objects.none(),
        required=False,
        empty_label="The whole company",
    )
    description = forms.CharField(
        label="Description",
        max_length=240,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the number measures and why it matters.",
    )
    unit = forms.CharField(label="Unit", max_length=20, required=False, help_text="%, ms, €, users…")
    direction = forms.ChoiceField(
        label="Which way is better",
        choices=HealthMetric._meta.get_field("direction").choices or (),
        initial=Direction.HIGHER.value,
    )
    green_threshold = forms.FloatField(label="Green threshold", help_text="From this value on, the light is green.")
    amber_threshold = forms.FloatField(
        label="Amber threshold", help_text="From this value up to green the light is amber; beyond it, red."
    )
    owner = forms.ModelChoiceField(
        label="Owner", queryset=Membership.objects.none(), required=False, empty_label="Nobody in particular"
    )

    def __init__(self, *args: Any, viewer: Viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team = self.fields["team"]
        team.queryset = health_metric_teams(viewer)  # type: ignore[attr-defined]
        if not viewer.is_admin:
            # A team lead writes their own teams' metrics; company-wide ones are for admins.
            team.required = True
            team.empty_label = None  # type: ignore[attr-defined]
            team.help_text = "You can add metrics to the teams you lead."
        else:
            team.help_text = "Choose a team, or keep it company-wide."
        owner = self.fields["owner"]
        owner.queryset = (  # type: ignore[attr-defined]
            Membership.objects.filter(organisation_id=viewer.organisation_id)
            .select_related("user")
            .order_by("user__full_name")
        )
        owner.label_from_instance = lambda m: m.user.full_name  # type: ignore[attr-defined]


class ValueDimensionForm(forms.Form):
    name = forms.CharField(label="Name", max_length=80)
    description = forms.CharField(
        label="Description",
        max_length=240,
        required=False,
        help_text="One sentence on the value this pillar stands for.",
    )
