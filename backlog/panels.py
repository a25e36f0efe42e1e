"""The backlog's panel on the key result page: linked work and delivery confidence with its inputs."""

from __future__ import annotations

from backlog import selectors
from objectives.models import KeyResult
from objectives.panels import Panel
from okrapp.http import Viewer
from okrapp.timeutil import org_today


def key_result_work_panel(viewer: Viewer, kr: KeyResult) -> Panel | None:
    work = selectors.linked_work(kr)
    team = kr.objective.team
    confidence = None
    if team is not None and work.stories:
        confidence = selectors.delivery_confidence(key_result=kr, team=team, today=org_today(viewer.organisation))
    return Panel(
        template="backlog/partials/_kr_work.html",
        context={"kr": kr, "work": work, "delivery": confidence, "team": team},
    )
