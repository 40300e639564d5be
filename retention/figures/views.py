"""The retention report's pages: for a period and segment the headline figures (S, N, E, CRR,
cohort retention, churn, GRR, NRR) against the industry benchmark, the trend of the last closed
months, the cohort heat map and the breakdowns — and, behind every count, the accounts it
counts. Each view parses its query, makes one call (``report.retention_report`` or
``selectors.counted_behind``) and renders the answer as a page or a CSV (``crm.exports``).

Who sees what: team leads and admins (management) read the report; anyone else gets 404. The
figures are the company's (or the segment's), as the CLI and the API give them; the account
lists behind them go through ``crm.scoping``, so a team lead sees the names of their team's
accounts only, and the page says so. The owner breakdown names the reader's people only (a
team lead's team; the other teams are one row), on the page and in its CSV.

The rendered cohort and breakdown tables are cached with the report's tables (see
``report.period_tables``), so hundreds of rows are not worded and linked on every request.
"""

import hashlib
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from crm import scoping
from crm.exports import csv_response
from crm.forms import period_suggestions as suggestions

from .breakdowns import DIMENSIONS, OTHER_TEAMS
from .forms import ACCOUNT_SETS, AccountSetForm, ReportForm, default_period
from .metrics import ONE_DAY
from .report import CACHE_SECONDS, EXPORTS, retention_report
from .selectors import counted_behind

PAGE_SIZE = 50
# A breakdown longer than this shows its rows that lost the most customers; the CSV has all.
BREAKDOWN_ROWS_SHOWN = 25
# The account list's CSV: each column's header and the attribute it reads.
ACCOUNT_COLUMNS = (
    ("account", "name"),
    ("external_id", "external_id"),
    ("segment", "segment"),
    ("industry", "industry"),
    ("owner", "owner"),
    ("mrr", "mrr"),
    ("customer_since", "customer_since"),
    ("churned_on", "churned_on"),
)


def _require_report_reader(user) -> None:
    if not scoping.can_manage(user):
        raise Http404


def _rows_shown(rows: list) -> list:
    """A long breakdown (one row per owner: hundreds) shows the groups that lost the most
    customers, then the largest; its CSV export has every row. Short ones keep their order."""
    if len(rows) <= BREAKDOWN_ROWS_SHOWN:
        return list(rows)
    return sorted(rows, key=lambda row: (-row.churned_customers, -row.start_customers))[
        :BREAKDOWN_ROWS_SHOWN
    ]


def _sections(result, query: dict) -> dict:
    """The cohort tables and the breakdown tables with the account links behind every
    number, rendered once per ``period_tables`` entry and owners the reader sees: hundreds of
    rows (one per owner) that would otherwise be worded and linked again on every request."""
    tables, breakdown_tables = result.tables, result.breakdowns
    owners = ",".join(row.key for row in breakdown_tables["owner"])
    key = f"{tables['_key']}:sections:{hashlib.sha256(owners.encode()).hexdigest()}"
    sections = cache.get(key)
    if sections is None:
        prefix = _link_prefix(query)
        breakdowns = []
        for dimension in DIMENSIONS:
            rows = breakdown_tables[dimension]
            shown = _rows_shown(rows)
            breakdowns.append(
                {
                    "dimension": dimension,
                    "name": DIMENSIONS[dimension][0],
                    "rows": [
                        {"row": row, "links": _row_links(prefix, dimension, row.key)}
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


def _row_links(prefix: str, dimension: str, key: str) -> dict[str, str] | None:
    """The links behind a breakdown row's numbers; none for the other teams' owners, whose
    accounts a team lead cannot list."""
    return None if key == OTHER_TEAMS else _links_from(prefix, by=dimension, key=key)


def _links_from(prefix: str, *, by: str = "", key: str | None = None) -> dict[str, str]:
    extra = f"&{urlencode({'by': by, 'key': key})}" if by else ""
    return {name: f"{prefix}{extra}&set={name}" for name in ACCOUNT_SETS}


@login_required
def report(request):
    """The retention report of a period and segment (see the module docstring)."""
    _require_report_reader(request.user)
    form = _report_form(request)
    today = timezone.localdate()
    context = {"form": form, "suggestions": suggestions(today)}
    export = request.GET.get("export")
    if not form.is_valid():
        return render(request, "retention/report.html", context, status=400 if export else 200)
    period, segment = form.report_period, form.cleaned_data.get("segment")
    result = retention_report(period=period, segment=segment, today=today, reader=request.user)
    if export:
        try:
            header, rows = result.table(export)
        except LookupError:
            raise Http404 from None
        return csv_response(f"retention-{export}-{period.start}-{period.end}.csv", header, rows)
    query = form.query()
    context.update(
        {
            "period": period,
            "start_day": period.start - ONE_DAY,
            "segment": segment,
            "figures": result.figures,
            "links": _links_from(_link_prefix(query)),
            "query": urlencode(query),
            "benchmark": result.benchmark,
            **result.charts,
            "trend": result.trend,
            "cohort_offsets": result.tables["cohorts"].offsets,
            **_sections(result, query),
            "churn_reasons": result.tables["churn_reasons"],
            "exports": EXPORTS,
        }
    )
    return render(request, "retention/report.html", context)


# --- the accounts behind a figure ---


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
    if by and (len(key) > 200 or "\x00" in key):
        raise Http404
    behind = {"start": period.start, "end": period.end, "segment": segment, "by": by, "key": key}
    try:
        # ``total``: how many the figure counts, seen or not (None: all are seen)
        accounts, total = counted_behind(which, user=request.user, **behind)
    except LookupError:
        raise Http404 from None
    if request.GET.get("export") == "accounts":
        return csv_response(
            f"retention-{which}-{period.start}-{period.end}.csv",
            [header for header, _attribute in ACCOUNT_COLUMNS],
            (
                [getattr(account, attribute) for _header, attribute in ACCOUNT_COLUMNS]
                for account in accounts.iterator(chunk_size=500)
            ),
        )
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    if total is None:
        total = page.paginator.count
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "retention/report_accounts.html",
        {
            "form": form,
            "period": period,
            "segment": segment,
            "set_label": ACCOUNT_SETS[which],
            "which": which,
            "group": {"name": DIMENSIONS[by][0], "key": key} if by else None,
            "page": page,
            "total": total,
            "hidden": total - page.paginator.count,
            "querystring": query.urlencode(),
            "report_url": f"{reverse('retention:report')}?{urlencode(form.query())}",
            "scoped": not request.user.is_admin_role,
        },
    )
