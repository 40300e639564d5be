"""The retention report's reads: for a period and segment the headline figures against the
industry benchmark, the trend of the last closed months from the stored snapshots (and its
charts), the cohort matrix, the breakdowns and the churn reasons, and each of these as a table
for its CSV export. ``retention_report`` is the one call the report page makes.

Cost: a cold report asks five questions of the data (its version, every breakdown with S, N
and E in one query, the revenue from the MRR spans, the cohorts, the churn reasons); the
results are cached for 10 minutes, keyed by period, segment, today, language and
``data_version()`` (which any ledger refresh, account edit or churn record changes, so a write
is seen at once). The trend reads the snapshots, and the benchmark the segments, when asked.
The number of queries does not grow with the accounts or months shown.
"""

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

from django.core.cache import cache
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.charts import Series, line_chart
from crm.periods import (
    Period,
    add_months,
    closed_months,
    month_period,
    month_start,
    trailing_year,
)
from customers.models import Account, ChurnRecord, LedgerRevision, OwnershipTransfer, Segment

from ..models import MonthlySnapshot
from .breakdowns import DIMENSIONS, all_breakdowns, churn_reasons, owners_seen_by
from .cohorts import cohort_matrix
from .metrics import CENT, RetentionFigures, figures_from_counts, retention_figures

TREND_MONTHS = 24
COHORT_MONTHS = 12
CACHE_SECONDS = 600
# Months without a snapshot the report computes itself; more is the beat task's job.
COMPUTE_MISSING_AT_MOST = 2
TREND_SERIES = (  # key, label, colour, dashed
    ("retention_rate", "CRR", "#0f5b5c", False),
    ("churn_rate", gettext_lazy("Churn rate"), "#d92d20", False),
    ("grr", "GRR", "#f79009", False),
    ("nrr", "NRR", "#2d46b9", False),
)
EXPORTS = ("headline", "trend", "cohorts", "cohort_revenue", *DIMENSIONS, "churn_reasons")


