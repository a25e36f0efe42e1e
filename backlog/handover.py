"""What a person holds in the backlog, for their handover (registered with okrapp.handover in
BacklogConfig.ready): their open stories, one group per team (only that team's people take them over),
and the open epics they own. Work items are not private; a guest-only viewer sees their own teams'."""

from __future__ import annotations

from functools import partial

from django.urls import reverse
from django.utils import timezone

from backlog.access import can_see_team
from backlog.models import Epic, EpicStatus, Story, StoryStatus
from okrapp.handover import HandoverGroup, HandoverItem
from okrapp.http import Viewer
from okrapp.models import Membership


def work_handover_groups(viewer: Viewer, person: Membership) -> list[HandoverGroup]:
    """Two queries, whatever the number of items."""
    stories = (
        Story.objects.filter(organisation_id=viewer.organisation_id, assignee=person)
        .exclude(status=StoryStatus.DONE)
        .select_related("team", "sprint")
        .order_by("team__name", "team_id", "rank", "pk")
    )
    by_team: dict[int, list[Story]] = {}
    for story in stories:
        if can_see_team(viewer, story.team_id):
            by_team.setdefault(story.team_id, []).append(story)
    groups = [
        HandoverGroup(
            f"stories-{team_id}",
            f"Open stories in {team_stories[0].team.name}",
            [
                HandoverItem(
                    s.pk,
                    s.title,
                    " · ".join(filter(None, [s.get_status_display(), s.sprint.name if s.sprint else ""])),
                    reverse("story_edit", args=[s.pk]),
                )
                for s in team_stories
            ],
            partial(_hand_over_stories, team_id),
            team_id=team_id,
            team_name=team_stories[0].team.name,
        )
        for team_id, team_stories in by_team.items()
    ]
    epics = [
        epic
        for epic in Epic.objects.filter(organisation_id=viewer.organisation_id, owner=person, status=EpicStatus.OPEN)
        .select_related("team")
        .order_by("team__name", "rank", "pk")
        if can_see_team(viewer, epic.team_id)
    ]
    if epics:
        items = [HandoverItem(e.pk, e.title, e.team.name, reverse("epic_detail", args=[e.pk])) for e in epics]
        groups.append(HandoverGroup("epics", "Epics they own", items, _hand_over_epics))
    return groups


def _hand_over_stories(team_id: int, viewer: Viewer, person: Membership, target: Membership, pks: set[int]) -> int:
    return (
        Story.objects.filter(organisation_id=viewer.organisation_id, team_id=team_id, assignee=person, pk__in=pks)
        .exclude(status=StoryStatus.DONE)
        .update(assignee=target, updated_at=timezone.now())
    )


def _hand_over_epics(viewer: Viewer, person: Membership, target: Membership, pks: set[int]) -> int:
    return Epic.objects.filter(
        organisation_id=viewer.organisation_id, owner=person, status=EpicStatus.OPEN, pk__in=pks
    ).update(owner=target, updated_at=timezone.now())
