"""The backlog's API: themes, epics, stories, sprints and the links between work and key results.
Same rules and services as the pages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import CharField, F, IntegerField, Q, QuerySet, Value
from django.http import Http404
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from backlog import selectors, services, sprints
from backlog.access import (
    access_backlog_team,
    access_epic,
    access_sprint,
    access_story,
    access_theme,
    can_edit_roadmap,
)
from backlog.models import Epic, EpicLink, Sprint, SprintState, Story, StoryLink, StoryStatus, Theme
from objectives.models import KeyResult
from objectives.selectors import people_choices
from objectives.visibility import visible_key_results, visible_objectives
from okrapp.access import visible_people, visible_teams
from okrapp.api.base import ERRORS, FiniteFloatField, ScopedInput, resource_schema
from okrapp.api.filters import IdFilter, IdParam
from okrapp.api.resource import Resource, parse_pk
from okrapp.http import Viewer
from okrapp.models import Team


def seen_teams(viewer: Viewer) -> Q:
    """Work items of the teams the viewer may see (guests: their own teams)."""
    return Q(team_id__in=list(viewer.team_roles)) if viewer.is_guest_only else Q()


class ThemeSerializer(serializers.ModelSerializer):
    # An objective one may not see is left out: its id would tell that it exists (ThemeResource.context_for).
    objectives = serializers.SerializerMethodField(help_text="The objectives it serves, those you may see.")

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_objectives(self, theme: Theme) -> list[int]:
        return [o.pk for o in theme.objectives.all() if o.pk in self.context["visible_objectives"]]

    class Meta:
        model = Theme
        fields = ("id", "title", "description", "lane", "position", "objectives")


class ThemeInput(ScopedInput):
    class Meta:
        model = Theme
        fields = ("title", "description", "lane", "objectives")
        extra_kwargs = {"objectives": {"required": False}}

    def scopes(self, viewer: Viewer) -> dict[str, QuerySet[Any]]:
        return {"objectives": visible_objectives(viewer)}


@resource_schema(ThemeSerializer, ThemeInput)
class ThemeResource(Resource):
    """Roadmap themes in lanes now, next and later, with the objectives they serve (visible ones)."""

    model = Theme
    serializer_class = ThemeSerializer
    write_serializer_class = ThemeInput
    version_fields = ("title", "description", "lane", "objectives")

    def visible(self) -> QuerySet[Theme]:
        return (
            Theme.objects.filter(organisation_id=self.viewer.organisation_id)
            .prefetch_related("objectives")
            .order_by("lane", "position", "pk")
        )

    def context_for(self, rows: Sequence[Any]) -> dict[str, Any]:
        linked = {o.pk for theme in rows for o in theme.objectives.all()}
        return {
            "visible_objectives": set(
                visible_objectives(self.viewer).filter(pk__in=linked).values_list("pk", flat=True)
            )
        }

    def fetch(self, pk: int, *, write: bool = False) -> Theme:
        return access_theme(self.viewer, pk, write=write)

    def save(self, instance: Theme | None, data: dict[str, Any]) -> Theme:
        if instance is None and not can_edit_roadmap(self.viewer):
            raise exceptions.PermissionDenied("Only leadership, admins and team leads change the roadmap.")
        return services.theme_save(organisation=self.viewer.organisation, theme=instance, writer=self.viewer, **data)


BRIEFING = ("context", "higher_intent", "my_intent", "key_implied_tasks", "boundaries")


class EpicSerializer(serializers.ModelSerializer):
    class Meta:
        model = Epic
        fields = ("id", "team", "theme", "parent", "title", "status", "owner", *BRIEFING, "rank", "external_key")


class EpicInput(ScopedInput):
    class Meta:
        model = Epic
        fields = ("team", "theme", "parent", "title", "status", "owner", *BRIEFING)
        extra_kwargs = {
            "theme": {"required": False, "allow_null": True},
            "parent": {"required": False, "allow_null": True},
            "owner": {"required": False, "allow_null": True},
            **{name: {"max_length": 4000} for name in BRIEFING},
        }

    def scopes(self, viewer: Viewer) -> dict[str, QuerySet[Any]]:
        org = viewer.organisation_id
        return {
            "team": Team.objects.filter(organisation_id=org),
            "theme": Theme.objects.filter(organisation_id=org),
            "parent": Epic.objects.filter(seen_teams(viewer), organisation_id=org),
            "owner": people_choices(viewer),
        }


class TeamWorkFilter(filters.FilterSet):
    team = IdFilter(field_name="team", scope=visible_teams)


def organisation_themes(viewer: Viewer) -> QuerySet[Theme]:
    """Every member of the organisation sees its roadmap's themes."""
    return Theme.objects.filter(organisation_id=viewer.organisation_id)


