"""The facts the health model reads (``measures.Facts``), gathered set-based for every customer
account in an account-id range, as of a day: one small function per section, each of the same
shape (``section(scope, facts)``: a query or two over the range, its rows written into the
facts of the accounts found by ``customers``), so a night's run costs the same number of
queries per chunk whatever the number of accounts (nine: one per section, two for the
relationship). Past days are computed from history; today reads the cached
``Account.last_meeting_or_call_at``."""

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber, TruncDate
from django.utils import timezone

from customers.models import (
    Account,
    Contact,
    Contract,
    OwnershipTransfer,
    contract_active_on,
    span_covers,
)
from customers.selectors import renewals_due
from interactions.models import Feedback, Interaction, OpenProblem

from ..models import HealthScore, ScoringConfiguration, SentimentReading
from .measures import COLOUR_OF_TONE, Facts

ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=14, decimal_places=2))


def day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in the installation's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def in_range(field: str, start_id: int, end_id: int | None) -> Q:
    q = Q(**{f"{field}__gte": start_id})
    return q & Q(**{f"{field}__lt": end_id}) if end_id is not None else q


def _latest(qs, order: list):
    """Keep the first row per account of ``qs`` by ``order`` (a window function, portable)."""
    rank = Window(RowNumber(), partition_by=[F("account_id")], order_by=order)
    return qs.annotate(rank=rank).filter(rank=1)


@dataclass(frozen=True, slots=True)
class Scope:
    """What every section reads: the accounts (an id range, narrowed to ``only`` when given),
    the day, and the configuration."""

    start_id: int
    end_id: int | None
    only: tuple[int, ...] | None
    day: dt.date
    config: ScoringConfiguration
    end: dt.datetime  # the start of the next day: everything before it has happened
    live: bool  # today: cached fields may be read; a past day: history only
    zone: dt.tzinfo

    @property
    def ids(self) -> Q:
        """The range, on a table with an ``account_id``."""
        q = in_range("account_id", self.start_id, self.end_id)
        return q if self.only is None else q & Q(account_id__in=self.only)

    def local(self, value: dt.datetime | None) -> dt.date | None:
        return None if value is None else value.astimezone(self.zone).date()


# --- the sections, each ``section(scope, facts)`` ---------------------------------------------


def customers(scope: Scope) -> dict[int, Facts]:
    """Who is a customer (a span covers the day), since when, owner, cadence, engagement,
    recent owner change: the facts every other section fills in. Driven from the accounts so
    the id range narrows both tables."""
    day, config, end, zone = scope.day, scope.config, scope.end, scope.zone
    accounts = in_range("pk", scope.start_id, scope.end_id)
    if scope.only is not None:
        accounts &= Q(pk__in=scope.only)
    transfer_since = day_start(day - dt.timedelta(days=config.transfer_watch_days))
    last_transfer = (
        OwnershipTransfer.objects.filter(
            account_id=OuterRef("pk"),
            transferred_at__gte=transfer_since,
            transferred_at__lt=end,
        )
        .order_by("-transferred_at")
        .values("transferred_at")[:1]
    )
    if scope.live:
        last_contact = F("last_meeting_or_call_at")
    else:
        last_contact = Subquery(
            Interaction.objects.contacts_made()
            .filter(account_id=OuterRef("pk"), occurred_at__lt=end)
            .order_by("-occurred_at")
            .values("occurred_at")[:1]
        )
    # Local dates computed by the database: Django parses timestamps in Python, dates not.
    rows = (
        Account.objects.filter(accounts)
        # One filter() call: the span that covers the day, the join values() reads. The id
        # range is repeated on the spans: PostgreSQL does not carry it across the join.
        .filter(
            in_range("spans__account_id", scope.start_id, scope.end_id)
            & span_covers(day, "spans__")
        )
        .order_by()
        .annotate(
            cadence=Coalesce("segment__expected_cadence_days", Value(config.default_cadence_days)),
            last_contact=TruncDate(last_contact, tzinfo=zone),
            last_transfer=TruncDate(Subquery(last_transfer), tzinfo=zone),
        )
        .values_list(
            "pk", "spans__start_date", "owner_id", "cadence", "last_contact", "last_transfer"
        )
    )
    facts: dict[int, Facts] = {}
    for account_id, since, owner_id, cadence, contact_on, transfer_on in rows:
        f = Facts(account_id, owner_id=owner_id, customer_since=since, cadence_days=cadence)
        if contact_on is not None and contact_on <= day:
            f.last_contact_on = contact_on
        f.last_transfer_on = transfer_on
        facts[account_id] = f
    return facts


