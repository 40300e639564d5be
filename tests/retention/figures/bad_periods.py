"""Periods no one can report on, as the report form, the API and ``retention_report`` are fed
them: each with the field ``read_period`` blames and a piece of its message. The three read a
period with the one parser, so they must answer all of these alike."""

HUGE = "9" * 40

# (period, start, end) -> (field, words of the message)
BAD_PERIODS = [
    (("0001", None, None), "period", "between 1900 and 2999"),
    (("0000-Q1", None, None), "period", "is not a year"),
    (("9999-13", None, None), "period", "is not a year"),
    (("9999", None, None), "period", "between 1900 and 2999"),
    (("10000", None, None), "period", "is not a year"),
    (("March", None, None), "period", "is not a year"),
    (("٢٠٢٦", None, None), "period", "is not a year"),
    ((HUGE, None, None), "period", "is not a year"),
    ((None, "0001-01-01", "0001-01-31"), "start", "between 1900 and 2999"),
    ((None, "2026-01-01", "9999-12-31"), "end", "between 1900 and 2999"),
    ((None, "2026-13-01", "2026-12-31"), "start", "is not a valid date"),
    ((None, "garbage", "2026-12-31"), "start", "is not a valid date"),
    ((None, "2026-01-01", HUGE), "end", "is not a valid date"),
    ((None, "2026-03-01", "2026-02-01"), "end", "ends (2026-02-01) before it starts (2026-03-01)"),
    ((None, "2026-01-01", None), "end", "Give an end date or a period"),
    (("2026", "2026-01-01", "2026-01-31"), "period", "not both"),
]


def as_params(period, start, end) -> dict[str, str]:
    """The query string of a form or the API."""
    given = {"period": period, "start": start, "end": end}
    return {name: value for name, value in given.items() if value is not None}


def as_args(period, start, end) -> list[str]:
    """The options of ``retention_report``."""
    return [f"--{name}={value}" for name, value in as_params(period, start, end).items()]
