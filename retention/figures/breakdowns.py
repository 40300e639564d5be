"""Churn and retention of a period broken down by what the accounts have in common: segment,
industry, company size, budget band, owner (CSM) and churn reason — the seed's question "do the
customers we lose have something in common?".

One query for all of them (``all_breakdowns``; ``breakdown`` gives one), over the same spans and
definitions as ``retention.figures.metrics``.
Accounts are grouped by their attributes as they are now (the segment, owner... of today), not
as they were during the period.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.utils.translation import gettext_lazy as _

from crm import scoping
from customers.models import BudgetBand, ChurnRecord, CustomerSpan, Segment, span_covers

from .metrics import (
    ONE_DAY,
    check_period,
    left_within,
    percent,
    resolve_segment,
    spans_touching,
)

# The key of the one row a team lead sees for the owners of other teams.
OTHER_TEAMS = "other-teams"

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
    if values["seg"] is None:
        return "", str(_("No segment"))
    return str(values["seg"]), values["seg_name"]


def _industry_label(values: dict) -> tuple[str, str]:
    return values["industry"], values["industry"] or str(_("Not recorded"))


def _size_label(values: dict) -> tuple[str, str]:
    band = values["band"]
    return band, str(_("Not recorded")) if band == UNKNOWN else band


def _budget_label(values: dict) -> tuple[str, str]:
    band = values["budget"]
    return band, str(BudgetBand(band).label) if band else str(_("Not recorded"))


def _owner_label(values: dict) -> tuple[str, str]:
    if values["owner"] is None:
        return "", str(_("Unassigned"))
    name = f"{values['owner_first']} {values['owner_last']}"
    return str(values["owner"]), name.strip() or values["owner_user"]


# dimension → (its name for people, the column it groups by, the row's key and label). Segments
# and owners are grouped by id and named after grouping: name columns would make every span
# row wide enough for PostgreSQL to sort them instead of hashing.
DIMENSIONS = {
    "segment": (_("Segment"), ("seg", F("account__segment_id")), _segment_label),
    "industry": (_("Industry"), ("industry", F("account__industry")), _industry_label),
    "size": (_("Company size (employees)"), ("band", size_band), _size_label),
    "budget": (_("Budget band"), ("budget", F("account__budget_band")), _budget_label),
    "owner": (_("Owner"), ("owner", F("account__owner_id")), _owner_label),
}
COLUMNS = [column for _name, (column, _expr), _label in DIMENSIONS.values()]
COUNTS = ("start_customers", "new_customers", "end_customers", "end_new")
NAMES = ("seg_name", "owner_first", "owner_last", "owner_user")
SUMS = "SUM(s), SUM(f), SUM(e), SUM(e * n)"


def _flagged_spans(start: dt.date, end: dt.date, segment: Segment | None) -> tuple[str, tuple]:
    """SQL and parameters of one row per span of ``spans_touching``: 0/1 flags for "holds
    ``start − 1``" (``s``), "holds ``end``" (``e``), "its account is new" (``n``) and "it is
    the first span of a new account in the period" (``f``: N without ``COUNT(DISTINCT)``,
    which would make PostgreSQL sort every span once per breakdown), and the column of every
    dimension."""
    before = start - ONE_DAY
    new = Q(start_date__gte=start) & ~Q(account_id__in=left_within(start, end))
    # A new account that came, left and came back in the period has several spans beginning
    # in it: all but the first are left out of N (a small set, joined once and hashed).
    again = CustomerSpan.objects.filter(
        Exists(
            CustomerSpan.objects.filter(
                account_id=OuterRef("account_id"),
                start_date__gte=start,
                start_date__lte=end,
                start_date__lt=OuterRef("start_date"),
            )
        ),
        start_date__gt=start,
        start_date__lte=end,
    ).values("pk")

    def flag(condition: Q) -> Case:
        return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())

    spans = spans_touching(start, end, segment).annotate(
        s=flag(span_covers(before)),
        e=flag(span_covers(end)),
        n=flag(new),
        f=flag(new & ~Q(pk__in=again)),
        **{column: expr for _name, (column, expr), _label in DIMENSIONS.values()},
    )
    return spans.values("s", "e", "n", "f", *COLUMNS).query.sql_with_params()


def _null(column: str) -> str:
    """A NULL of the column's type (ids are numbers), so that a ``UNION`` and the joins in
    ``_named`` type-check on PostgreSQL."""
    return (
        f"CAST(NULL AS BIGINT) AS {column}" if column in ("seg", "owner") else f"NULL AS {column}"
    )


def _named(grouped: str) -> str:
    """``grouped`` (a tag, the dimension columns and the sums) with the names of its segments
    and owners joined on after grouping."""
    quote = connection.ops.quote_name
    users = get_user_model()._meta.db_table
    return (
        f"SELECT g.*, sg.{quote('name')}, u.{quote('first_name')}, u.{quote('last_name')}, "
        f"u.{quote('username')} FROM ({grouped}) g "
        f"LEFT JOIN {quote(Segment._meta.db_table)} sg ON sg.{quote('id')} = g.seg "
        f"LEFT JOIN {quote(users)} u ON u.{quote('id')} = g.owner"
    )


def _grouped(start, end, segment, sets: list[list[str]]) -> list[tuple[int, dict]]:
    """(index into ``sets``, values) of every group of each grouping set, in one query: on
    PostgreSQL one pass with ``GROUPING SETS``, elsewhere a ``UNION ALL``."""
    sql, params = _flagged_spans(start, end, segment)
    if connection.vendor == "postgresql" and len(sets) > 1:
        # GROUPING() sets a bit, first argument highest, for each column not grouped by.
        masks = {
            sum(1 << (len(COLUMNS) - 1 - i) for i, c in enumerate(COLUMNS) if c not in cols): n
            for n, cols in enumerate(sets)
        }
        grouping = ", ".join("(" + ", ".join(cols) + ")" for cols in sets)
        query = _named(
            f"SELECT GROUPING({', '.join(COLUMNS)}) AS tag, {', '.join(COLUMNS)}, {SUMS} "
            f"FROM ({sql}) t GROUP BY GROUPING SETS ({grouping})"
        )
    else:
        masks = {n: n for n in range(len(sets))}
        branches = []
        for n, cols in enumerate(sets):
            picked = ", ".join(c if c in cols else _null(c) for c in COLUMNS)
            group = f" GROUP BY {', '.join(cols)}" if cols else ""
            branches.append(f"SELECT {n} AS tag, {picked}, {SUMS} FROM ({sql}) t{group}")
        query = _named(" UNION ALL ".join(branches))
        params = tuple(params) * len(sets)
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        found = cursor.fetchall()
    groups = []
    width = len(COLUMNS)
    for row in found:
        values = dict(zip(COLUMNS, row[1 : 1 + width], strict=True))
        values.update(
            zip(COUNTS, (int(v or 0) for v in row[1 + width : 1 + width + 4]), strict=True)
        )
        values.update(zip(NAMES, row[1 + width + 4 :], strict=True))
        groups.append((masks[row[0]], values))
    return groups


def _rows(dimension: str, groups: list[dict]) -> list[BreakdownRow]:
    label = DIMENSIONS[dimension][2]
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


def all_breakdowns(
    *, start: dt.date, end: dt.date, segment: Segment | str | int | None = None
) -> tuple[dict[str, int], dict[str, list[BreakdownRow]]]:
    """Every breakdown of [start, end] and the totals (S, N, E and E's new accounts, the
    counts of ``metrics.count_aggregates``) in one query over the spans."""
    check_period(start, end)
    segment = resolve_segment(segment)
    sets = [[column] for column in COLUMNS] + [[]]
    groups: list[list[dict]] = [[] for _set in sets]
    for n, values in _grouped(start, end, segment, sets):
        groups[n].append(values)
    total = groups[-1][0] if groups[-1] else dict.fromkeys(COUNTS, 0)
    tables = {d: _rows(d, groups[n]) for n, d in enumerate(DIMENSIONS)}
    return {key: total[key] for key in COUNTS}, tables


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
    column = DIMENSIONS[dimension][1][0]
    return _rows(dimension, [values for _n, values in _grouped(start, end, segment, [[column]])])


def owners_seen_by(user, rows: list[BreakdownRow]) -> list[BreakdownRow]:
    """The owner breakdown (``rows``, every owner of the company) as ``user`` may read it: the
    people ``crm.scoping.visible_people`` lets them name (an admin everyone, a team lead their
    team) by name, and the accounts nobody owns; every other owner's figures summed into one
    row "Other teams" (key ``OTHER_TEAMS``), last. One query, of the rows' owners."""
    owner_ids = [int(row.key) for row in rows if row.key]
    users = get_user_model().objects.filter(pk__in=owner_ids)
    named = {str(pk) for pk in scoping.visible_people(user, users).values_list("pk", flat=True)}
    shown = [row for row in rows if not row.key or row.key in named]
    others = [row for row in rows if row.key and row.key not in named]
    if not others:
        return shown
    counts = ("start_customers", "new_customers", "end_customers", "retained_customers")
    summed = BreakdownRow(
        key=OTHER_TEAMS,
        label=str(_("Other teams")),
        **{name: sum(getattr(row, name) for row in others) for name in counts},
    )
    return [*shown, summed]


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
