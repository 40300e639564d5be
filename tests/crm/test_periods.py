import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from crm.periods import (
    Period,
    PeriodError,
    add_months,
    closed_months,
    month_end,
    months_between,
    read_period,
)

from ..retention.figures.bad_periods import BAD_PERIODS

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
    assert read_period(period=text) == Period(start, end, label)


def test_dates_name_the_days_between_them_text_or_date():
    assert read_period(start="2026-01-15", end=D(2026, 2, 3)) == Period(
        D(2026, 1, 15), D(2026, 2, 3)
    )
    assert read_period(period="", start=" 2026-01-15 ", end="2026-01-15").start == D(2026, 1, 15)


def test_dates_are_also_read_as_the_language_types_them():
    with translation.override("de"):
        assert read_period(start="31.10.2026", end=" 30.11.2026 ") == Period(
            D(2026, 10, 31), D(2026, 11, 30)
        )
        for text in ("31.02.2026", "３１.１０.２０２６", "31.10.2026" + " " * 50 + "x"):
            with pytest.raises(ValidationError, match="kein gültiges Datum"):
                read_period(start=text, end="2026-12-31")


@pytest.mark.parametrize("text", [" ", "26", "2026-1", "2026-00", "2026-Q0", "Q1-2026", "2026-H1"])
def test_malformed_period_is_refused(text):
    with pytest.raises(ValidationError, match="is not a year") as error:
        read_period(period=text)
    assert set(error.value.message_dict) == {"period"}


@pytest.mark.parametrize("text", ["2026-2-1", "2026-02-30", "tomorrow", "2026-02-01T00:00"])
def test_malformed_date_is_refused(text):
    with pytest.raises(ValidationError, match="is not a valid date") as error:
        read_period(start=text, end="2026-03-01")
    assert set(error.value.message_dict) == {"start"}


@pytest.mark.parametrize(("given", "field", "words"), BAD_PERIODS)
def test_what_is_no_period_is_refused_naming_the_field(given, field, words):
    period, start, end = given
    with pytest.raises(ValidationError) as error:
        read_period(period=period, start=start, end=end)
    assert words in " ".join(error.value.message_dict[field])


def test_nothing_given_asks_for_both_dates_or_a_period():
    with pytest.raises(ValidationError) as error:
        read_period()
    assert set(error.value.message_dict) == {"start", "end"}


def test_a_long_input_is_quoted_back_shortened():
    with pytest.raises(ValidationError) as error:
        read_period(period="x" * 10_000)
    assert len(error.value.messages[0]) < 200


def test_errors_are_in_the_active_language():
    with translation.override("de"), pytest.raises(ValidationError) as error:
        read_period(start="2026-03-01", end="2026-02-01")
    assert "vor" in error.value.messages[0]


def test_period_ending_before_it_starts_is_refused():
    with pytest.raises(PeriodError, match="before it starts"):
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
