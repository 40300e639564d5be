"""Retention figures for a period [start, end] (both days inclusive), optionally for one segment.

The definitions of DESIGN.md "Retention metrics", computed in the database from the maintained
customer spans (``customers.CustomerSpan``: maximal runs of customer days, at most one covering
any given day of an account) and, for revenue, from the MRR spans (``customers.MrrSpan``: runs
of customer days at one MRR, at most one covering any given day of an account):

- S: customers on the day before ``start``; E: customers on ``end``;
- N: accounts that are customers on some day of the period but not in S (win-backs count);
- retained = |S ∩ E|, churned = |S \\ E|;
- CRR = (E − N) / S × 100, cohort retention = retained / S × 100, churn rate = churned / S × 100;
- GRR = Σ_S min(MRR_end, MRR_start) / Σ_S MRR_start × 100, NRR = Σ_S MRR_end / Σ_S MRR_start × 100,
  where an account's MRR on a day is the sum of ``monthly_value`` of its contracts active that day.

Rates are ``Decimal`` percentages rounded half-up to two decimals, and ``None`` when S = 0 (GRR
and NRR also when Σ_S MRR_start = 0): no division error, no made-up 100 %.

Two queries per period: one for the counts, one for the revenue sums.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils.formats import number_format
from django.utils.translation import ngettext

from crm import periods
from customers.models import CustomerSpan, MrrSpan, Segment, span_covers

ONE_DAY = dt.timedelta(days=1)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
MONEY = DecimalField(max_digits=14, decimal_places=2)

# The keys of the retention report's JSON (DESIGN.md "Public interfaces"), in order.
JSON_KEYS = (
    "start_customers",
    "new_customers",
    "end_customers",
    "retention_rate",
    "retained_customers",
    "cohort_retention_rate",
    "churned_customers",
    "churn_rate",
    "grr",
    "nrr",
)
RATE_KEYS = frozenset({"retention_rate", "cohort_retention_rate", "churn_rate", "grr", "nrr"})


class RetentionError(ValueError):
    """Input a person can correct (a period ending before it starts, an unknown segment, a
    malformed date). The message is one line, fit to show as it is."""


def percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """``part / whole × 100`` rounded half-up to two decimals; None when ``whole`` is 0."""
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RetentionFigures:
    """The retention figures of one period and segment (None = all segments)."""

    start: dt.date
    end: dt.date
    segment: str | None
    start_customers: int
    new_customers: int
    end_customers: int
    retained_customers: int
    churned_customers: int
    mrr_start: Decimal
    mrr_end: Decimal
    mrr_kept: Decimal

    @property
    def retention_rate(self) -> Decimal | None:
        """CRR, the seed's formula: (E − N) / S × 100."""
        return percent(self.end_customers - self.new_customers, self.start_customers)

    @property
    def cohort_retention_rate(self) -> Decimal | None:
        return percent(self.retained_customers, self.start_customers)

    @property
    def churn_rate(self) -> Decimal | None:
        return percent(self.churned_customers, self.start_customers)

    @property
    def grr(self) -> Decimal | None:
        return percent(self.mrr_kept, self.mrr_start) if self.start_customers else None

    @property
    def nrr(self) -> Decimal | None:
        return percent(self.mrr_end, self.mrr_start) if self.start_customers else None

    @property
    def new_customers_lost(self) -> int:
        """New customers of the period who were no longer customers at its end. CRR counts
        them as if they had replaced lost ones; that is why it differs from cohort retention."""
        return self.new_customers - (self.end_customers - self.retained_customers)

    @property
    def rates_differ(self) -> bool:
        return self.retention_rate != self.cohort_retention_rate

    def difference_note(self) -> str:
        """Why CRR and cohort retention differ, in plain words; empty when they agree."""
        if not self.rates_differ:
            return ""
        lost = self.new_customers_lost

        def number(value) -> str:
            return number_format(value, use_l10n=True, force_grouping=True)

        return ngettext(
            "CRR counts %(lost)s new customer who already left as if they replaced lost ones; "
            "of the %(start)s customers at the start, %(kept)s stayed (%(rate)s %%).",
            "CRR counts %(lost)s new customers who already left as if they replaced lost ones; "
            "of the %(start)s customers at the start, %(kept)s stayed (%(rate)s %%).",
            lost,
        ) % {
            "lost": number(lost),
            "start": number(self.start_customers),
            "kept": number(self.retained_customers),
            "rate": number(self.cohort_retention_rate),
        }

    def as_dict(self) -> dict[str, int | float | None]:
        """Exactly the JSON keys of DESIGN.md. Rates are percentages as floats rounded to two
        decimals (``95.0``, ``70.45``), ``None`` (JSON null) where there is no rate."""
        out: dict[str, int | float | None] = {}
        for key in JSON_KEYS:
            value = getattr(self, key)
            out[key] = (None if value is None else float(value)) if key in RATE_KEYS else value
        return out