def sentiment(scope: Scope, facts: dict[int, Facts]) -> None:
    """CSM sentiment: the latest of the owner's own readings and the tones CSMs gave
    logged interactions, within its window (both sources in one UNION ALL)."""
    since = day_start(scope.day - dt.timedelta(days=scope.config.sentiment_max_age_days))
    end = scope.end
    readings = (
        SentimentReading.objects.filter(scope.ids, recorded_at__gte=since, recorded_at__lt=end)
        .order_by()
        .values_list("account_id", "sentiment", "recorded_at", Value("reading"))
    )
    colour = Case(
        *(When(tone=k, then=Value(v)) for k, v in COLOUR_OF_TONE.items()),
        default=Value(""),
    )
    noted = (
        Interaction.objects.alive()
        .filter(scope.ids, occurred_at__gte=since, occurred_at__lt=end)
        .exclude(tone="")
        .annotate(colour=colour, source=Value("interaction"))
        .order_by()
        .values_list("account_id", "colour", "occurred_at", "source")
    )
    latest: dict[int, tuple] = {}
    for account_id, reading, at, source in readings.union(noted, all=True):
        seen = latest.get(account_id)
        # the later read wins; on the same instant the CSM's own reading does
        if seen is None or at > seen[1] or (at == seen[1] and source == "reading"):
            latest[account_id] = (reading, at, source)
    for account_id, (reading, at, source) in latest.items():
        if (f := facts.get(account_id)) is not None and reading:
            f.sentiment, f.sentiment_on, f.sentiment_source = reading, scope.local(at), source


def problems(scope: Scope, facts: dict[int, Facts]) -> None:
    """Open problems as of the day (opened before its end, not resolved by then)."""
    old_before = day_start(scope.day - dt.timedelta(days=scope.config.problem_age_days))
    rows = (
        OpenProblem.objects.filter(scope.ids, opened_at__lt=scope.end)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=scope.end))
        .values("account_id")
        .annotate(
            n=Count("pk"),
            high=Count("pk", filter=Q(severity=OpenProblem.Severity.HIGH)),
            medium=Count("pk", filter=Q(severity=OpenProblem.Severity.MEDIUM)),
            old=Count("pk", filter=Q(opened_at__lt=old_before)),
            oldest=TruncDate(Min("opened_at"), tzinfo=scope.zone),
        )
        .values_list("account_id", "n", "high", "medium", "old", "oldest")
    )
    for account_id, n, high, medium, old, oldest in rows:
        if (f := facts.get(account_id)) is not None:
            f.problems_open, f.problems_high, f.problems_medium = n, high, medium
            f.problems_old, f.oldest_problem_on = old, oldest


def contacts(scope: Scope, facts: dict[int, Facts]) -> None:
    """Relationship, from the contacts (current, or left within the window): who is named
    champion and decision maker, and whether a champion left. (One query joining these and
    the interactions was three times slower than two.)"""
    day = scope.day
    window = day - dt.timedelta(days=scope.config.relationship_window_days)
    current = Q(left_on__isnull=True) | Q(left_on__gt=day)
    champion, decision_maker = Q(is_champion=True), Q(is_decision_maker=True)
    rows = (
        Contact.objects.filter(scope.ids)
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=window))
        .order_by()
        .values("account_id")
        .annotate(
            champion_named=Count("pk", filter=current & champion),
            dm_named=Count("pk", filter=current & decision_maker),
            champion_left_on=Max("left_on", filter=champion & Q(left_on__lte=day)),
        )
        .values_list("account_id", "champion_named", "dm_named", "champion_left_on")
    )
    for account_id, champ, dm, left_on in rows:
        if (f := facts.get(account_id)) is not None:
            f.has_contacts, f.champion_named, f.decision_maker_named = True, champ > 0, dm > 0
            f.champion_left_on = left_on


def meetings(scope: Scope, facts: dict[int, Facts]) -> None:
    """Relationship, from the interactions of the window: whether the champion and the
    decision maker were met at a meeting or call, and how many of us wrote one."""
    day = scope.day
    window_start = day_start(day - dt.timedelta(days=scope.config.relationship_window_days))
    present = Q(kind__in=Interaction.CONTACT_KINDS) & (
        Q(contacts__left_on__isnull=True) | Q(contacts__left_on__gt=day)
    )
    rows = (
        Interaction.objects.alive()
        .filter(scope.ids, occurred_at__gte=window_start, occurred_at__lt=scope.end)
        .order_by()
        .values("account_id")
        .annotate(
            colleagues=Count("author_id", distinct=True),
            champion_met=Count("contacts", filter=present & Q(contacts__is_champion=True)),
            dm_met=Count("contacts", filter=present & Q(contacts__is_decision_maker=True)),
        )
        .values_list("account_id", "colleagues", "champion_met", "dm_met")
    )
    for account_id, colleagues, champ_met, dm_met in rows:
        if (f := facts.get(account_id)) is not None:
            f.colleagues = colleagues
            f.champion_met, f.decision_maker_met = champ_met > 0, dm_met > 0


