"""Quality hints shown while writing OKRs: guidance, never a block. Pure."""

from __future__ import annotations

import re

# Verbs that open a task ("Implement Redis caching"), not an outcome ("p95 latency 800 → 300 ms").
TASK_VERBS = (
    "add",
    "build",
    "complete",
    "create",
    "deliver",
    "deploy",
    "design",
    "develop",
    "finish",
    "implement",
    "integrate",
    "introduce",
    "launch",
    "migrate",
    "refactor",
    "release",
    "rewrite",
    "set up",
    "setup",
    "ship",
    "start",
    "write",
)
_TASK_PATTERN = re.compile(r"^\s*(?:" + "|".join(re.escape(v) for v in TASK_VERBS) + r")\b", re.IGNORECASE)

MAX_OBJECTIVES = 4  # per team and cycle
MIN_KEY_RESULTS, MAX_KEY_RESULTS = 3, 5  # per objective

TASK_HINT = "This reads like a task. Key results are outcomes: what will be measurably different when it is done?"


def reads_like_a_task(title: str) -> bool:
    return bool(_TASK_PATTERN.match(title))


def key_result_hints(*, title: str, kind: str, has_owner: bool, has_target: bool) -> list[str]:
    """Hints for one KR: a task-like title, no owner, no target (a metric's target, a guardrail's bound)."""
    hints = []
    if reads_like_a_task(title):
        hints.append(TASK_HINT)
    if not has_owner:
        hints.append("Nobody owns this key result yet: give it an owner who checks in every week.")
    if not has_target and kind != "milestone":
        hints.append("No target yet: say what number counts as done.")
    return hints


def objective_hints(*, key_result_count: int) -> list[str]:
    if key_result_count == 0:
        return []  # the empty key-result table says what to do
    if key_result_count < MIN_KEY_RESULTS:
        return [
            f"{key_result_count} key result{'s' if key_result_count > 1 else ''}: three to five usually say "
            "what success means."
        ]
    if key_result_count > MAX_KEY_RESULTS:
        return [f"{key_result_count} key results: more than five dilutes focus. Could some be health metrics?"]
    return []


def objective_count_hint(count: int) -> str | None:
    """More than four objectives for one team in one cycle: a warning, not a block."""
    if count > MAX_OBJECTIVES:
        return f"{count} objectives this cycle: two to four keep a team focused."
    return None