def visible_epics(viewer: Viewer) -> QuerySet[Epic]:
    return Epic.objects.filter(seen_teams(viewer), organisation_id=viewer.organisation_id)


def visible_sprints(viewer: Viewer) -> QuerySet[Sprint]:
    return Sprint.objects.filter(seen_teams(viewer), organisation_id=viewer.organisation_id)


class EpicFilter(TeamWorkFilter):
    theme = IdFilter(field_name="theme", scope=organisation_themes)

    class Meta:
        model = Epic
        fields = ("team", "theme", "status")


@resource_schema(EpicSerializer, EpicInput)
class EpicResource(Resource):
    """Epics with their mission briefing. A team's leads (and admins) write them."""

    model = Epic
    serializer_class = EpicSerializer
    write_serializer_class = EpicInput
    filterset_class = EpicFilter
    version_fields = ("team", "theme", "parent", "title", "status", "owner", *BRIEFING)

    def visible(self) -> QuerySet[Epic]:
        return Epic.objects.filter(seen_teams(self.viewer), organisation_id=self.viewer.organisation_id).order_by(
            "team_id", "rank", "pk"
        )

    def fetch(self, pk: int, *, write: bool = False) -> Epic:
        return access_epic(self.viewer, pk, write=write)

    def save(self, instance: Epic | None, data: dict[str, Any]) -> Epic:
        team = access_backlog_team(self.viewer, data["team"].pk, plan=True)
        if instance is not None and team.pk != instance.team_id:
            raise ValidationError({"team": "An epic stays with its team."})
        return services.epic_save(organisation=self.viewer.organisation, epic=instance, **{**data, "team": team})


class StorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Story
        fields = (
            "id",
            "team",
            "epic",
            "sprint",
            "title",
            "description",
            "points",
            "status",
            "done_at",
            "assignee",
            "rank",
            "external_key",
        )


class StoryInput(ScopedInput):
    points = FiniteFloatField(required=False, allow_null=True, min_value=0, max_value=1000)

    class Meta:
        model = Story
        fields = ("team", "epic", "sprint", "title", "description", "points", "status", "assignee")
        extra_kwargs = {
            "epic": {"required": False, "allow_null": True},
            "sprint": {"required": False, "allow_null": True},
            "assignee": {"required": False, "allow_null": True},
            "description": {"max_length": 10000},
        }

    def scopes(self, viewer: Viewer) -> dict[str, QuerySet[Any]]:
        org = viewer.organisation_id
        return {
            "team": Team.objects.filter(organisation_id=org),
            "epic": Epic.objects.filter(seen_teams(viewer), organisation_id=org),
            "sprint": Sprint.objects.filter(seen_teams(viewer), organisation_id=org),
            "assignee": people_choices(viewer),
        }


class StoryFilter(TeamWorkFilter):
    epic = IdFilter(field_name="epic", scope=visible_epics)
    sprint = IdFilter(field_name="sprint", scope=visible_sprints)
    assignee = IdFilter(field_name="assignee", scope=visible_people)
    key_result = IdFilter(
        field_name="key_results", scope=visible_key_results, label="Linked directly to this key result"
    )

    class Meta:
        model = Story
        fields = ("team", "epic", "sprint", "status", "assignee", "key_result")


