"""The retention report: for a period and segment the headline figures (S, N, E, CRR, cohort
retention, churn, GRR, NRR) against the industry benchmark, the trend of the last closed months
from the stored snapshots, the cohort heat map and the breakdowns — and, behind every count,
the accounts it counts.

Who sees what: team leads and admins (management) read the report; anyone else gets 404. The
figures are the company's (or the segment's), as the CLI and the API give them; the account
lists behind them go through ``crm.scoping``, so a team lead sees the names of their team's
accounts only, and the page says so.

Cost: a cold page asks five questions of the data (its version, every breakdown with S, N and
E in one query, the revenue from the MRR spans, the cohorts, the churn reasons); the results and
the rendered cohort and breakdown tables are cached for 10 minutes, keyed by period, segment,
today, language and ``data_version()`` (which any ledger refresh, account edit or churn record
changes, so a write is seen at once). The trend reads the snapshots. The number of queries does
not grow with the accounts or months shown.
"""

import csv
import datetime as dt
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import scoping
from crm.exports import FORMULA_PREFIXES, Echo
from customers.models import Account, ChurnRecord, LedgerRevision, OwnershipTransfer, Segment

from ..models import MonthlySnapshot
from . import selectors
from .breakdowns import DIMENSIONS, SIZE_BANDS, UNKNOWN, all_breakdowns, churn_reasons
from .charts import Series, line_chart
from .cohorts import cohort_matrix
from .forms import ACCOUNT_SETS, AccountSetForm, ReportForm, default_period
from .forms import period_suggestions as suggestions
from .metrics import CENT, ONE_DAY, figures_from_counts, retention_figures
from .periods import Period, add_months, closed_months, month_period, month_start

PAGE_SIZE = 50
TREND_MONTHS = 24
COHORT_MONTHS = 12
CACHE_SECONDS = 600
# A breakdown longer than this shows its rows that lost the most customers; the CSV has all.
BREAKDOWN_ROWS_SHOWN = 25
# Months without a snapshot the page computes itself; more is the beat task's job.
COMPUTE_MISSING_AT_MOST = 2
# Spreadsheet programs run a cell that starts with one of these as a formula.
SET_SELECTORS = {
    "start": selectors.start_customers,
    "new": selectors.new_customers,
    "end": selectors.end_customers,
    "retained": selectors.retained_customers,
    "churned": selectors.churned_customers,
}
TREND_SERIES = (  # key, label, colour, dashed
    ("retention_rate", "CRR", "#0f5b5c", False),
    ("churn_rate", gettext_lazy("Churn rate"), "#d92d20", False),
    ("grr", "GRR", "#f79009", False),
    ("nrr", "NRR", "#2d46b9", False),
)


def _require_report_reader(user) -> None:
    if not scoping.can_manage(user):
        raise Http404


