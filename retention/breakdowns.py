"""Churn and retention of a period broken down by what the accounts have in common: segment,
industry, company size, budget band, owner (CSM) and churn reason — the seed's question "do the
customers we lose have something in common?".

One grouped query per dimension, over the same spans and definitions as ``retention.metrics``.
Accounts are grouped by their attributes as they are now (the segment, owner... of today), not
as they were during the period.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, CharField, Count, OuterRef, Q, Subquery, Value, When
from django.utils.translation import gettext_lazy as _

from customers.models import BudgetBand, ChurnRecord, CustomerSpan, Segment

from .metrics import (
    ONE_DAY,
    check_period,
    count_aggregates,
    percent,
    resolve_segment,
    span_covers,
    spans_touching,
)

# Company size bands by number of employees: (label, lowest, highest or None).
SIZE_BANDS = (("1–49", 0, 49), ("50–249", 50, 249), ("250–999", 250, 999), ("1000+", 1000, None))
UNKNOWN = "?"

size_band = Case(
    *[
        When(
            Q(account__employees__gte=low)
            & (Q() if high is None else Q(account__employees__lte=high)),
            then=Value(label),
        )
        for label, low, high in SIZE_BANDS
    ],
    default=Value(UNKNOWN),
    output_field=CharField(),
)


@dataclass(frozen=True)
class BreakdownRow:
    """The figures of one group: ``key`` is what a page filters by, ``label`` what it shows."""

    key: str
    label: str
    start_customers: int
    new_customers: int
    end_customers: int
    retained_customers: int

    @property
    def churned_customers(self) -> int:
        return self.start_customers - self.retained_customers

    @property
    def retention_rate(self) -> Decimal | None:
        return percent(self.end_customers - self.new_customers, self.start_customers)

    @property
    def cohort_retention_rate(self) -> Decimal | None:
        return percent(self.retained_customers, self.start_customers)

    @property
    def churn_rate(self) -> Decimal | None:
        return percent(self.churned_customers, self.start_customers)


@dataclass(frozen=True)
class ChurnReasonRow:
    """The starting customers lost in the period for one reason (or none recorded)."""

    key: str
    label: str
    churned_customers: int
    share_of_churned: Decimal | None


def _segment_label(values: dict) -> tuple[str, str]:
    return str(values["account__segment_id"] or ""), values["account__segment__name"] or str(
        _("No segment")
    )


def _industry_label(values: dict) -> tuple[str, str]:
    return values["account__industry"], values["account__industry"] or str(_("Not recorded"))


def _size_label(values: dict) -> tuple[str, str]:
    band = values["band"]
    return band, str(_("Not recorded")) if band == UNKNOWN else band


def _budget_label(values: dict) -> tuple[str, str]:
    band = values["account__budget_band"]
    return band, str(BudgetBand(band).label) if band else str(_("Not recorded"))


def _owner_label(values: dict) -> tuple[str, str]:
    if values["account__owner_id"] is None:
        return "", str(_("Unassigned"))
    name = f"{values['account__owner__first_name']} {values['account__owner__last_name']}"
    return str(values["account__owner_id"]), name.strip() or values["account__owner__username"]


# dimension → (its name for people, the group-by fields, extra annotations, the row's label)
DIMENSIONS = {
    "segment": (
        _("Segment"),
        ("account__segment_id", "account__segment__name"),
        {},
        _segment_label,
    ),
    "industry": (_("Industry"), ("account__industry",), {}, _industry_label),
    "size": (_("Company size (employees)"), ("band",), {"band": size_band}, _size_label),
    "budget": (_("Budget band"), ("account__budget_band",), {}, _budget_label),
    "owner": (
        _("Owner"),
        (
            "account__owner_id",
            "account__owner__first_name",
            "account__owner__last_name",
            "account__owner__username",
        ),
        {},
        _owner_label,
    ),
}


def breakdown(
    *,
    start: dt.date,
    end: dt.date,
    dimension: str,
    segment: Segment | str | int | None = None,
) -> list[BreakdownRow]:
    """S, N, E, retained and churned of [start, end] per group of ``dimension`` (one of
    ``DIMENSIONS``), largest starting groups first. Groups with nobody in S or N are left out."""
    check_period(start, end)
    if dimension not in DIMENSIONS:
        raise ValueError(f"Unknown breakdown “{dimension}” (one of {', '.join(DIMENSIONS)}).")
    segment = resolve_segment(segment)
    _name, fields, annotations, label = DIMENSIONS[dimension]
    groups = (
        spans_touching(start, end, segment)
        .annotate(**annotations)
        .values(*fields)
        .annotate(**count_aggregates(start, end))
    )
    rows = []
    for values in groups:
        key, text = label(values)
        rows.append(
            BreakdownRow(
                key=key,
                label=text,
                start_customers=values["start_customers"],
                new_customers=values["new_customers"],
                end_customers=values["end_customers"],
                retained_customers=values["end_customers"] - values["end_new"],
            )
        )
    rows = [row for row in rows if row.start_customers or row.new_customers]
    return sorted(rows, key=lambda row: (-row.start_customers, -row.new_customers, row.label))


def churn_reasons(
    *, start: dt.date, end: dt.date, segment: Segment | str | int | None = None
) -> list[ChurnReasonRow]:
    """The churned customers of [start, end] (in S, not in E) by the reason recorded for the
    churn that happened in the period (the latest, when there were several); those without a
    record count as "not recorded". Most frequent reason first."""
    check_period(start, end)
    segment = resolve_segment(segment)
    before = start - ONE_DAY
    reason = ChurnRecord.objects.filter(
        account_id=OuterRef("account_id"), churned_on__gte=start, churned_on__lte=end
    ).order_by("-churned_on")
    # The S span ended inside the period and no later span holds ``end`` (such a later span
    # began inside the period: a small set, checked as a hashed ``IN``).
    back_by_end = CustomerSpan.objects.filter(span_covers(end), start_date__gte=start).values(
        "account_id"
    )
    churned = (
        spans_touching(start, end, segment)
        .filter(span_covers(before), end_date__lt=end)
        .exclude(account_id__in=back_by_end)
        .annotate(
            reason_id=Subquery(reason.values("reason_id")[:1]),
            reason_name=Subquery(reason.values("reason__name")[:1]),
        )
        .values("reason_id", "reason_name")
        .annotate(churned=Count("pk"))
    )
    counts = list(churned)
    total = sum(row["churned"] for row in counts)
    rows = [
        ChurnReasonRow(
            key=str(row["reason_id"] or ""),
            label=row["reason_name"] or str(_("Not recorded")),
            churned_customers=row["churned"],
            share_of_churned=percent(row["churned"], total),
        )
        for row in counts
    ]
    return sorted(rows, key=lambda row: (-row.churned_customers, row.label))