@resource_schema(StorySerializer, StoryInput)
class StoryResource(Resource):
    """Backlog stories in rank order. The team's members and leads write them."""

    model = Story
    serializer_class = StorySerializer
    write_serializer_class = StoryInput
    filterset_class = StoryFilter
    version_fields = ("team", "epic", "sprint", "title", "description", "points", "status", "assignee")

    def visible(self) -> QuerySet[Story]:
        return Story.objects.filter(seen_teams(self.viewer), organisation_id=self.viewer.organisation_id).order_by(
            "team_id", "rank", "pk"
        )

    def fetch(self, pk: int, *, write: bool = False) -> Story:
        return access_story(self.viewer, pk, write=write)

    def save(self, instance: Story | None, data: dict[str, Any]) -> Story:
        team = access_backlog_team(self.viewer, data["team"].pk, write=True)
        if instance is not None and team.pk != instance.team_id:
            raise ValidationError({"team": "A story stays with its team."})
        return services.story_save(organisation=self.viewer.organisation, story=instance, **{**data, "team": team})


class SprintSerializer(serializers.ModelSerializer):
    # A key result one may not see is left out: its id would tell that it exists (SprintResource.context_for).
    focus_key_results = serializers.SerializerMethodField(help_text="The key results it focuses on, those you may see.")

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_focus_key_results(self, sprint: Sprint) -> list[int]:
        return [kr.pk for kr in sprint.focus_key_results.all() if kr.pk in self.context["visible_key_results"]]

    class Meta:
        model = Sprint
        fields = (
            "id",
            "team",
            "name",
            "start_date",
            "end_date",
            "goal",
            "state",
            "focus_key_results",
            "committed_points",
            "started_at",
            "completed_points",
            "closed_at",
        )


class SprintInput(ScopedInput):
    class Meta:
        model = Sprint
        fields = ("team", "name", "start_date", "end_date", "goal", "focus_key_results")
        extra_kwargs = {"focus_key_results": {"required": False}, "goal": {"max_length": 4000}}

    def scopes(self, viewer: Viewer) -> dict[str, QuerySet[Any]]:
        return {
            "team": Team.objects.filter(organisation_id=viewer.organisation_id),
            "focus_key_results": visible_key_results(viewer),
        }


class SprintFilter(TeamWorkFilter):
    class Meta:
        model = Sprint
        fields = ("team", "state")