def _cell(value) -> str | int | Decimal:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _csv(filename: str, header: list, rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return response


# --- what the page reads ---


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
        tables = {
            "figures": figures_from_counts(
                start=period.start, end=period.end, segment=segment, counts=counts
            ),
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


def _rows_shown(rows: list) -> list:
    """A long breakdown (one row per owner: hundreds) shows the groups that lost the most
    customers, then the largest; its CSV export has every row. Short ones keep their order."""
    if len(rows) <= BREAKDOWN_ROWS_SHOWN:
        return list(rows)
    return sorted(rows, key=lambda row: (-row.churned_customers, -row.start_customers))[
        :BREAKDOWN_ROWS_SHOWN
    ]


def _sections(tables: dict, query: dict) -> dict:
    """The cohort tables and the breakdown tables with the account links behind every
    number, rendered once per ``period_tables`` entry: hundreds of rows (one per owner) that
    would otherwise be worded and linked again on every request."""
    key = tables["_key"] + ":sections"
    sections = cache.get(key)
    if sections is None:
        prefix = _link_prefix(query)
        breakdowns = []
        for dimension in DIMENSIONS:
            rows = tables["breakdowns"][dimension]
            shown = _rows_shown(rows)
            breakdowns.append(
                {
                    "dimension": dimension,
                    "name": DIMENSIONS[dimension][0],
                    "rows": [
                        {"row": row, "links": _links_from(prefix, by=dimension, key=row.key)}
                        for row in shown
                    ],
                    "total": len(rows),
                    "hidden": len(rows) - len(shown),
                }
            )
        cohorts = _cohort_rows(tables["cohorts"], "customers")
        cohort_revenue = _cohort_rows(tables["cohorts"], "revenue")
        context = {
            "query": urlencode(query),
            "cohort_offsets": tables["cohorts"].offsets,
        }
        html = {
            "breakdowns_html": "".join(
                render_to_string("retention/report_breakdown.html", {**context, "b": b})
                for b in breakdowns
            ),
            "cohorts_html": render_to_string(
                "retention/report_cohorts.html",
                {**context, "rows": cohorts, "testid": "cohorts", "first": _("Customers")},
            ),
            "cohort_revenue_html": render_to_string(
                "retention/report_cohorts.html",
                {
                    **context,
                    "rows": cohort_revenue,
                    "testid": "cohort-revenue",
                    "first": _("MRR at start"),
                    "revenue": True,
                },
            ),
        }
        sections = {
            "breakdowns": breakdowns,
            "cohorts": cohorts,
            "cohort_revenue": cohort_revenue,
            # Rendered templates (escaped there); kept safe through the cache's pickling.
            **{name: mark_safe(text) for name, text in html.items()},
        }
        cache.set(key, sections, CACHE_SECONDS)
    return sections


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
    """The industry benchmark to hold CRR against: the segment's own, or for all segments the
    mean of the segments' benchmarks weighted by their customers at the start (segments
    without a benchmark or without customers left out)."""
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
    result["difference"] = None if rate is None or crr is None else crr - rate
    return result


def heat(share: Decimal | None) -> str:
    """The background of a cohort cell: the darker, the larger the share."""
    if share is None:
        return ""
    alpha = max(0.06, min(float(share), 100.0) / 100)
    colour = "#fff" if alpha > 0.55 else "#1d2433"
    return f"background: rgba(15, 91, 92, {alpha:.2f}); color: {colour}"


def _cohort_rows(matrix, which: str) -> list[dict]:
    rows = []
    for row in matrix.rows:
        shares = row.customer_shares if which == "customers" else row.revenue_shares
        raw = row.customers if which == "customers" else row.revenue
        rows.append(
            {
                "month": row.month,
                "size": row.size,
                "base": row.base_mrr,
                "cells": [
                    {
                        "share": share,
                        "value": value,
                        "style": heat(share),
                        "reached": value is not None,
                    }
                    for share, value in zip(shares, raw, strict=True)
                ],
            }
        )
    return rows


# --- the report page ---


def _report_form(request) -> ReportForm:
    data = request.GET.copy()
    if not any(data.get(name) for name in ("period", "start", "end")):
        data["period"] = default_period(timezone.localdate())
    return ReportForm(data)


def _link_prefix(query: dict) -> str:
    return f"{reverse('retention:report_accounts')}?{urlencode(query)}"


def _links_from(prefix: str, *, by: str = "", key: str | None = None) -> dict[str, str]:
    extra = f"&{urlencode({'by': by, 'key': key})}" if by else ""
    return {name: f"{prefix}{extra}&set={name}" for name in ACCOUNT_SETS}


def _links(query: dict, *, by: str = "", key: str | None = None) -> dict[str, str]:
    """The account list of each set behind a figure (of one breakdown group when ``by``)."""
    return _links_from(_link_prefix(query), by=by, key=key)


@login_required
def report(request):
    """The retention report of a period and segment (see the module docstring)."""
    _require_report_reader(request.user)
    form = _report_form(request)
    today = timezone.localdate()
    context = {"form": form, "suggestions": suggestions(today)}
    if not form.is_valid():
        if request.GET.get("export"):
            return render(request, "retention/report.html", context, status=400)
        return render(request, "retention/report.html", context)
    period, segment = form.report_period, form.cleaned_data.get("segment")
    tables = period_tables(period=period, segment=segment, today=today)
    figures = tables["figures"]
    months = trend(segment=segment, today=today)
    export = request.GET.get("export")
    if export:
        return _export(export, period, segment, tables, months)

    segments = list(Segment.objects.order_by("name"))
    query = form.query()
    bench = benchmark(
        figures=figures, segment=segment, segments=segments, rows=tables["breakdowns"]["segment"]
    )
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
    # Churn sits near 0 and the retention rates near 100: one scale would flatten both.
    retention_series = [lines["retention_rate"], lines["grr"], lines["nrr"]]
    churn_series = [lines["churn_rate"]]
    if bench["rate"] is not None:
        retention_series.append(
            Series(
                name=_("Benchmark"),
                color="#98a2b3",
                values=[bench["rate"]] * len(months),
                dashed=True,
            )
        )
    chart_months = [row["month"] for row in months]
    chart = line_chart(
        months=chart_months,
        series=retention_series,
        missing=missing,
        label=_("CRR, GRR and NRR of the last %(n)s closed months") % {"n": len(months)},
    )
    churn_chart = line_chart(
        months=chart_months,
        series=churn_series,
        missing=missing,
        label=_("Churn rate of the last %(n)s closed months") % {"n": len(months)},
        height=150,
    )
    sections = _sections(tables, query)
    context.update(
        {
            "period": period,
            "start_day": period.start - ONE_DAY,
            "segment": segment,
            "figures": figures,
            "links": _links(query),
            "query": urlencode(query),
            "benchmark": bench,
            "chart": chart,
            "churn_chart": churn_chart,
            "legend": [*retention_series, *churn_series],
            "trend": months,
            "missing_months": [months[i]["month"] for i in sorted(missing)],
            "computed_months": [row["month"] for row in months if row["source"] == "computed"],
            "cohort_offsets": tables["cohorts"].offsets,
            **sections,
            "churn_reasons": tables["churn_reasons"],
            "exports": EXPORTS,
        }
    )
    return render(request, "retention/report.html", context)


# --- CSV exports ---

EXPORTS = ("headline", "trend", "cohorts", "cohort_revenue", *DIMENSIONS, "churn_reasons")


def _export(name: str, period: Period, segment, tables, months) -> HttpResponse:
    stem = f"retention-{name}-{period.start}-{period.end}"
    figures = tables["figures"]
    if name == "headline":
        values = figures.as_dict()
        rows = [
            ("start", period.start),
            ("end", period.end),
            ("segment", segment.name if segment else ""),
            *values.items(),
            ("mrr_start", figures.mrr_start),
            ("mrr_end", figures.mrr_end),
        ]
        return _csv(stem, ["figure", "value"], rows)
    if name == "trend":
        keys = ("start_customers", "new_customers", "end_customers", "retention_rate")
        keys += ("cohort_retention_rate", "churn_rate", "grr", "nrr")
        header = ["month", "source", *keys]
        rows = [
            [f"{row['month']:%Y-%m}", row["source"] or "missing"]
            + [getattr(row["figures"], key, None) for key in keys]
            for row in months
        ]
        return _csv(stem, header, rows)
    if name in ("cohorts", "cohort_revenue"):
        matrix = tables["cohorts"]
        counts = name == "cohorts"
        header = ["cohort", "customers" if counts else "base_mrr"]
        header += [f"k{k}" for k in matrix.offsets]
        rows = [
            [f"{row.month:%Y-%m}", row.size if counts else row.base_mrr]
            + (row.customers if counts else row.revenue)
            for row in matrix.rows
        ]
        return _csv(stem, header, rows)
    if name in DIMENSIONS:
        header = ["key", "group", "start_customers", "new_customers", "end_customers"]
        header += ["retained_customers", "churned_customers", "retention_rate"]
        header += ["cohort_retention_rate", "churn_rate"]
        rows = [
            [getattr(row, column) for column in ("key", "label", *header[2:])]
            for row in tables["breakdowns"][name]
        ]
        return _csv(stem, header, rows)
    if name == "churn_reasons":
        header = ["key", "reason", "churned_customers", "share_of_churned"]
        rows = [
            [row.key, row.label, row.churned_customers, row.share_of_churned]
            for row in tables["churn_reasons"]
        ]
        return _csv(stem, header, rows)
    raise Http404


# --- the accounts behind a figure ---


def in_group(accounts: QuerySet[Account], *, by: str, key: str) -> QuerySet[Account]:
    """Narrow ``accounts`` to one group of a breakdown (the keys ``retention.figures.breakdowns``
    gives its rows)."""
    if (
        by in ("segment", "owner")
        and key
        and not (key.isascii() and key.isdigit() and len(key) < 19)
    ):
        raise Http404  # the keys of these groups are ids: anything else is no group
    if by == "segment":
        return accounts.filter(segment_id=key) if key else accounts.filter(segment__isnull=True)
    if by == "industry":
        return accounts.filter(industry=key)
    if by == "budget":
        return accounts.filter(budget_band=key)
    if by == "owner":
        return accounts.filter(owner_id=key) if key else accounts.filter(owner__isnull=True)
    if by == "size":
        if key == UNKNOWN:
            return accounts.filter(employees__isnull=True)
        for label, low, high in SIZE_BANDS:
            if label == key:
                band = Q(employees__gte=low)
                return accounts.filter(band if high is None else band & Q(employees__lte=high))
    raise Http404


@login_required
def report_accounts(request):
    """The accounts behind one figure of the report (S, N, E, retained or churned), of the
    whole report or of one breakdown group, that the user may see; 50 a page or as CSV."""
    _require_report_reader(request.user)
    form = AccountSetForm(request.GET)
    if not form.is_valid():
        return render(request, "retention/report_accounts.html", {"form": form}, status=400)
    period, segment = form.report_period, form.cleaned_data.get("segment")
    which = form.cleaned_data["set"]
    by, key = request.GET.get("by", ""), request.GET.get("key", "")
    if by and (by not in DIMENSIONS or len(key) > 200 or "\x00" in key):
        raise Http404
    accounts = SET_SELECTORS[which](
        start=period.start, end=period.end, segment=segment, user=request.user
    )
    group_label = ""
    if by:
        accounts = in_group(accounts, by=by, key=key)
        group_label = DIMENSIONS[by][0]
    if request.GET.get("export") == "accounts":
        return _export_accounts(accounts, which, period)
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    report_query = {**form.query()}
    return render(
        request,
        "retention/report_accounts.html",
        {
            "form": form,
            "period": period,
            "segment": segment,
            "set_label": ACCOUNT_SETS[which],
            "which": which,
            "group": {"name": group_label, "key": key} if by else None,
            "page": page,
            "querystring": query.urlencode(),
            "report_url": f"{reverse('retention:report')}?{urlencode(report_query)}",
            "scoped": not request.user.is_admin_role,
        },
    )


def _export_accounts(accounts: QuerySet[Account], which: str, period: Period):
    header = ["account", "external_id", "segment", "industry", "owner", "mrr"]
    header += ["customer_since", "churned_on"]

    def lines():
        writer = csv.writer(Echo())
        yield writer.writerow(header)
        for a in accounts.iterator(chunk_size=500):
            row = [a.name, a.external_id, a.segment, a.industry, a.owner, a.mrr]
            row += [a.customer_since, a.churned_on]
            yield writer.writerow([_cell(str(v) if hasattr(v, "pk") else v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    filename = f"retention-{which}-{period.start}-{period.end}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
