"""The API of the organisation's core: a token for scripts, and teams."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from okrapp import services
from okrapp.access import access_team, visible_teams
from okrapp.api.auth import TokenAuthentication
from okrapp.api.base import ERRORS, ScopedInput, resource_schema
from okrapp.api.filters import IdFilter
from okrapp.api.resource import Resource
from okrapp.http import Viewer
from okrapp.lockout import client_ip
from okrapp.models import Team
from okrapp.tokens import api_token_create


class TokenRequest(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=200, trim_whitespace=False)


class LoginThrottle(AnonRateThrottle):
    scope = "api_login"


@extend_schema(
    request=TokenRequest,
    responses={201: inline_serializer("Token", {"token": serializers.CharField()}), **ERRORS},
    auth=[],
    summary="A personal token for a script, in exchange for an e-mail and password",
)
@api_view(["POST"])
@authentication_classes([TokenAuthentication])  # only for the 401 answer's WWW-Authenticate
@permission_classes([AllowAny])
@throttle_classes([LoginThrottle])
def token_obtain(request: Request) -> Response:
    """Send ``{"email": ..., "password": ...}``; answer ``{"token": ...}`` (shown this once: keep it). Use
    it as ``Authorization: Token <token>``; revoke it on your profile page. Failed attempts count with
    the sign-in page's: too many for one account from one address answer 429 for a while."""
    data = TokenRequest(data=request.data)
    data.is_valid(raise_exception=True)
    user = authenticate(
        request._request, username=data.validated_data["email"].lower(), password=data.validated_data["password"]
    )
    viewer = Viewer.load(user) if user is not None else None
    if viewer is None:
        raise exceptions.AuthenticationFailed("That e-mail and password do not match an account.")
    _token, secret = api_token_create(
        membership=viewer.membership, name="Script login", ip_address=client_ip(request._request)
    )
    return Response({"token": secret}, status=status.HTTP_201_CREATED)


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ("id", "name", "parent", "mission")


class TeamInput(ScopedInput):
    class Meta:
        model = Team
        fields = ("name", "parent", "mission")
        extra_kwargs = {"parent": {"required": False, "allow_null": True}}

    def scopes(self, viewer: Viewer) -> dict[str, QuerySet[Any]]:
        return {"parent": Team.objects.filter(organisation_id=viewer.organisation_id)}


class TeamFilter(filters.FilterSet):
    parent = IdFilter(field_name="parent", scope=visible_teams)

    class Meta:
        model = Team
        fields = ("parent",)


@resource_schema(TeamSerializer, TeamInput)
class TeamResource(Resource):
    """Teams and departments (a team with a parent is part of it). Company admins add and change them."""

    model = Team
    serializer_class = TeamSerializer
    write_serializer_class = TeamInput
    filterset_class = TeamFilter
    version_fields = ("name", "parent", "mission")

    def visible(self) -> QuerySet[Team]:
        teams = Team.objects.filter(organisation_id=self.viewer.organisation_id).order_by("name", "pk")
        return teams.filter(pk__in=self.viewer.team_roles) if self.viewer.is_guest_only else teams

    def fetch(self, pk: int, *, write: bool = False) -> Team:
        return access_team(self.viewer, pk, write=write)

    def save(self, instance: Team | None, data: dict[str, Any]) -> Team:
        if instance is None:
            if not self.viewer.is_admin:
                raise exceptions.PermissionDenied("Only company admins add teams.")
            return services.team_create(organisation=self.viewer.organisation, **data)
        return services.team_update(team=instance, **data)
