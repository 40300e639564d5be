"""Reading risk flags and health scores for pages, always scoped through ``crm.scoping``.

The at-risk list shows one row per account: ``flagged_accounts_for`` gives the accounts with
flags that match the filters, each with what the row shows and sorts by (the latest score,
band and drop — points lost against the score about 30 days earlier — from its
``AccountHealth`` row, and the ARR at risk, MRR × 12), and ``flags_on`` the flags of a
page's accounts in one query, so the page's query count stays constant. ``open_flags_for``
gives the same flags one row each (the export, the API), with the same annotations.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from crm import scoping
from customers import selectors as customer_selectors
from customers.models import Account

from ..models import AccountHealth, HealthScore, RiskFlag, RiskFlagEvent, band_rank

UNRESOLVED = (RiskFlag.Status.OPEN, RiskFlag.Status.ACKNOWLEDGED, RiskFlag.Status.SNOOZED)
SORTS = {
    "score": [F("current_score").asc(nulls_last=True), "-raised_at"],
    "-score": [F("current_score").desc(nulls_last=True), "-raised_at"],
    "drop": [F("drop").asc(nulls_last=True), "-raised_at"],
    "-drop": [F("drop").desc(nulls_last=True), "-raised_at"],
    "arr": [F("arr_at_risk").asc(), "-raised_at"],
    "-arr": [F("arr_at_risk").desc(), "-raised_at"],
    "age": ["-raised_at", "-pk"],
    "-age": ["raised_at", "pk"],
}
# The at-risk list's orders of accounts (``flagged_accounts_for``), the same keys.
ACCOUNT_SORTS = {
    "-arr": [F("mrr").desc()],
    "arr": [F("mrr").asc()],
    "score": [F("h_score").asc(nulls_last=True)],
    "-score": [F("h_score").desc(nulls_last=True)],
    "-drop": [F("h_drop").desc(nulls_last=True)],
    "drop": [F("h_drop").asc(nulls_last=True)],
    "age": [F("newest").desc()],  # the newest flag first
    "-age": [F("oldest").asc()],  # the oldest flag first
}
ARR = DecimalField(max_digits=14, decimal_places=2)


def _current(field: str) -> Subquery:
    """A column of the flagged account's current health (``AccountHealth``), found by its key.
    A subquery rather than a join: with a join PostgreSQL sorted a team's 12,000 accounts by
    their drop before looking for their flags (the team lead's list: 65 ms instead of 20)."""
    current = AccountHealth.objects.filter(pk=OuterRef("account_id"))
    if field == "drop":
        current = current.annotate(drop=F("previous_score") - F("score"))
    return Subquery(current.values(field)[:1])


def with_health(accounts: QuerySet) -> QuerySet:
    """Annotate an ``Account`` queryset with its latest health score, band and trend
    (``h_score``, ``h_band``, ``h_trend``), ``band_rank`` (red first) and the number of its
    unresolved flags (``h_flags``), for the portfolio and the team dashboard."""
    # Read from the one row per account the scoring run keeps (``AccountHealth``), joined on
    # the account's key: finding each account's newest ``HealthScore`` among its history
    # cost two index probes per account, 56 ms of the team dashboard's 12,500 accounts.
    flags = (
        RiskFlag.objects.filter(account_id=OuterRef("pk"))
        .exclude(status=RiskFlag.Status.RESOLVED)
        .order_by()
        .values("account_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return accounts.annotate(
        h_score=F("current_health__score"),
        h_band=F("current_health__band"),
        h_trend=F("current_health__trend"),
        h_flags=Coalesce(Subquery(flags, output_field=IntegerField()), 0),
        band_rank=band_rank("current_health__band"),
    )


def open_flags_for(user, *, order: str = "-drop", **filters) -> QuerySet[RiskFlag]:
    """The unresolved flags (or those of ``statuses``) on accounts ``user`` may read — a team
    lead their team's, an admin all — filtered by reason, owner (a user or id), the latest
    band, segment, renewal within N days and minimum age in days (the keywords of
    ``_matching``), sorted by ``order`` (one of ``SORTS``). Each row carries
    ``current_score``, ``current_band``, ``drop`` and ``arr_at_risk``."""
    qs = _matching(user, **filters)
    qs = qs.select_related(
        "account", "account__owner", "account__segment", "account__team"
    ).annotate(
        current_score=_current("score"),
        current_band=_current("band"),
        drop=_current("drop"),
        arr_at_risk=ExpressionWrapper(F("account__mrr") * 12, output_field=ARR),
    )
    return qs.order_by(*SORTS.get(order, SORTS["-drop"]))


def flagged_accounts_for(user, *, order: str = "-arr", **filters) -> QuerySet[Account]:
    """The accounts with flags ``open_flags_for(user, **filters)`` would list, one row each,
    sorted by ``order`` (a key of ``ACCOUNT_SORTS``; then by name). Each carries ``h_score``,
    ``h_band``, ``h_drop`` and ``arr_at_risk``."""
    flags = _matching(user, **filters)
    qs = (
        Account.objects.filter(pk__in=flags.values("account_id"))
        .select_related("owner", "segment", "team")
        .annotate(
            h_score=F("current_health__score"),
            h_band=F("current_health__band"),
            h_drop=F("current_health__previous_score") - F("current_health__score"),
            arr_at_risk=ExpressionWrapper(F("mrr") * 12, output_field=ARR),
        )
    )
    if order in ("age", "-age"):  # only then: a look-up of the account's flags per account
        own = flags.filter(account_id=OuterRef("pk")).order_by()
        qs = qs.annotate(
            newest=Subquery(own.order_by("-raised_at").values("raised_at")[:1]),
            oldest=Subquery(own.order_by("raised_at").values("raised_at")[:1]),
        )
    # Ties: the riskier account (the lower score) first, then by name.
    tie = [F("h_score").asc(nulls_last=True), "name", "pk"]
    return qs.order_by(*ACCOUNT_SORTS.get(order, ACCOUNT_SORTS["-arr"]), *tie)


def flagged_account_count(user, **filters) -> int:
    """How many accounts ``flagged_accounts_for`` lists: the distinct accounts of the matching
    flags, counted from the flags alone (no second pass over the accounts)."""
    return _matching(user, **filters).values("account_id").distinct().count()


def flags_on(user, account_ids, **filters) -> dict[int, list[RiskFlag]]:
    """The flags ``open_flags_for(user, **filters)`` would list on these accounts, newest
    first, by account: one query for a page of the at-risk list."""
    found: dict[int, list[RiskFlag]] = {}
    flags = (
        _matching(user, **filters)
        .filter(account_id__in=list(account_ids))
        .select_related("acknowledged_by")
        .order_by("-raised_at", "-pk")
    )
    for flag in flags:
        found.setdefault(flag.account_id, []).append(flag)
    return found


def _matching(
    user,
    *,
    reasons: list[str] | tuple[str, ...] = (),
    statuses: list[str] | tuple[str, ...] = UNRESOLVED,
    owner=None,
    band: str = "",
    segment=None,
    renewal_within_days: int | None = None,
    min_age_days: int | None = None,
    today: dt.date | None = None,
) -> QuerySet[RiskFlag]:
    """The flags of ``statuses`` in ``user``'s scope that pass the at-risk list's filters."""
    today = today or timezone.localdate()
    qs = scoping.visible(user, RiskFlag.objects.filter(status__in=statuses), via="account")
    if reasons:
        qs = qs.filter(reason__in=reasons)
    if owner is not None:
        qs = qs.filter(account__owner=owner)
    if band:  # by the current health's key alone, without joining the accounts
        qs = qs.filter(account_id__in=AccountHealth.objects.filter(band=band).values("pk"))
    if segment is not None:
        qs = qs.filter(account__segment=segment)
    if renewal_within_days is not None:
        due = customer_selectors.renewals_due(today, renewal_within_days)
        qs = qs.filter(account_id__in=due.values("account_id"))
    if min_age_days is not None:
        qs = qs.filter(raised_at__lt=_start_of(today - dt.timedelta(days=min_age_days - 1)))
    return qs


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def flag_for(user, pk: int, *, to_change: bool = False) -> RiskFlag:
    """One flag on an account ``user`` may read (or, with ``to_change``, change), else 404."""
    scope = scoping.editable if to_change else scoping.visible
    qs = scope(user, RiskFlag.objects.select_related("account", "account__owner"), via="account")
    return get_object_or_404(qs, pk=pk)


def flag_history(flag: RiskFlag) -> QuerySet[RiskFlagEvent]:
    """The flag's changes of state, oldest first, with who made them (empty: the nightly run)."""
    return flag.events.select_related("by").order_by("at", "pk")


def latest_health(account) -> HealthScore | None:
    """The account's most recent score (its ``reasons`` say what cost points)."""
    return account.health_scores.select_related("configuration").order_by("-scored_on").first()


def flags_of(account, *, unresolved_only: bool = True) -> QuerySet[RiskFlag]:
    """The account's flags, newest first (unresolved only unless asked)."""
    qs = account.risk_flags.order_by("-raised_at", "-pk")
    return qs.filter(Q(status__in=UNRESOLVED)) if unresolved_only else qs


def status_counts(flags: QuerySet[RiskFlag]) -> dict[str, int]:
    """How many of ``flags`` are in each status (every status present, zero if none); one
    query, for the at-risk list's summary."""
    counts = dict.fromkeys(RiskFlag.Status.values, 0)
    rows = flags.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n")
    counts.update(dict(rows))
    return counts


def flag_owners(user) -> QuerySet:
    """The people owning accounts with unresolved flags that ``user`` may read, by name: the
    at-risk list's choice of CSM."""
    flags = scoping.visible(user, RiskFlag.objects.filter(status__in=UNRESOLVED), via="account")
    owners = flags.values("account__owner_id")
    return (
        get_user_model()
        .objects.filter(pk__in=owners)
        # What a choice shows (the name): the 330 whole rows cost 4 ms to load (issue 18).
        .only("pk", "first_name", "last_name", "username")
        .order_by("first_name", "last_name", "username")
    )
