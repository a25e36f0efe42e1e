"""What a person holds among goals, for their handover (registered with okrapp.handover in
ObjectivesConfig.ready): the open objectives and key results they own, the key results they contribute
to. Only what the viewer may see (objectives.visibility): a private objective the viewer may not see is
neither listed nor counted nor moved."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from objectives.models import KeyResult, Objective, ObjectiveState
from objectives.visibility import visible_key_results, visible_objectives
from okrapp.handover import HandoverGroup, HandoverItem
from okrapp.http import Viewer
from okrapp.models import Membership


def _open_objectives(viewer: Viewer) -> QuerySet[Objective]:
    # A closed objective's owner is part of its record: it is not handed over.
    return visible_objectives(viewer).exclude(state=ObjectiveState.CLOSED)


def _open_key_results(viewer: Viewer) -> QuerySet[KeyResult]:
    return visible_key_results(viewer).exclude(objective__state=ObjectiveState.CLOSED)


def _where(objective: Objective) -> str:
    team = objective.team.name if objective.team_id else "Company"  # type: ignore[union-attr]
    return f"{team} · {objective.cycle.name} · {objective.get_visibility_display()}"


def goal_handover_groups(viewer: Viewer, person: Membership) -> list[HandoverGroup]:
    """Three queries, whatever the number of items."""
    objectives = _open_objectives(viewer).filter(owner=person).select_related("team", "cycle").order_by("title", "pk")
    owned = (
        _open_key_results(viewer)
        .filter(owner=person)
        .select_related("objective__team", "objective__cycle")
        .order_by("objective__title", "position", "pk")
    )
    contributed = (
        _open_key_results(viewer)
        .filter(contributors=person)
        .select_related("objective__team", "objective__cycle")
        .order_by("objective__title", "position", "pk")
    )
    groups = [
        HandoverGroup(
            "objectives",
            "Objectives they own",
            [HandoverItem(o.pk, o.title, _where(o), reverse("objective_detail", args=[o.pk])) for o in objectives],
            _hand_over_objectives,
        ),
        HandoverGroup(
            "key_results",
            "Key results they own",
            [_kr_item(kr) for kr in owned],
            _hand_over_key_results,
        ),
        HandoverGroup(
            "contributions",
            "Key results they contribute to",
            [_kr_item(kr) for kr in contributed],
            _hand_over_contributions,
        ),
    ]
    return [group for group in groups if group.items]


def _kr_item(kr: KeyResult) -> HandoverItem:
    return HandoverItem(
        kr.pk, kr.title, f"{kr.objective.title} · {_where(kr.objective)}", reverse("key_result_detail", args=[kr.pk])
    )


def _hand_over_objectives(viewer: Viewer, person: Membership, target: Membership, pks: set[int]) -> int:
    return _open_objectives(viewer).filter(owner=person, pk__in=pks).update(owner=target, updated_at=timezone.now())


def _hand_over_key_results(viewer: Viewer, person: Membership, target: Membership, pks: set[int]) -> int:
    return _open_key_results(viewer).filter(owner=person, pk__in=pks).update(owner=target, updated_at=timezone.now())


def _hand_over_contributions(viewer: Viewer, person: Membership, target: Membership, pks: set[int]) -> int:
    """The person leaves the key results' contributors and the chosen person joins them (once)."""
    through = KeyResult.contributors.through
    ids = set(_open_key_results(viewer).filter(contributors=person, pk__in=pks).values_list("pk", flat=True))
    through.objects.filter(keyresult_id__in=ids, membership_id=person.pk).delete()
    already = set(
        through.objects.filter(keyresult_id__in=ids, membership_id=target.pk).values_list("keyresult_id", flat=True)
    )
    through.objects.bulk_create([through(keyresult_id=pk, membership_id=target.pk) for pk in ids - already])
    return len(ids)
