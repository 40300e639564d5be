"""Reporting periods: parsing what people type (``2026-Q1``, ``2026-03``, ``2026``, ISO dates)
and the calendar arithmetic of months that snapshots and cohorts share."""

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import formats

from .metrics import RetentionError, check_period

_YEAR = re.compile(r"^(\d{4})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")


@dataclass(frozen=True)
class Period:
    """The days [start, end], both inclusive, with a label a person recognises."""

    start: dt.date
    end: dt.date
    label: str = ""

    def __post_init__(self) -> None:
        check_period(self.start, self.end)
        object.__setattr__(self, "named", bool(self.label))
        if not self.label:
            object.__setattr__(self, "label", f"{self.start} – {self.end}")

    @property
    def title(self) -> str:
        """What a page calls the period: its name (2026-Q1), or its days in the reader's date
        format (the ISO ``label`` is for the command line and file names)."""
        if self.named:
            return self.label
        return " – ".join(formats.date_format(day, "DATE_FORMAT") for day in (self.start, self.end))


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after (or before, when negative) ``month``'s."""
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)


def months_between(first: dt.date, later: dt.date) -> int:
    """Whole calendar months from ``first``'s month to ``later``'s."""
    return (later.year - first.year) * 12 + later.month - first.month


def month_period(month: dt.date) -> Period:
    first = month_start(month)
    return Period(first, month_end(first), f"{first:%Y-%m}")


def quarter_period(year: int, quarter: int) -> Period:
    first = dt.date(year, 3 * quarter - 2, 1)
    return Period(first, month_end(add_months(first, 2)), f"{year}-Q{quarter}")


def year_period(year: int) -> Period:
    return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), f"{year}")


def trailing_year(end: dt.date) -> Period:
    """The twelve months that end on ``end`` (both days inclusive): the horizon an annual
    benchmark is held against (DESIGN.md: like with like)."""
    try:
        year_before = end.replace(year=end.year - 1)
    except ValueError:  # 29 February: the year before has none
        year_before = end.replace(year=end.year - 1, day=28)
    return Period(year_before + dt.timedelta(days=1), end)


def closed_months(*, today: dt.date, count: int) -> list[dt.date]:
    """The first days of the ``count`` months before ``today``'s month, oldest first."""
    current = month_start(today)
    return [add_months(current, -n) for n in range(count, 0, -1)]


def parse_date(text: str, *, name: str = "date") -> dt.date:
    """An ISO date ``YYYY-MM-DD``; ``RetentionError`` with a one-line message otherwise."""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            raise ValueError
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise RetentionError(f"The {name} “{text}” is not a valid date (YYYY-MM-DD).") from None


def parse_period(text: str) -> Period:
    """``2026`` (a year), ``2026-03`` (a month) or ``2026-Q1`` (a quarter)."""
    text = text.strip()
    try:
        if m := _YEAR.match(text):
            return year_period(int(m[1]))
        if m := _MONTH.match(text):
            return month_period(dt.date(int(m[1]), int(m[2]), 1))
        if m := _QUARTER.match(text):
            return quarter_period(int(m[1]), int(m[2]))
    except ValueError:
        pass
    raise RetentionError(
        f"The period “{text}” is not a year (2026), a month (2026-03) or a quarter (2026-Q1)."
    )
