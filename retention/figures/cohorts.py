"""Cohort retention: of the customers acquired in a month, how many (and how much of their
revenue) are still there k months later.

- An account's **acquisition month** is the month its first customer span ever starts. A
  win-back stays in its original cohort (it was acquired once; coming back is retention).
- **Customers at k** = the cohort's accounts that are customers on the last day of the k-th
  month after the acquisition month (k = 0: the last day of the acquisition month itself).
- **Revenue at k** = their MRR that day; the revenue base is the cohort's MRR on each account's
  first customer day, so revenue retention can exceed 100 % (expansion).
- A month that has not closed yet on ``today`` is ``None`` (not reached), never 0.

One query for the whole matrix: conditional aggregates per month end over the members' MRR
spans (``customers.MrrSpan``), grouped by cohort.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from crm.periods import add_months, month_end, month_start, months_between
from customers.models import CustomerSpan, Segment, span_covers

from .metrics import (
    MONEY,
    RetentionError,
    percent,
    resolve_segment,
)


@dataclass(frozen=True)
class CohortRow:
    """One acquisition month: its size, its revenue base and, per k, who and what is left."""

    month: dt.date
    size: int
    base_mrr: Decimal
    customers: list[int | None] = field(default_factory=list)
    revenue: list[Decimal | None] = field(default_factory=list)

    @property
    def customer_shares(self) -> list[Decimal | None]:
        """Per k, the percentage of the cohort still customers; None when not reached."""
        return [None if n is None else percent(n, self.size) for n in self.customers]

    @property
    def revenue_shares(self) -> list[Decimal | None]:
        """Per k, their MRR as a percentage of the cohort's starting MRR; None when not
        reached or when the cohort started at no revenue."""
        return [None if r is None else percent(r, self.base_mrr) for r in self.revenue]


@dataclass(frozen=True)
class CohortMatrix:
    offsets: list[int]
    rows: list[CohortRow]


def _first_spans(first_month: dt.date, last_month: dt.date, segment: Segment | None):
    """The first span ever of each account acquired in [first_month, last_month]."""
    earlier = CustomerSpan.objects.filter(
        account_id=OuterRef("account_id"), start_date__lt=OuterRef("start_date")
    )
    spans = CustomerSpan.objects.filter(
        start_date__gte=first_month, start_date__lte=month_end(last_month)
    ).exclude(Exists(earlier))
    if segment is not None:
        spans = spans.filter(account__segment=segment)
    return spans.annotate(cohort=TruncMonth("start_date")).values("cohort").order_by()


def cohort_matrix(
    *,
    first_month: dt.date,
    last_month: dt.date,
    months: int = 12,
    segment: Segment | str | int | None = None,
    today: dt.date | None = None,
) -> CohortMatrix:
    """Customers and revenue still there k = 0 … ``months − 1`` months after acquisition, for the
    cohorts acquired from ``first_month`` to ``last_month`` (any day of those months)."""
    today = today or timezone.localdate()
    first_month, last_month = month_start(first_month), month_start(last_month)
    if last_month < first_month:
        raise RetentionError(f"The last cohort ({last_month:%Y-%m}) is before the first.")
    if not 1 <= months <= 120:
        raise RetentionError("Follow the cohorts for 1 to 120 months.")
    segment = resolve_segment(segment)
    cohort_months = [
        add_months(first_month, n) for n in range(months_between(first_month, last_month) + 1)
    ]
    # Every month end the matrix needs that has closed by today, as one aggregate each.
    ends = [
        month_end(add_months(first_month, n))
        for n in range(len(cohort_months) + months - 1)
        if month_end(add_months(first_month, n)) < today
    ]
    key = {day: f"d{day:%Y%m%d}" for day in ends}

    # From each first span to all MRR spans of its account: at most one holds a given day (so
    # counting them counts customers), and the one starting on the first day is the base.
    piece = "account__mrr_spans__"
    first_day = Q(**{f"{piece}start_date": F("start_date")})
    counts = _first_spans(first_month, last_month, segment).annotate(
        size=Count(f"{piece}pk", filter=first_day),
        base=Sum(f"{piece}mrr", filter=first_day, output_field=MONEY),
        **{key[day]: Count(f"{piece}pk", filter=span_covers(day, piece)) for day in ends},
        **{
            f"r{key[day]}": Sum(f"{piece}mrr", filter=span_covers(day, piece), output_field=MONEY)
            for day in ends
        },
    )
    by_cohort = {_as_date(row["cohort"]): row for row in counts}

    rows = []
    for cohort in cohort_months:
        found = by_cohort.get(cohort, {})
        days = [month_end(add_months(cohort, k)) for k in range(months)]
        rows.append(
            CohortRow(
                month=cohort,
                size=found.get("size", 0),
                base_mrr=Decimal(found.get("base") or 0),
                customers=[found.get(key[d], 0) if d in key else None for d in days],
                revenue=[Decimal(found.get(f"r{key[d]}") or 0) if d in key else None for d in days],
            )
        )
    return CohortMatrix(offsets=list(range(months)), rows=rows)


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value
