import datetime as dt

import pytest

from retention.figures.metrics import RetentionError
from retention.figures.periods import (
    Period,
    add_months,
    closed_months,
    month_end,
    months_between,
    parse_date,
    parse_period,
)

D = dt.date


@pytest.mark.parametrize(
    ("text", "start", "end", "label"),
    [
        ("2026", D(2026, 1, 1), D(2026, 12, 31), "2026"),
        ("2026-02", D(2026, 2, 1), D(2026, 2, 28), "2026-02"),
        ("2024-02", D(2024, 2, 1), D(2024, 2, 29), "2024-02"),
        ("2026-Q1", D(2026, 1, 1), D(2026, 3, 31), "2026-Q1"),
        ("2026-q4", D(2026, 10, 1), D(2026, 12, 31), "2026-Q4"),
        (" 2025-Q2 ", D(2025, 4, 1), D(2025, 6, 30), "2025-Q2"),
    ],
)
def test_shorthands_name_whole_calendar_periods(text, start, end, label):
    assert parse_period(text) == Period(start, end, label)


@pytest.mark.parametrize("text", ["", "26", "2026-1", "2026-00", "2026-Q0", "Q1-2026", "2026-H1"])
def test_malformed_period_is_refused(text):
    with pytest.raises(RetentionError, match="is not a year"):
        parse_period(text)


@pytest.mark.parametrize("text", ["2026-2-1", "2026-02-30", "tomorrow", "2026-02-01T00:00"])
def test_malformed_date_is_refused(text):
    with pytest.raises(RetentionError, match="is not a valid date"):
        parse_date(text)


def test_period_ending_before_it_starts_is_refused():
    with pytest.raises(RetentionError, match="before it starts"):
        Period(D(2026, 2, 1), D(2026, 1, 31))


def test_month_arithmetic_crosses_years():
    assert add_months(D(2025, 11, 1), 3) == D(2026, 2, 1)
    assert add_months(D(2026, 1, 1), -1) == D(2025, 12, 1)
    assert month_end(D(2025, 12, 1)) == D(2025, 12, 31)
    assert months_between(D(2025, 11, 20), D(2026, 2, 1)) == 3


def test_closed_months_are_the_ones_before_today_oldest_first():
    assert closed_months(today=D(2026, 3, 1), count=3) == [
        D(2025, 12, 1),
        D(2026, 1, 1),
        D(2026, 2, 1),
    ]
