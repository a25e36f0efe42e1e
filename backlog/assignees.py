"""Who works on a story: the people a team's stories may be assigned to, and a person's own open stories
(My week's "My stories" section, registered by ``BacklogConfig.ready``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import QuerySet

from backlog.models import EpicLink, Story, StoryLink, StoryStatus
from objectives.models import KeyResult
from objectives.visibility import visible_key_result_ids
from okrapp.http import Viewer
from okrapp.models import Membership, Team, TeamMembership, TeamRole
from okrapp.my_week import WeekSection

ASSIGNABLE_ROLES = (TeamRole.LEAD, TeamRole.MEMBER)


def assignable_people(team_id: int) -> QuerySet[Membership]:
    """The team's leads and members who are still active: the only people its stories go to."""
    roles = TeamMembership.objects.filter(team_id=team_id, role__in=ASSIGNABLE_ROLES).values("membership_id")
    return (
        Membership.objects.filter(pk__in=roles, deactivated_at__isnull=True)
        .select_related("user")
        .order_by("user__full_name", "pk")
    )


def assignee_refusal(assignee: Membership, team: Team) -> str:
    """Why this person may not take the team's stories ("" when they may)."""
    if assignee.organisation_id != team.organisation_id:
        return "That person belongs to another organisation."
    if assignee.deactivated_at is not None:
        return "That person has been deactivated; choose someone still on the team."
    if not assignable_people(team.pk).filter(pk=assignee.pk).exists():
        return f"Choose a lead or member of {team.name}: stories go to the people of their team."
    return ""


@dataclass(frozen=True)
class MyStory:
    story: Story
    key_results: list[KeyResult]  # its own and its epic's, those the viewer may see


def my_open_stories(viewer: Viewer) -> list[MyStory]:
    """The viewer's open stories (to do, in progress) across their teams, in each team's backlog order,
    each with the KRs it serves that the viewer may see. Four queries, whatever the number of stories."""
    stories = list(
        Story.objects.filter(organisation_id=viewer.organisation_id, assignee_id=viewer.membership.pk)
        .exclude(status=StoryStatus.DONE)
        .select_related("team", "sprint")
        .order_by("status", "team__name", "rank", "pk")  # in progress ("in_progress") before to do ("todo")
    )
    if viewer.is_guest_only:  # work of a team one may not see stays out, as on the backlog pages
        stories = [s for s in stories if s.team_id in viewer.team_roles]
    links = list(
        StoryLink.objects.filter(story_id__in=[s.pk for s in stories])
        .select_related("key_result")
        .order_by("key_result__title", "key_result_id")
    )
    epic_links = list(
        EpicLink.objects.filter(epic_id__in={s.epic_id for s in stories if s.epic_id})
        .select_related("key_result")
        .order_by("key_result__title", "key_result_id")
    )
    visible = visible_key_result_ids(viewer, {link.key_result_id for link in [*links, *epic_links]})
    own: dict[int, list[KeyResult]] = defaultdict(list)
    for link in links:
        if link.key_result_id in visible:
            own[link.story_id].append(link.key_result)
    via: dict[int, list[KeyResult]] = defaultdict(list)
    for epic_link in epic_links:
        if epic_link.key_result_id in visible:
            via[epic_link.epic_id].append(epic_link.key_result)
    rows = []
    for story in stories:
        krs = {kr.pk: kr for kr in [*own.get(story.pk, []), *(via.get(story.epic_id, []) if story.epic_id else [])]}
        rows.append(MyStory(story, list(krs.values())))
    return rows


def my_stories_section(viewer: Viewer) -> WeekSection:
    return WeekSection(template="backlog/partials/_my_stories.html", context={"my_stories": my_open_stories(viewer)})
