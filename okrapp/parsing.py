"""Input is parsed once, strictly, at the edge: the one home of what an id, a whole number, a date or a
piece of text may be when it comes from a person or a client (a query string, a form, a JSON body).

Bad input is the caller's mistake, so it raises ``BadInput`` (a ``ValueError`` naming the field), which a
page turns into a 400/422 with the message and the API into its 400 shape; it never reaches the database
as something PostgreSQL refuses (a 500). The bounds are the product's, not the machine's:

- an id is 1 … 2⁶³−1 written in ASCII digits (``"²"`` and ``"١"`` are digits to ``str.isdigit``, not ids);
- a date lies within the years 2000–2100 (a cycle from year 1 would make every week-by-week page huge);
- text holds no NUL character (PostgreSQL cannot store one).
"""

from __future__ import annotations

import re
from datetime import date, datetime

from django.core.exceptions import ValidationError

MIN_DATE = date(2000, 1, 1)
MAX_DATE = date(2100, 12, 31)
MAX_ID = 2**63 - 1  # PostgreSQL's bigint, the primary keys' type (DEFAULT_AUTO_FIELD)
MAX_CYCLE_DAYS = 2 * 366  # a cycle is at most two years long
MAX_SPRINT_DAYS = 13 * 7  # a sprint is at most a quarter long (its burndown draws a point a day)
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


class BadInput(ValueError):
    """Input that cannot be what its field means; ``field`` names it, ``message`` says why in words."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def parse_id(raw: str | None, *, field: str) -> int | None:
    """An object id from text, or None for an empty value. Anything else that is not an id is BadInput."""
    text = (raw or "").strip()
    if not text:
        return None
    if not re.fullmatch(r"[0-9]+", text):
        raise BadInput(field, "Not an id: send a whole number such as 42.")
    if not _ASCII_DIGITS.fullmatch(text) or not 0 < int(text) <= MAX_ID:
        raise BadInput(field, "No such id: ids are whole numbers from 1 to 9223372036854775807.")
    return int(text)


def parse_int(raw: str | None, *, field: str, minimum: int, maximum: int, default: int | None = None) -> int | None:
    """A whole number within [minimum, maximum] from text; an empty value gives ``default``."""
    text = (raw or "").strip()
    if not text:
        return default
    if not re.fullmatch(r"[+-]?[0-9]{1,19}", text):
        raise BadInput(field, f"Send a whole number from {minimum} to {maximum}.")
    value = int(text)
    if not minimum <= value <= maximum:
        raise BadInput(field, f"Send a whole number from {minimum} to {maximum}.")
    return value


def check_date(value: date, *, field: str) -> date:
    """A date the product can hold: within the years 2000–2100 (a datetime's own date is checked)."""
    day = value.date() if isinstance(value, datetime) else value
    if not MIN_DATE <= day <= MAX_DATE:
        raise BadInput(field, f"Dates lie between {MIN_DATE:%Y} and {MAX_DATE:%Y}.")
    return value


def parse_date(raw: str | None, *, field: str) -> date | None:
    """An ISO date (2026-11-23) within the years 2000–2100 from text, or None for an empty value."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise BadInput(field, "Send a date as YYYY-MM-DD.") from None
    return check_date(value, field=field)


def check_text(value: str, *, field: str, max_length: int | None = None) -> str:
    """Text that PostgreSQL can store (no NUL) and, where given, no longer than ``max_length``."""
    if "\x00" in value:
        raise BadInput(field, "Text cannot hold a NUL character.")
    if max_length is not None and len(value) > max_length:
        raise BadInput(field, f"At most {max_length} characters.")
    return value


def validate_date_bounds(value: date) -> None:
    """A Django validator (forms, models) for ``check_date``: the message a person reads by the field."""
    try:
        check_date(value, field="date")
    except BadInput as exc:
        raise ValidationError(exc.message, code="date_out_of_range") from None


def validate_no_nul(value: str) -> None:
    """A Django validator (forms, models) for text that PostgreSQL can store."""
    if "\x00" in value:
        raise ValidationError("Text cannot hold a NUL character.", code="nul")
