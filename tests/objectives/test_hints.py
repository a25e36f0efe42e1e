"""Quality hints while writing OKRs: guidance, never a block."""

import pytest

from objectives import hints


@pytest.mark.parametrize(
    ("title", "task"),
    [
        ("Implement Redis caching", True),
        ("Launch the new onboarding", True),
        ("build a dashboard", True),
        ("Set up alerting", True),
        ("API p95 latency from 800 ms to 300 ms", False),
        ("Builders' retention above 40 %", False),  # 'build' only as a whole word
        ("Trial-to-paid conversion 8 % → 12 %", False),
    ],
)
def test_task_like_titles(title, task):
    assert hints.reads_like_a_task(title) is task


def test_key_result_hints():
    assert hints.key_result_hints(title="Implement caching", kind="milestone", has_owner=True, has_target=False) == [
        hints.TASK_HINT
    ]
    flagged = hints.key_result_hints(title="Uptime", kind="guardrail", has_owner=False, has_target=False)
    assert len(flagged) == 2 and "owner" in flagged[0] and "target" in flagged[1]
    assert hints.key_result_hints(title="Uptime", kind="metric", has_owner=True, has_target=True) == []


@pytest.mark.parametrize(("count", "warns"), [(0, False), (1, True), (2, True), (3, False), (5, False), (6, True)])
def test_key_result_count_guidance(count, warns):
    assert bool(hints.objective_hints(key_result_count=count)) is warns


@pytest.mark.parametrize(("count", "warns"), [(2, False), (4, False), (5, True)])
def test_objective_count_guidance(count, warns):
    assert (hints.objective_count_hint(count) is not None) is warns
