"""The one strict parser of input at the edge (okrapp/parsing.py), by table: no database."""

from datetime import date

import pytest

from okrapp.parsing import BadInput, parse_date, parse_id, parse_int


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("", None), (None, None), (" 42 ", 42), ("1", 1), (str(2**63 - 1), 2**63 - 1)],
)
def test_ids_that_parse(raw, expected):
    assert parse_id(raw, field="team") == expected


@pytest.mark.parametrize("raw", ["²", "١", "0", "-3", "4.2", "1e3", "5" * 5000, str(2**63), "\x00", "12abc"])
def test_ids_that_do_not(raw):
    with pytest.raises(BadInput) as error:
        parse_id(raw, field="team")
    assert error.value.field == "team"


@pytest.mark.parametrize(("raw", "expected"), [("", 1), ("3", 3), ("+3", 3), ("100", 100)])
def test_bounded_whole_numbers(raw, expected):
    assert parse_int(raw, field="page", minimum=1, maximum=100, default=1) == expected


@pytest.mark.parametrize("raw", ["0", "101", "9" * 40, "²", "x"])
def test_whole_numbers_out_of_bounds(raw):
    with pytest.raises(BadInput):
        parse_int(raw, field="page", minimum=1, maximum=100)


@pytest.mark.parametrize(
    ("raw", "expected"), [("2026-11-23", date(2026, 11, 23)), ("", None), ("2000-01-01", date(2000, 1, 1))]
)
def test_dates(raw, expected):
    assert parse_date(raw, field="week") == expected


@pytest.mark.parametrize("raw", ["0001-01-01", "1999-12-31", "2101-01-01", "23/11/2026", "2026-02-30"])
def test_dates_refused(raw):
    with pytest.raises(BadInput):
        parse_date(raw, field="week")