def data_version() -> str:
    """Changes whenever the ledger is refreshed (a contract added, changed or removed, an
    import, the nightly rebuild), an account is edited or handed over, or a churn reason is
    recorded: the newest ``LedgerRevision``, audit-history and transfer ids, one index lookup
    each, in one query. (Writes that bypass all of these are seen when the 10 minutes are
    up.)"""
    quote = connection.ops.quote_name
    tables = (
        (LedgerRevision._meta.db_table, "id"),
        (Account.history.model._meta.db_table, "history_id"),
        (ChurnRecord.history.model._meta.db_table, "history_id"),
        # a portfolio handover moves owners with a bulk update, but always adds transfers
        (OwnershipTransfer._meta.db_table, "id"),
    )
    select = ", ".join(f"(SELECT MAX({quote(pk)}) FROM {quote(table)})" for table, pk in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {select}")
        return ".".join(str(value or 0) for value in cursor.fetchone())


def _cache_key(*parts) -> str:
    return "retention-report:" + ":".join(str(part) for part in parts)


def period_tables(*, period: Period, segment: Segment | None, today: dt.date) -> dict:
    """The figures, cohort matrix, breakdowns and churn reasons of a period (four queries),
    from the cache when the same question was asked today of the same data (``data_version``)
    in the last 10 minutes, in the same language: the breakdowns' group labels are worded
    when computed. ``_key`` is the cache key, for what is cached along with the tables."""
    key = _cache_key(
        period.start,
        period.end,
        segment.pk if segment else "all",
        today,
        data_version(),
        translation.get_language(),
    )
    tables = cache.get(key)
    if tables is None:
        last_cohort = month_start(period.end)
        counts, breakdowns = all_breakdowns(start=period.start, end=period.end, segment=segment)
        figures = figures_from_counts(
            start=period.start, end=period.end, segment=segment, counts=counts
        )
        year = trailing_year(period.end)
        tables = {
            "figures": figures,
            # what an annual benchmark is held against: the period itself when it is a year
            "year_figures": figures
            if year.start == period.start
            else retention_figures(start=year.start, end=year.end, segment=segment),
            "cohorts": cohort_matrix(
                first_month=add_months(last_cohort, -(COHORT_MONTHS - 1)),
                last_month=last_cohort,
                months=COHORT_MONTHS,
                segment=segment,
                today=today,
            ),
            "breakdowns": breakdowns,
            "churn_reasons": churn_reasons(start=period.start, end=period.end, segment=segment),
        }
        cache.set(key, tables, CACHE_SECONDS)
    return {**tables, "_key": key}


def trend(*, segment: Segment | None, today: dt.date) -> list[dict]:
    """The last closed months' figures from the snapshots, oldest first. A month without a
    snapshot is computed here when at most two are missing, else it stays a gap (``None``)."""
    months = closed_months(today=today, count=TREND_MONTHS)
    stored = {
        snapshot.month: snapshot
        for snapshot in MonthlySnapshot.objects.filter(
            segment=segment, month__gte=months[0], month__lte=months[-1]
        )
    }
    missing = [month for month in months if month not in stored]
    computed = {}
    if len(missing) <= COMPUTE_MISSING_AT_MOST:
        for month in missing:
            period = month_period(month)
            computed[month] = retention_figures(start=period.start, end=period.end, segment=segment)
    rows = []
    for month in months:
        source = stored.get(month) or computed.get(month)
        row = {"month": month, "source": None, "figures": source}
        if month in stored:
            row["source"] = "snapshot"
        elif month in computed:
            row["source"] = "computed"
        rows.append(row)
    return rows


def benchmark(*, figures, segment: Segment | None, segments: list[Segment], rows) -> dict:
    """The industry benchmark, an annual rate, and how ``figures`` (those of the twelve
    months to the period's end, ``year_figures``: like with like, never a month's CRR against
    a year's benchmark) compare with it: the segment's own, or for all segments the mean of
    the segments' benchmarks weighted by their customers at the start of the report's period
    (segments without a benchmark or without customers left out)."""
    if segment is not None:
        rate = segment.benchmark_retention_rate
        result = {"rate": rate, "weighted": False, "covered": figures.start_customers}
    else:
        rates = {
            str(s.pk): s.benchmark_retention_rate
            for s in segments
            if s.benchmark_retention_rate is not None
        }
        weights = [(row.start_customers, rates[row.key]) for row in rows if row.key in rates]
        total = sum(weight for weight, _rate in weights)
        rate = (sum(weight * r for weight, r in weights) / total).quantize(CENT) if total else None
        result = {
            "rate": rate,
            "weighted": True,
            "covered": total,
            "segments": len([w for w in weights if w[0]]),
        }
    crr = figures.retention_rate
    result["year_start"], result["year_end"], result["crr"] = figures.start, figures.end, crr
    result["difference"] = None if rate is None or crr is None else crr - rate
    return result


@dataclass
class Report:
    """What the report shows ``reader`` for a period and segment; the trend, the benchmark
    and the charts are read when first asked (an export needs one table, not all of them)."""

    period: Period
    segment: Segment | None
    today: dt.date
    tables: dict
    reader: object

    @property
    def figures(self) -> RetentionFigures:
        return self.tables["figures"]

    @cached_property
    def breakdowns(self) -> dict[str, list]:
        """The breakdown tables as the reader may read them: the figures are the company's,
        the owners' names only the reader's people (``breakdowns.owners_seen_by``)."""
        tables = dict(self.tables["breakdowns"])
        tables["owner"] = owners_seen_by(self.reader, tables["owner"])
        return tables

    @cached_property
    def trend(self) -> list[dict]:
        return trend(segment=self.segment, today=self.today)

    @cached_property
    def benchmark(self) -> dict:
        return benchmark(
            figures=self.tables["year_figures"],
            segment=self.segment,
            segments=list(Segment.objects.order_by("name")),
            rows=self.tables["breakdowns"]["segment"],
        )

    @cached_property
    def charts(self) -> dict:
        """The trend as two line charts (churn sits near 0 and the retention rates near 100:
        one scale would flatten both), their legend and the months they leave out."""
        months = self.trend
        missing = {i for i, row in enumerate(months) if row["figures"] is None}
        lines = {
            key: Series(
                name=str(name),
                color=colour,
                values=[getattr(row["figures"], key, None) for row in months],
                dashed=dashed,
            )
            for key, name, colour, dashed in TREND_SERIES
        }
        # Monthly rates only: the annual benchmark is not drawn beside them (like with like,
        # DESIGN.md); the benchmark card holds it against the twelve months.
        retention_series = [lines["retention_rate"], lines["grr"], lines["nrr"]]
        churn_series = [lines["churn_rate"]]
        chart_months = [row["month"] for row in months]
        gap = _("%(month)s: no snapshot")
        return {
            "chart": line_chart(
                months=chart_months,
                series=retention_series,
                missing=missing,
                label=_("CRR, GRR and NRR of the last %(n)s closed months") % {"n": len(months)},
                gap=gap,
            ),
            "churn_chart": line_chart(
                months=chart_months,
                series=churn_series,
                missing=missing,
                label=_("Churn rate of the last %(n)s closed months") % {"n": len(months)},
                height=150,
                gap=gap,
            ),
            "legend": [*retention_series, *churn_series],
            "missing_months": [months[i]["month"] for i in sorted(missing)],
            "computed_months": [row["month"] for row in months if row["source"] == "computed"],
        }

    def table(self, name: str) -> tuple[list[str], list[list]]:
        """One of ``EXPORTS`` as a header and rows, for its CSV. Raises ``LookupError`` for
        any other name."""
        period, figures = self.period, self.figures
        if name == "headline":
            rows = [
                ["start", period.start],
                ["end", period.end],
                ["segment", self.segment.name if self.segment else ""],
                *([key, value] for key, value in figures.as_dict().items()),
                ["mrr_start", figures.mrr_start],
                ["mrr_end", figures.mrr_end],
            ]
            return ["figure", "value"], rows
        if name == "trend":
            keys = ["start_customers", "new_customers", "end_customers", "retention_rate"]
            keys += ["cohort_retention_rate", "churn_rate", "grr", "nrr"]
            rows = [
                [f"{row['month']:%Y-%m}", row["source"] or "missing"]
                + [getattr(row["figures"], key, None) for key in keys]
                for row in self.trend
            ]
            return ["month", "source", *keys], rows
        if name in ("cohorts", "cohort_revenue"):
            matrix = self.tables["cohorts"]
            counts = name == "cohorts"
            header = ["cohort", "customers" if counts else "base_mrr"]
            header += [f"k{k}" for k in matrix.offsets]
            rows = [
                [f"{row.month:%Y-%m}", row.size if counts else row.base_mrr]
                + (row.customers if counts else row.revenue)
                for row in matrix.rows
            ]
            return header, rows
        if name in DIMENSIONS:
            header = ["key", "group", "start_customers", "new_customers", "end_customers"]
            header += ["retained_customers", "churned_customers", "retention_rate"]
            header += ["cohort_retention_rate", "churn_rate"]
            rows = [
                [getattr(row, column) for column in ("key", "label", *header[2:])]
                for row in self.breakdowns[name]
            ]
            return header, rows
        if name == "churn_reasons":
            header = ["key", "reason", "churned_customers", "share_of_churned"]
            rows = [
                [row.key, row.label, row.churned_customers, row.share_of_churned]
                for row in self.tables["churn_reasons"]
            ]
            return header, rows
        raise LookupError(name)


def retention_report(*, period: Period, segment: Segment | None, today: dt.date, reader) -> Report:
    """The retention report of ``period`` for ``segment`` (None: all segments) as of
    ``today`` for ``reader``: the company's figures (or the segment's), as the CLI and the
    API give them, with the owners named as far as ``reader``'s scope goes."""
    return Report(
        period=period,
        segment=segment,
        today=today,
        reader=reader,
        tables=period_tables(period=period, segment=segment, today=today),
    )