class SprintCompleteInput(serializers.Serializer):
    move_to = serializers.PrimaryKeyRelatedField(
        queryset=Sprint.objects.none(),
        required=False,
        allow_null=True,
        help_text="A planned sprint of the same team for the unfinished stories; empty: back to the backlog.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sprint = self.context.get("sprint")
        field = self.fields["move_to"]
        if sprint is not None:  # only the team's planned sprints: another team's answers as not found
            field.queryset = Sprint.objects.filter(  # type: ignore[attr-defined]
                team_id=sprint.team_id, state=SprintState.PLANNED
            ).exclude(pk=sprint.pk)


@resource_schema(SprintSerializer, SprintInput)
class SprintResource(Resource):
    """Sprints with their focus key results. The team's leads plan them."""

    model = Sprint
    serializer_class = SprintSerializer
    write_serializer_class = SprintInput
    filterset_class = SprintFilter
    version_fields = ("team", "name", "start_date", "end_date", "goal", "focus_key_results")

    def visible(self) -> QuerySet[Sprint]:
        return (
            Sprint.objects.filter(seen_teams(self.viewer), organisation_id=self.viewer.organisation_id)
            .prefetch_related("focus_key_results")
            .order_by("-start_date", "pk")
        )

    def context_for(self, rows: Sequence[Any]) -> dict[str, Any]:
        focus = {kr.pk for sprint in rows for kr in sprint.focus_key_results.all()}
        return {
            "visible_key_results": set(
                visible_key_results(self.viewer).filter(pk__in=focus).values_list("pk", flat=True)
            )
        }

    def fetch(self, pk: int, *, write: bool = False) -> Sprint:
        return access_sprint(self.viewer, pk, write=write)

    def save(self, instance: Sprint | None, data: dict[str, Any]) -> Sprint:
        team = access_backlog_team(self.viewer, data["team"].pk, plan=True)
        if instance is not None and team.pk != instance.team_id:
            raise ValidationError({"team": "A sprint stays with its team."})
        return sprints.sprint_save(
            organisation=self.viewer.organisation, sprint=instance, writer=self.viewer, **{**data, "team": team}
        )

    @extend_schema(request=None, responses={200: SprintSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str | None = None) -> Response:
        """Start a planned sprint (its committed points are recorded); refused (400) when it is not
        planned or another sprint of the team is active."""
        return self.respond(sprints.sprint_start(sprint=self.fetch(parse_pk(pk), write=True)))

    @extend_schema(request=SprintCompleteInput, responses={200: SprintSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        """Complete an active sprint: its unfinished stories go to ``move_to`` (a planned sprint of the
        team) or, without it, back to the backlog; the KR delta report is written after commit."""
        sprint = self.fetch(parse_pk(pk), write=True)
        if not isinstance(request.data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Send a JSON object."]})
        data = SprintCompleteInput(data=request.data, context={"viewer": self.viewer, "sprint": sprint})
        data.is_valid(raise_exception=True)
        target = data.validated_data.get("move_to")
        unfinished = sprint.stories.exclude(status=StoryStatus.DONE).values_list("pk", flat=True)
        return self.respond(sprints.sprint_complete(sprint=sprint, moves=dict.fromkeys(unfinished, target)))


# --- Links between work and key results ---------------------------------------------------------------


class LinkSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="“s<id>” for a story's link, “e<id>” for an epic's.")
    story = serializers.IntegerField(allow_null=True)
    epic = serializers.IntegerField(allow_null=True)
    key_result = serializers.IntegerField()
    impact_share = serializers.FloatField(allow_null=True, help_text="A share of the KR, 0–1.")
    impact_amount = serializers.FloatField(allow_null=True, help_text="In the KR's unit, e.g. −100 (ms).")
    note = serializers.CharField()


class LinkInput(serializers.Serializer):
    story = serializers.PrimaryKeyRelatedField(queryset=Story.objects.none(), required=False, allow_null=True)
    epic = serializers.PrimaryKeyRelatedField(queryset=Epic.objects.none(), required=False, allow_null=True)
    key_result = serializers.PrimaryKeyRelatedField(queryset=KeyResult.objects.none())
    impact_share = FiniteFloatField(required=False, allow_null=True, min_value=0, max_value=1)
    impact_amount = FiniteFloatField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        viewer = self.context.get("viewer")
        if viewer is not None:
            org = viewer.organisation_id
            self.fields["story"].queryset = Story.objects.filter(seen_teams(viewer), organisation_id=org)  # type: ignore[attr-defined]
            self.fields["epic"].queryset = Epic.objects.filter(seen_teams(viewer), organisation_id=org)  # type: ignore[attr-defined]
            self.fields["key_result"].queryset = visible_key_results(viewer)  # type: ignore[attr-defined]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("story") is None) == (attrs.get("epic") is None):
            raise serializers.ValidationError("Link either a story or an epic.")
        return attrs


def _link_row(kind: str, link: StoryLink | EpicLink) -> dict[str, Any]:
    return {
        "id": f"{kind}{link.pk}",
        "story": getattr(link, "story_id", None),
        "epic": getattr(link, "epic_id", None),
        "key_result": link.key_result_id,
        "impact_share": link.impact_share,
        "impact_amount": link.impact_amount,
        "note": link.note,
    }


class LinkFilter(filters.FilterSet):
    # Applied in LinkResource.list to links already scoped to what the viewer sees: a hidden key result,
    # story or epic finds nothing, as one that does not exist.
    key_result = IdParam(method="noop", help_text="Only the links to this key result.")
    story = IdParam(method="noop")
    epic = IdParam(method="noop")

    class Meta:
        model = StoryLink
        fields = ("key_result", "story", "epic")

    def noop(self, queryset: Any, name: str, value: Any) -> Any:
        return queryset  # applied to both kinds of link in LinkResource.list


@extend_schema_view(
    list=extend_schema(responses={200: LinkSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: LinkSerializer, **ERRORS}),
    create=extend_schema(request=LinkInput, responses={201: LinkSerializer, **ERRORS}),
    destroy=extend_schema(responses={204: None, **ERRORS}),
)
class LinkResource(Resource):
    """Which stories and epics serve which key results, with the expected impact. Posting a link that
    exists updates its impact. Only links to key results the caller may see are listed."""

    model = StoryLink
    serializer_class = LinkSerializer
    write_serializer_class = LinkInput
    filterset_class = LinkFilter
    lookup_value_regex = r"[se][0-9]+"
    http_method_names = ["get", "post", "delete", "head", "options"]

    def visible(self) -> QuerySet[Any]:
        krs = visible_key_results(self.viewer).values("pk")
        org = self.viewer.organisation_id
        story_links = StoryLink.objects.filter(key_result__in=krs, story__organisation_id=org)
        epic_links = EpicLink.objects.filter(key_result__in=krs, epic__organisation_id=org)
        if self.viewer.is_guest_only:
            story_links = story_links.filter(story__team_id__in=list(self.viewer.team_roles))
            epic_links = epic_links.filter(epic__team_id__in=list(self.viewer.team_roles))
        return story_links, epic_links  # type: ignore[return-value]

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        filterset = LinkFilter(request.query_params, queryset=StoryLink.objects.none())
        if not filterset.is_valid():
            raise serializers.ValidationError(filterset.errors)
        wanted = filterset.form.cleaned_data
        story_links, epic_links = self.visible()
        if wanted.get("key_result") is not None:
            story_links = story_links.filter(key_result_id=wanted["key_result"])
            epic_links = epic_links.filter(key_result_id=wanted["key_result"])
        if wanted.get("story") is not None:
            story_links, epic_links = story_links.filter(story_id=wanted["story"]), epic_links.none()
        if wanted.get("epic") is not None:
            story_links, epic_links = story_links.none(), epic_links.filter(epic_id=wanted["epic"])
        fields = ("pk", "key_result_id", "impact_share", "impact_amount", "note")
        rows = (
            story_links.annotate(kind=Value("s", CharField()), work=F("story_id"), other=Value(None, IntegerField()))
            .values("kind", "work", "other", *fields)
            .union(
                epic_links.annotate(
                    kind=Value("e", CharField()), work=Value(None, IntegerField()), other=F("epic_id")
                ).values("kind", "work", "other", *fields),
                all=True,
            )
            .order_by("kind", "pk")
        )
        page = self.paginate_queryset(rows) or []
        data = [
            {
                "id": f"{row['kind']}{row['pk']}",
                "story": row["work"],
                "epic": row["other"],
                "key_result": row["key_result_id"],
                "impact_share": row["impact_share"],
                "impact_amount": row["impact_amount"],
                "note": row["note"],
            }
            for row in page
        ]
        return self.get_paginated_response(data)

    def fetch(self, pk: Any, *, write: bool = False) -> StoryLink | EpicLink:
        text = str(pk)
        kind, number = text[:1], parse_pk(text[1:])
        story_links, epic_links = self.visible()
        link = (story_links if kind == "s" else epic_links).filter(pk=number).first()
        if link is None:
            raise Http404("No such link.")
        if write:
            if isinstance(link, StoryLink):
                access_story(self.viewer, link.story_id, write=True)
            else:
                access_epic(self.viewer, link.epic_id, write=True)
        return link

    def retrieve(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        link = self.fetch(pk)
        return Response(_link_row("s" if isinstance(link, StoryLink) else "e", link))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(request.data, None, partial=False)
        impact = {"share": data.get("impact_share"), "amount": data.get("impact_amount"), "note": data.get("note", "")}
        if data.get("story") is not None:
            story = access_story(self.viewer, data["story"].pk, write=True)
            link: StoryLink | EpicLink = services.link_story(story=story, key_result=data["key_result"], **impact)
            return Response(_link_row("s", link), status=status.HTTP_201_CREATED)
        epic = access_epic(self.viewer, data["epic"].pk, write=True)
        link = services.link_epic(epic=epic, key_result=data["key_result"], **impact)
        return Response(_link_row("e", link), status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        link = self.fetch(pk, write=True)
        if isinstance(link, StoryLink):
            services.unlink_story(story=link.story, key_result=link.key_result)
        else:
            services.unlink_epic(epic=link.epic, key_result=link.key_result)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- What the backlog adds to a KR's API representation ---------------------------------------------


def delivery_facts(viewer: Viewer, key_results: Sequence[KeyResult], today: date) -> dict[int, dict[str, Any]]:
    """Delivery confidence of each KR for its objective's team (KRs of the company level have none)."""
    figures = selectors.delivery_confidences(key_results=key_results, today=today)
    return {kr.pk: {"delivery_confidence": figures[kr.pk].value if kr.pk in figures else None} for kr in key_results}