# --- the building blocks, shared with the selectors, breakdowns, cohorts and snapshots ---


def customer_on(day: dt.date, account_ref: str = "pk") -> Exists:
    """The account at ``OuterRef(account_ref)`` is a customer on ``day``."""
    return Exists(CustomerSpan.objects.covering(day).filter(account_id=OuterRef(account_ref)))


def check_period(start: dt.date, end: dt.date) -> None:
    """Raise ``RetentionError`` unless [start, end] is a period of dates, end not before start
    (``crm.periods.check_period``, raising what this package's callers catch)."""
    try:
        periods.check_period(start, end)
    except periods.PeriodError as error:
        raise RetentionError(str(error)) from None


def resolve_segment(segment: Segment | str | int | None) -> Segment | None:
    """The segment meant by an object, a name (case-insensitive when unambiguous) or an id;
    None for all segments. Raises ``RetentionError`` for one that does not exist."""
    if segment is None or isinstance(segment, Segment):
        return segment
    if isinstance(segment, int):
        found = Segment.objects.filter(pk=segment).first()
    else:
        name = segment.strip()
        found = Segment.objects.filter(name=name).first()
        if found is None:
            matches = list(Segment.objects.filter(name__iexact=name)[:2])
            found = matches[0] if len(matches) == 1 else None
    if found is None:
        known = ", ".join(Segment.objects.values_list("name", flat=True)) or "none yet"
        raise RetentionError(f"Unknown segment “{segment}” (known segments: {known}).")
    return found


def spans_in(segment: Segment | None) -> QuerySet[CustomerSpan]:
    spans = CustomerSpan.objects.all()
    return spans if segment is None else spans.filter(account__segment=segment)


# --- the figures ---


def spans_touching(start: dt.date, end: dt.date, segment: Segment | None) -> QuerySet:
    """The spans that hold some day of [start − 1, end]: all that S, N and E are counted from."""
    return (
        spans_in(segment)
        .filter(start_date__lte=end)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=start - ONE_DAY))
        .order_by()
    )


def left_within(start: dt.date, end: dt.date) -> QuerySet:
    """Ids of the accounts in S whose span holding ``start − 1`` ends inside the period (they
    left, and may have come back). A small set, found through the end-date index."""
    before = start - ONE_DAY
    return (
        CustomerSpan.objects.filter(start_date__lte=before, end_date__gte=before, end_date__lt=end)
        .values("account_id")
        .order_by()
    )


def count_aggregates(start: dt.date, end: dt.date) -> dict[str, Count]:
    """Aggregates over ``spans_touching(start, end)`` that count S, E, N and E's new accounts.

    At most one span of an account holds a given day, so counting spans counts accounts.
    Everyone in E is either in S or new, so retained = |S ∩ E| = E − ``end_new``. A span that
    begins inside the period did not hold ``start − 1`` (spans are maximal), so its account is
    new unless it was in S through an earlier span, which then ended inside the period: that
    small set is checked as a hashed ``IN``. (A correlated ``EXISTS`` per span would run fast
    but PostgreSQL costs it as if it ran for every span, and then spends more time
    JIT-compiling the query than counting.)"""
    before = start - ONE_DAY
    new = Q(start_date__gte=start) & ~Q(account_id__in=left_within(start, end))
    return {
        "start_customers": Count("pk", filter=span_covers(before)),
        "end_customers": Count("pk", filter=span_covers(end)),
        "end_new": Count("pk", filter=new & span_covers(end)),
        "new_customers": Count("account_id", distinct=True, filter=new),
    }


