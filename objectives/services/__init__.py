"""Writes to goals. Every number stored here comes from ``objectives.progress``; validation errors are
raised as ``ValidationError`` keyed by field, so forms (and later the API) show them next to the field."""

from objectives.services.cycles import (
    cycle_activate,
    cycle_close,
    cycle_create,
    cycle_update,
    key_result_grade,
    value_dimension_save,
)
from objectives.services.goals import (
    check_key_result,
    key_result_create,
    key_result_move,
    key_result_promote,
    key_result_update,
    objective_carry_over,
    objective_create,
    objective_update,
)
from objectives.services.health import health_metric_save
from objectives.services.outbox import outbox_drain, recompute_process, recompute_request
from objectives.services.recompute import recompute_key_result, recompute_objectives

__all__ = [
    "check_key_result",
    "cycle_activate",
    "cycle_close",
    "cycle_create",
    "cycle_update",
    "health_metric_save",
    "key_result_create",
    "key_result_grade",
    "key_result_move",
    "key_result_promote",
    "key_result_update",
    "objective_carry_over",
    "objective_create",
    "objective_update",
    "outbox_drain",
    "recompute_key_result",
    "recompute_objectives",
    "recompute_process",
    "recompute_request",
    "value_dimension_save",
]
