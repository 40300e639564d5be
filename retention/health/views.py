"""The pages that show health: the CSM's portfolio (the home page) and the team lead's
dashboard. They live here because only this app may read the health scores and flags; the
relationship data comes from the selectors of the apps below."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    Sum,
)
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import scoping
from crm.exports import csv_response
from crm.models import Team
from crm.periods import trailing_year
from customers import selectors as customer_selectors
from customers.models import Account, account_status
from interactions import selectors as interaction_selectors
from interactions.calendar.touches import with_next_touch

from ..models import Band, RiskFlag
from .scoring import active_configuration
from .selectors import with_health

PAGE_SIZE = 25
DUE_SHOWN = 10  # follow-ups due on top of the portfolio
RENEWAL_CHOICES = (30, 60, 90, 180)
# The dashboard's "customers without a meeting or call for" figure, in days.
QUIET_DAYS = 60
NO_CONTACT_CHOICES = (14, 30, 60, 90)
SORTS = {
    "risk": ("band_rank", F("h_score").asc(nulls_last=True)),
    "renewal": (F("next_renewal_on").asc(nulls_last=True),),
    "contact": (F("last_meeting_or_call_at").asc(nulls_first=True),),
    "touch": (F("next_touch_on").asc(nulls_last=True),),
    "mrr": ("-mrr",),
    "name": ("name",),
}


def _int(value, allowed=None) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    if allowed is not None and number not in allowed:
        return None
    if not 0 < number < 2**31:  # an id or a count of days; SQLite cannot bind beyond 64 bits
        return None
    return number


def portfolio_query(user, params):
    """The portfolio of ``user`` as ``params`` (the page's query) filter and sort it: the
    accounts, the filters, the band, the sort and the scopes offered. The page, its export
    and an action on all its accounts (``selection``) read the same."""
    scopes = interaction_selectors.portfolio_scopes(user)
    filters = interaction_selectors.PortfolioFilters(
        scope=params.get("scope") if params.get("scope") in scopes else scopes[0],
        search=params.get("q", "").strip(),
        segment_id=_int(params.get("segment")),
        renewal_within=_int(params.get("renewal"), RENEWAL_CHOICES),
        no_contact_for=_int(params.get("quiet"), NO_CONTACT_CHOICES),
    )
    accounts = with_next_touch(with_health(interaction_selectors.portfolio(user, filters)))
    band = params.get("band", "")
    if band in Band.values:
        accounts = accounts.filter(h_band=band)
    elif band == "none":
        accounts = accounts.filter(h_band__isnull=True)
    else:
        band = ""
    sort = params.get("sort") if params.get("sort") in SORTS else "risk"
    order = (
        *SORTS[sort],
        F("next_renewal_on").asc(nulls_last=True),
        F("last_meeting_or_call_at").asc(nulls_first=True),
        "name",
        "pk",
    )
    return accounts.order_by(*order), filters, band, sort, scopes


@login_required
def portfolio(request):
    """The CSM's home: their accounts, riskiest first, with what to do next."""
    accounts, filters, band, sort, scopes = portfolio_query(request.user, request.GET)
    today = timezone.localdate()
    configuration = active_configuration()
    window = configuration.renewal_window_days
    due = customer_selectors.renewals_due(today, window).filter(account_id=OuterRef("pk"))
    accounts = accounts.annotate(renewal_due=Exists(due))
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    overdue = interaction_selectors.due_follow_ups_for(request.user, today=today)
    # The first ones and how many: counted only when there are more than are shown.
    due = list(overdue[: DUE_SHOWN + 1])
    due_count = len(due) if len(due) <= DUE_SHOWN else overdue.count()
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "band": band,
        "sort": sort,
        "scopes": scopes,
        "querystring": query.urlencode(),
        "bands": Band.choices,
        "segments": customer_selectors.segments(),
        "renewal_choices": RENEWAL_CHOICES,
        "quiet_choices": NO_CONTACT_CHOICES,
        "due_follow_ups": due[:DUE_SHOWN],
        "due_count": due_count,
        "today": today,
        "renewal_window": window,
        "trend_days": configuration.trend_days,
        "filtered": any(
            [
                filters.search,
                filters.segment_id,
                filters.renewal_within,
                filters.no_contact_for,
                band,
            ]
        ),
    }
    return render(request, "retention/portfolio.html", context)