def _revenue(start: dt.date, end: dt.date, segment: Segment | None) -> dict[str, Decimal]:
    """Σ_S MRR_start, Σ_S MRR_end and Σ_S min(MRR_start, MRR_end) in one query over the MRR
    spans (``customers.MrrSpan``: each account's MRR as a step function over its customer
    days), without reading a contract.

    An account is in S exactly when one of its pieces holds ``start − 1`` (at most one does),
    and that piece's MRR is its MRR_start. When the piece still holds ``end`` it is also its
    MRR_end; otherwise the account's MRR_end is that of its piece holding ``end``, which then
    began inside the period, or 0 when none does. So the starting pieces are joined (hashed,
    on the account) to the pieces that begin in the period and hold ``end``; a segment narrows
    the starting pieces only."""
    before = start - ONE_DAY
    pieces = MrrSpan.objects.order_by()
    if segment is not None:
        pieces = pieces.filter(account__segment=segment)
    zero = Value(Decimal("0"), output_field=MONEY)
    starting = (
        pieces.filter(span_covers(before))
        .annotate(
            still=Case(
                When(span_covers(end), then=F("mrr")),
                default=zero,
                output_field=MONEY,
            )
        )
        .values("account_id", "mrr", "still")
    )
    later = (
        MrrSpan.objects.order_by()
        .filter(span_covers(end), start_date__gt=before)
        .values("account_id", "mrr")
    )
    p_sql, p_params = starting.query.sql_with_params()
    q_sql, q_params = later.query.sql_with_params()
    mrr_end = "COALESCE(q.mrr, p.still)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT SUM(p.mrr), SUM({mrr_end}), "
            f"SUM(CASE WHEN {mrr_end} < p.mrr THEN {mrr_end} ELSE p.mrr END) "
            f"FROM ({p_sql}) p LEFT JOIN ({q_sql}) q ON q.account_id = p.account_id",
            (*p_params, *q_params),
        )
        row = cursor.fetchone()
    return {
        key: _money(value)
        for key, value in zip(("mrr_start", "mrr_end", "mrr_kept"), row, strict=True)
    }


def _money(value) -> Decimal:
    """A sum read back from the database as a Decimal in cents (SQLite gives floats)."""
    if value is None:
        return Decimal("0.00")
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(CENT)


def retention_figures(
    *, start: dt.date, end: dt.date, segment: Segment | str | int | None = None
) -> RetentionFigures:
    """The retention figures of [start, end] for all accounts or one segment, as DESIGN.md
    defines them. Raises ``RetentionError`` for a period ending before it starts or an unknown
    segment."""
    check_period(start, end)
    segment = resolve_segment(segment)
    counts = spans_touching(start, end, segment).aggregate(**count_aggregates(start, end))
    return figures_from_counts(start=start, end=end, segment=segment, counts=counts)


def figures_from_counts(
    *, start: dt.date, end: dt.date, segment: Segment | None, counts: dict[str, int]
) -> RetentionFigures:
    """The figures of [start, end] from the counts of ``count_aggregates`` (or the totals of
    ``retention.figures.breakdowns.all_breakdowns``, which counts them with the breakdowns), adding
    the revenue sums (one query, none when S = 0)."""
    s = counts["start_customers"]
    retained = counts["end_customers"] - counts["end_new"]
    zero = Decimal("0")
    revenue = (
        _revenue(start, end, segment)
        if s
        else {"mrr_start": zero, "mrr_end": zero, "mrr_kept": zero}
    )
    return RetentionFigures(
        start=start,
        end=end,
        segment=segment.name if segment else None,
        start_customers=s,
        new_customers=counts["new_customers"],
        end_customers=counts["end_customers"],
        retained_customers=retained,
        churned_customers=s - retained,
        **revenue,
    )
