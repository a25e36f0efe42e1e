"""Who may see and change backlog items. Work items are not private: every member of the organisation
reads every team's backlog (guests only their own teams'). Writing:

- a team's stories: its members and leads, the leads of the teams above it, and admins;
- a team's epics, sprints, ranking and imports (planning): its leads, the leads above it, and admins;
- the roadmap's themes: leadership, admins and any team lead.

Another organisation's object, or one a guest may not see, answers 404; a forbidden change 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from backlog.models import Epic, Sprint, Story, Theme
from objectives.access import led_team_ids
from okrapp.http import Viewer
from okrapp.models import Team, TeamRole


def can_see_team(viewer: Viewer, team_id: int) -> bool:
    return not viewer.is_guest_only or team_id in viewer.team_roles


def can_plan(viewer: Viewer, team_id: int) -> bool:
    return viewer.is_admin or team_id in led_team_ids(viewer)


def can_edit_stories(viewer: Viewer, team_id: int) -> bool:
    return can_plan(viewer, team_id) or viewer.team_roles.get(team_id) == TeamRole.MEMBER


def can_edit_roadmap(viewer: Viewer) -> bool:
    return viewer.is_admin or viewer.is_leadership or bool(led_team_ids(viewer))


def access_backlog_team(viewer: Viewer, pk: int, *, plan: bool = False, write: bool = False) -> Team:
    team = Team.objects.filter(organisation_id=viewer.organisation_id, pk=pk).select_related("parent").first()
    if team is None or not can_see_team(viewer, team.pk):
        raise Http404("No such team.")
    if plan and not can_plan(viewer, team.pk):
        raise PermissionDenied("Only the team's leads plan its backlog.")
    if write and not can_edit_stories(viewer, team.pk):
        raise PermissionDenied("Only the team's members and leads change its stories.")
    return team


def access_story(viewer: Viewer, pk: int, *, write: bool = False) -> Story:
    story = (
        Story.objects.filter(organisation_id=viewer.organisation_id, pk=pk)
        .select_related("team", "epic", "sprint")
        .first()
    )
    if story is None or not can_see_team(viewer, story.team_id):
        raise Http404("No such story.")
    if write and not can_edit_stories(viewer, story.team_id):
        raise PermissionDenied("Only the team's members and leads change its stories.")
    return story


def access_epic(viewer: Viewer, pk: int, *, write: bool = False) -> Epic:
    epic = (
        Epic.objects.filter(organisation_id=viewer.organisation_id, pk=pk)
        .select_related("team", "theme", "parent")
        .first()
    )
    if epic is None or not can_see_team(viewer, epic.team_id):
        raise Http404("No such epic.")
    if write and not can_plan(viewer, epic.team_id):
        raise PermissionDenied("Only the team's leads change its epics.")
    return epic


def access_sprint(viewer: Viewer, pk: int, *, write: bool = False) -> Sprint:
    sprint = Sprint.objects.filter(organisation_id=viewer.organisation_id, pk=pk).select_related("team").first()
    if sprint is None or not can_see_team(viewer, sprint.team_id):
        raise Http404("No such sprint.")
    if write and not can_plan(viewer, sprint.team_id):
        raise PermissionDenied("Only the team's leads plan its sprints.")
    return sprint


def access_theme(viewer: Viewer, pk: int, *, write: bool = False) -> Theme:
    theme = Theme.objects.filter(organisation_id=viewer.organisation_id, pk=pk).first()
    if theme is None:
        raise Http404("No such theme.")
    if write and not can_edit_roadmap(viewer):
        raise PermissionDenied("Only leadership, admins and team leads change the roadmap.")
    return theme