@login_required
def portfolio_export(request):
    """The portfolio as it is filtered, as CSV (same scope as the page)."""
    accounts, *_rest = portfolio_query(request.user, request.GET)
    header = [
        _("Account"),
        _("Owner"),
        _("Segment"),
        _("Band"),
        _("Score"),
        _("Trend"),
        _("MRR"),
        _("Next renewal"),
        _("Last meeting or call"),
        _("Open problems"),
        _("Follow-ups overdue"),
    ]
    rows = (
        [
            a.name,
            a.owner,
            a.segment,
            a.h_band,
            a.h_score,
            a.h_trend,
            a.mrr,
            a.next_renewal_on,
            timezone.localtime(a.last_meeting_or_call_at).date()
            if a.last_meeting_or_call_at
            else None,
            a.open_problems,
            a.follow_ups_overdue,
        ]
        for a in accounts.iterator(chunk_size=500)
    )
    return csv_response("portfolio.csv", header, rows)


def _dashboard_accounts(request):
    """The book a team lead looks after (their team); an admin sees all teams or picks one."""
    user = request.user
    if not scoping.can_manage(user):
        raise Http404
    accounts = scoping.editable(user, Account.objects.all())
    teams = Team.objects.none()
    team = None
    if user.is_admin_role:
        teams = Team.objects.order_by("name")
        team_id = _int(request.GET.get("team"))
        if team_id is not None:
            team = teams.filter(pk=team_id).first()
        if team is not None:
            accounts = accounts.filter(team=team)
    else:
        team = user.team
        accounts = accounts.filter(team_id=user.team_id)
    return accounts, team, teams


@login_required
def team_dashboard(request):
    """The team lead's view: health distribution, flags by reason, follow-ups overdue and
    interactions per CSM."""
    accounts, team, teams = _dashboard_accounts(request)
    today = timezone.localdate()
    window = active_configuration().renewal_window_days
    renewals_due = customer_selectors.renewals_due(today, window).values("account_id")
    scored = with_health(accounts)
    customers = account_status("customer")
    # Every figure names its period: churned is "in the twelve months to today", the rest
    # are as of today.
    year = trailing_year(today)
    churned_in_year = account_status("churned") & Q(churned_on__range=(year.start, year.end))
    totals = scored.aggregate(
        accounts=Count("pk"),
        customers=Count("pk", filter=customers),
        churned=Count("pk", filter=churned_in_year),
        mrr=Sum("mrr", filter=customers),
        red=Count("pk", filter=customers & Q(h_band=Band.RED)),
        yellow=Count("pk", filter=customers & Q(h_band=Band.YELLOW)),
        green=Count("pk", filter=customers & Q(h_band=Band.GREEN)),
        unscored=Count("pk", filter=customers & Q(h_band__isnull=True)),
        renewals=Count("pk", filter=Q(pk__in=renewals_due)),
        quiet=Count("pk", filter=customers & interaction_selectors.without_contact_for(QUIET_DAYS)),
    )
    # COUNT(*) and of ``status`` (never empty), not of ids: counted from the index alone
    # (``riskflag_unresolved_idx``).
    flags = (
        RiskFlag.objects.filter(account__in=accounts.values("pk"))
        .exclude(status=RiskFlag.Status.RESOLVED)
        .values("reason")
        .annotate(n=Count("*"), open=Count("status", filter=Q(status=RiskFlag.Status.OPEN)))
        .order_by("-n")
    )
    reasons = dict(RiskFlag.Reason.choices)
    flags_by_reason = [{**f, "label": reasons.get(f["reason"], f["reason"])} for f in flags]
    distribution = [
        (Band.RED, _("Red"), totals["red"], "danger"),
        (Band.YELLOW, _("Yellow"), totals["yellow"], "warning"),
        (Band.GREEN, _("Green"), totals["green"], "success"),
        ("none", _("Not scored"), totals["unscored"], "secondary"),
    ]
    # Read in risk order from ``accounthealth_risk_idx`` until eight are the team's customers.
    riskiest = (
        scored.filter(customers, h_band__isnull=False)
        .select_related("owner")
        .order_by("band_rank", F("h_score").asc(nulls_last=True), "name")[:8]
    )
    context = {
        "team": team,
        "teams": teams,
        "totals": totals,
        "distribution": distribution,
        "scored_total": totals["red"] + totals["yellow"] + totals["green"],
        "flags_by_reason": flags_by_reason,
        "per_csm": interaction_selectors.activity_per_csm(accounts, today=today),
        "quiet_accounts": totals["quiet"],
        "quiet_days": QUIET_DAYS,
        "riskiest": riskiest,
        "today": today,
        "year": year,
        "renewal_window": window,
    }
    return render(request, "retention/team_dashboard.html", context)
