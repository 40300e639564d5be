"""Reporting periods: reading what people type (``2026-Q1``, ``2026-03``, ``2026``, ISO dates;
``read_period``, the one parser of every report's form, the API and the CLI) and the calendar
arithmetic of months that snapshots, cohorts and the survey report share.

Domain-free, so it sits in ``crm``: the retention report (``retention.figures``) and the survey
report (``interactions.surveys``, which may not import ``retention``) read periods alike."""

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext as _

# ASCII digits only: ``int()`` would read other scripts' digits as well.
_YEAR = re.compile(r"([0-9]{4})")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_QUARTER = re.compile(r"([0-9]{4})-[Qq]([1-4])")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# Dates outside these years are typing mistakes, and the calendar arithmetic of the report
# (the day before the start, the cohort table's months after the end) must stay inside what
# ``datetime.date`` can hold.
FIRST_YEAR, LAST_YEAR = 1900, 2999


class PeriodError(ValueError):
    """Days that make no period (not dates, or the end before the start). The message is one
    line, fit to show as it is."""


def check_period(start: dt.date, end: dt.date) -> None:
    """Raise ``PeriodError`` unless [start, end] is a period of dates, end not before start."""
    for name, day in (("start", start), ("end", end)):
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            raise PeriodError(f"The {name} of the period must be a date, not {day!r}.")
    if end < start:
        raise PeriodError(f"The period ends ({end}) before it starts ({start}).")


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


def _shown(text: str) -> str:
    """What a person typed, short enough to quote back in a message."""
    return text if len(text) <= 30 else f"{text[:29]}…"


def _date(text: str | dt.date) -> dt.date | None:
    """An ISO date, or one as the active language types it (``31.10.2026``); ASCII digits
    only, and nothing long is parsed."""
    if isinstance(text, dt.date):
        return text
    text = text.strip()
    if len(text) > 40 or not text.isascii():
        return None
    if _DATE.fullmatch(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return None
    for fmt in formats.get_format("DATE_INPUT_FORMATS"):
        if fmt.startswith("%Y-"):
            continue  # ISO is read strictly above (2026-2-1 is no ISO date)
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _shorthand(text: str) -> Period | None:
    text = text.strip()
    try:
        if m := _YEAR.fullmatch(text):
            return year_period(int(m[1]))
        if m := _MONTH.fullmatch(text):
            return month_period(dt.date(int(m[1]), int(m[2]), 1))
        if m := _QUARTER.fullmatch(text):
            return quarter_period(int(m[1]), int(m[2]))
    except ValueError:  # a month 13, or a year 0 that ``datetime`` cannot hold
        return None
    return None


def _out_of_bounds(day: dt.date) -> bool:
    return not FIRST_YEAR <= day.year <= LAST_YEAR


def read_period(
    *,
    period: str | None = None,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
) -> Period:
    """The one reading of a period a person asks for, as the report form, the API and
    ``retention_report`` take it: a shorthand (``2026``, ``2026-03``, ``2026-Q1``) or start and
    end dates (ISO ``YYYY-MM-DD`` or ``date``), inside the years ``FIRST_YEAR``–``LAST_YEAR``,
    the end not before the start. Anything else raises ``ValidationError`` naming the field at
    fault (``period``, ``start``, ``end``), in the active language."""
    period = period or None
    start = start or None
    end = end or None
    bounds = _("Pick a period between %(first)s and %(last)s.") % {
        "first": FIRST_YEAR,
        "last": LAST_YEAR,
    }
    if period is not None:
        if start is not None or end is not None:
            raise ValidationError(
                {"period": _("Give either a period or start and end dates, not both.")},
                code="ambiguous",
            )
        found = _shorthand(period)
        if found is None:
            raise ValidationError(
                {
                    "period": _(
                        "The period “%(text)s” is not a year (2026), a month (2026-03) or a "
                        "quarter (2026-Q1)."
                    )
                    % {"text": _shown(period.strip())}
                },
                code="invalid",
            )
        if _out_of_bounds(found.start):
            raise ValidationError({"period": bounds}, code="out_of_range")
        return found
    errors, days = {}, {}
    for name, value, missing in (
        ("start", start, _("Give a start date or a period.")),
        ("end", end, _("Give an end date or a period.")),
    ):
        if value is None:
            errors[name] = missing
        elif (day := _date(value)) is None:
            errors[name] = _("“%(text)s” is not a valid date (YYYY-MM-DD).") % {
                "text": _shown(value.strip())
            }
        elif _out_of_bounds(day):
            errors[name] = bounds
        else:
            days[name] = day
    if errors:
        raise ValidationError(errors, code="invalid")
    if days["end"] < days["start"]:
        raise ValidationError(
            {
                "end": _("The period ends (%(end)s) before it starts (%(start)s).")
                % {"end": days["end"], "start": days["start"]}
            },
            code="reversed",
        )
    return Period(days["start"], days["end"])