def voice(scope: Scope, facts: dict[int, Facts]) -> None:
    """Voice of the customer: the latest NPS / CSAT within its window, categorised in SQL."""
    day, config = scope.day, scope.config
    rows = _latest(
        Feedback.objects.filter(
            scope.ids,
            received_on__gte=day - dt.timedelta(days=config.voice_max_age_days),
            received_on__lte=day,
        ).with_category(config.feedback_thresholds()),
        [F("received_on").desc(), F("pk").desc()],
    ).values_list("account_id", "kind", "score", "category_in_force", "received_on")
    for account_id, kind, score, category, received_on in rows:
        if (f := facts.get(account_id)) is not None:
            f.feedback_kind, f.feedback_score = kind, score
            f.feedback_category, f.feedback_on = category, received_on


def commercial(scope: Scope, facts: dict[int, Facts]) -> None:
    """Commercial: notice, downgrade (MRR now against the lookback), unconfirmed renewal."""
    day, config = scope.day, scope.config
    then = day - dt.timedelta(days=config.downgrade_lookback_days)
    active_now = contract_active_on(day)
    # A hashed IN, no extra query; narrowed to the range, or scoring one account would hash
    # every renewal due in the book (70 ms of a save's 100 on the 100,000-account demo).
    due = renewals_due(day, config.renewal_window_days).filter(scope.ids)
    rows = (
        Contract.objects.filter(scope.ids)
        .filter(active_now | contract_active_on(then))
        .values("account_id")
        .annotate(
            active=Count("pk", filter=active_now),
            mrr_now=Coalesce(Sum("monthly_value", filter=active_now), ZERO),
            mrr_then=Coalesce(Sum("monthly_value", filter=contract_active_on(then)), ZERO),
            notice_on=Min("notice_given_on", filter=active_now & Q(notice_given_on__lte=day)),
            cancelled_from=Min("cancelled_on", filter=active_now),
            renewal_on=Min("end_date", filter=Q(pk__in=due.values("pk"))),
        )
        .values_list(
            "account_id",
            "active",
            "mrr_now",
            "mrr_then",
            "notice_on",
            "cancelled_from",
            "renewal_on",
        )
    )
    for account_id, active, mrr_now, mrr_then, notice_on, cancelled, renewal_on in rows:
        if (f := facts.get(account_id)) is not None:
            f.has_contract, f.mrr_now, f.mrr_then = active > 0, mrr_now, mrr_then
            f.notice_on, f.renewal_on = notice_on, renewal_on
            # A scheduled cancellation is notice today; in the past only a dated notice counts,
            # so a backtest does not see a cancellation recorded after the day it scores.
            f.cancelled_from = cancelled if scope.live else None


def previous_score(scope: Scope, facts: dict[int, Facts]) -> None:
    """The score about ``trend_days`` earlier (up to a week older when a night was missed)."""
    back = scope.day - dt.timedelta(days=scope.config.trend_days)
    rows = _latest(
        HealthScore.objects.filter(
            scope.ids, scored_on__gte=back - dt.timedelta(days=7), scored_on__lte=back
        ),
        [F("scored_on").desc()],
    ).values_list("account_id", "score")
    for account_id, score in rows:
        if (f := facts.get(account_id)) is not None:
            f.previous_score = score


def peak_score(scope: Scope, facts: dict[int, Facts]) -> None:
    """The highest score of the last ``trend_days`` (before the day), for the drop flag."""
    back = scope.day - dt.timedelta(days=scope.config.trend_days)
    rows = (
        HealthScore.objects.filter(scope.ids, scored_on__gte=back, scored_on__lt=scope.day)
        .values("account_id")
        .annotate(peak=Max("score"))
        .values_list("account_id", "peak")
    )
    for account_id, peak in rows:
        if (f := facts.get(account_id)) is not None:
            f.peak_score = peak


SECTIONS: tuple[Callable[[Scope, dict[int, Facts]], None], ...] = (
    sentiment,
    problems,
    contacts,
    meetings,
    voice,
    commercial,
    previous_score,
    peak_score,
)


def gather_facts(
    *,
    start_id: int,
    end_id: int | None,
    day: dt.date,
    config,
    only: Collection[int] | None = None,
) -> dict[int, Facts]:
    """The facts of every account that is a customer on ``day`` with ``start_id <= id <
    end_id`` (no upper bound when None), as of the end of ``day``, in nine queries whatever
    the number of accounts. ``only`` narrows it to these accounts (the backtest)."""
    scope = Scope(
        start_id=start_id,
        end_id=end_id,
        only=None if only is None else tuple(only),
        day=day,
        config=config,
        end=day_start(day + dt.timedelta(days=1)),
        live=day >= timezone.localdate(),
        zone=timezone.get_current_timezone(),
    )
    facts = customers(scope)
    if facts:
        for section in SECTIONS:
            section(scope, facts)
    return facts
