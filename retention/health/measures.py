"""The health model (DESIGN.md "Health model"): what each measure sees, the points it gives,
the weighted score with n/a handling, the guards, the band and the trend.

Two halves:
- pure functions (``rate_*``, ``weigh``, ``band_for``, ``health_for``) that turn the facts of one
  account into a ``Health``; every boundary is unit-tested without a database;
- ``gather_facts``: the facts of every customer account in an account-id range, as of a day,
  in nine set-based queries (one per measure, two for the relationship — contacts and
  interactions — and two for the trend and the drop), so a night's run costs the same number
  of queries per chunk whatever the number of accounts.

Decisions where DESIGN.md leaves room (also in the report to the product owner):
- a medium-severity problem younger than the age limit counts as *average* (the poor cases of
  DESIGN.md are high severity and age; ``medium_problem_is_poor`` switches it);
- engagement is n/a when no meeting or call was ever logged (no data is never 0);
- relationship is n/a when the account has no contacts at all; "the champion left" means a
  champion left within the window and no current champion is named;
- "met" means present at a meeting or call; "know the account" counts the distinct authors
  of any interaction within the window;
- CSM sentiment is the latest of the owner's own reading (``SentimentReading``) and the
  sentiment a CSM gave a logged interaction (positive / neutral / negative read as green /
  amber / red), so the read a CSM gives when logging a call counts without a second form;
- contacts have no history beyond ``left_on``, and ``renewal_confirmed`` none at all: a past
  day sees today's champion flags and confirmations (the backtest says so).
"""

import datetime as dt
import functools
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

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

from customers.models import Account, Contact, Contract, OwnershipTransfer
from interactions.models import Feedback, Interaction, OpenProblem

from ..models import Band, HealthScore, Rating, SentimentReading
from .wording import Message, message

MEASURES = ("engagement", "sentiment", "problems", "relationship", "voice", "commercial")
ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=14, decimal_places=2))
# The sentiment a CSM gives a logged interaction, read as their green / amber / red.
INTERACTION_SENTIMENT = {"positive": "green", "neutral": "amber", "negative": "red"}
TONE_OF = {colour: tone for tone, colour in INTERACTION_SENTIMENT.items()}
GOOD, AVERAGE, POOR = Rating.GOOD.value, Rating.AVERAGE.value, Rating.POOR.value


# --- the pure model ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measure:
    """What one measure saw (``value``), what it made of it (``rating``: good / average /
    poor, None = n/a) and why (``message``: an id and its parameters, worded when read)."""

    rating: str | None
    value: Any
    message: Message


@dataclass(slots=True)
class Facts:
    """The facts of one customer account on one day, gathered in bulk by ``gather_facts``."""

    account_id: int
    owner_id: int | None = None
    customer_since: dt.date | None = None
    cadence_days: int = 30
    last_contact_on: dt.date | None = None
    last_transfer_on: dt.date | None = None
    sentiment: str | None = None
    sentiment_on: dt.date | None = None
    sentiment_source: str = "reading"
    problems_open: int = 0
    problems_high: int = 0
    problems_medium: int = 0
    problems_old: int = 0
    oldest_problem_on: dt.date | None = None
    has_contacts: bool = False
    champion_named: bool = False
    decision_maker_named: bool = False
    champion_met: bool = False
    decision_maker_met: bool = False
    champion_left_on: dt.date | None = None
    colleagues: int = 0
    feedback_kind: str | None = None
    feedback_score: int | None = None
    feedback_category: str | None = None
    feedback_on: dt.date | None = None
    has_contract: bool = False
    notice_on: dt.date | None = None
    cancelled_from: dt.date | None = None
    mrr_now: Any = 0
    mrr_then: Any = 0
    renewal_on: dt.date | None = None
    previous_score: int | None = None
    peak_score: int | None = None


@dataclass(slots=True)
class Health:
    """An account's health on a day, ready to store as a ``HealthScore``."""

    score: int | None
    band: str
    measures: dict[str, dict]
    guards: list[Message] = field(default_factory=list)
    onboarding: bool = False
    on_watch: bool = False
    previous_score: int | None = None
    trend: int | None = None


def rate_engagement(*, days_since: int | None, cadence_days: int, config) -> Measure:
    """Days since the last meeting or call against the segment's cadence: ≤ 1× good,
    ≤ 2× average, beyond poor (ratios from the configuration)."""
    if days_since is None:
        return Measure(None, None, message("no_contact_yet"))
    if days_since <= cadence_days * config.engagement_good_ratio:
        rating = GOOD
    elif days_since <= cadence_days * config.engagement_average_ratio:
        rating = AVERAGE
    else:
        rating = POOR
    said = "last_contact" if rating == GOOD else "no_meeting"
    return Measure(rating, days_since, message(said, days=days_since, cadence=cadence_days))


def rate_sentiment(
    *, sentiment: str | None, age_days: int | None, source: str = "reading", config
) -> Measure:
    """The CSM's latest read — their own green / amber / red reading, or the sentiment they
    gave a logged interaction (positive green, neutral amber, negative red): green good,
    amber average, red poor; n/a when older than ``sentiment_max_age_days`` or never given."""
    if sentiment is None or age_days is None or age_days > config.sentiment_max_age_days:
        return Measure(None, None, message("no_sentiment", days=config.sentiment_max_age_days))
    rating = {"green": GOOD, "amber": AVERAGE, "red": POOR}[sentiment]
    if source == "interaction":
        said = message("sentiment_logged", sentiment=TONE_OF[sentiment], days=age_days)
    else:
        said = message("sentiment_read", sentiment=sentiment, days=age_days)
    return Measure(rating, sentiment, said)


def rate_problems(
    *, open_count: int, high: int, medium: int, old: int, oldest_days: int | None, config
) -> Measure:
    """None open: good. Any high severity or any older than ``problem_age_days``: poor.
    Otherwise (low, or medium unless configured as poor, all young): average."""
    if open_count == 0:
        return Measure(GOOD, 0, message("no_problems"))
    poor = high or old or (medium and config.medium_problem_is_poor)
    rating = POOR if poor else AVERAGE
    days = oldest_days if oldest_days is not None else 0
    said = message("open_problems", n=open_count, high=high, days=days)
    return Measure(rating, open_count, said)


def rate_relationship(
    *,
    has_contacts: bool,
    champion_named: bool,
    decision_maker_named: bool,
    champion_met: bool,
    decision_maker_met: bool,
    champion_left_on: dt.date | None,
    colleagues: int,
    config,
) -> Measure:
    """A named champion and decision maker, both met within the window: good; one: average;
    none, or the champion left with no new one named: poor. Fewer colleagues in touch than
    ``relationship_min_colleagues`` caps it at average."""
    window = config.relationship_window_days
    if not has_contacts:
        return Measure(None, None, message("no_contacts"))
    value = {
        "champion_met": champion_met,
        "decision_maker_met": decision_maker_met,
        "colleagues": colleagues,
    }
    if champion_left_on is not None and not champion_named:
        return Measure(POOR, value, message("champion_gone", day=champion_left_on))
    met = int(champion_met) + int(decision_maker_met)
    rating = {2: GOOD, 1: AVERAGE, 0: POOR}[met]
    if rating == GOOD and colleagues < config.relationship_min_colleagues:
        rating = AVERAGE

    def state(named: bool, was_met: bool) -> str:
        return "met" if was_met else "not_met" if named else "not_named"

    said = message(
        "relationship",
        champion=state(champion_named, champion_met),
        dm=state(decision_maker_named, decision_maker_met),
        days=window,
        colleagues=colleagues,
    )
    return Measure(rating, value, said)


def feedback_category(*, kind: str, score: int, config) -> str:
    """promoter / passive / detractor for an NPS (0–10) or CSAT (1–5) answer. The SQL of
    ``gather_facts`` mirrors this (``_category_sql``)."""
    if kind == Feedback.Kind.NPS:
        promoter, passive = config.nps_promoter_from, config.nps_passive_from
    else:
        promoter, passive = config.csat_promoter_from, config.csat_passive_from
    return "promoter" if score >= promoter else "passive" if score >= passive else "detractor"


def rate_voice(
    *,
    category: str | None,
    kind: str | None,
    score: int | None,
    age_days: int | None,
    onboarding: bool,
    config,
) -> Measure:
    """The latest NPS / CSAT within ``voice_max_age_days``: promoter good, passive average,
    detractor poor; left out (n/a) during onboarding."""
    if onboarding:
        return Measure(None, None, message("voice_onboarding"))
    if category is None or age_days is None or age_days > config.voice_max_age_days:
        return Measure(None, None, message("no_voice", days=config.voice_max_age_days))
    rating = {"promoter": GOOD, "passive": AVERAGE, "detractor": POOR}[category]
    label = (kind or "").upper()
    said = message("voice", kind=label, score=score, category=category, days=age_days)
    return Measure(rating, f"{label} {score}", said)


def rate_commercial(
    *,
    has_contract: bool,
    notice_on: dt.date | None,
    cancelled_from: dt.date | None = None,
    mrr_now,
    mrr_then,
    renewal_on: dt.date | None,
    day: dt.date,
    config,
) -> Measure:
    """Notice given (or a cancellation scheduled) or a downgrade (MRR below what it was
    ``downgrade_lookback_days`` ago): poor; an unconfirmed renewal within
    ``renewal_window_days``: average; else good."""
    if not has_contract:
        return Measure(None, None, message("no_contract"))
    if notice_on is not None:
        return Measure(POOR, "notice", message("notice", day=notice_on))
    if cancelled_from is not None:
        return Measure(POOR, "notice", message("cancelled", day=cancelled_from))
    if mrr_then and mrr_now < mrr_then:
        said = message(
            "downgrade",
            then=Decimal(mrr_then),
            now=Decimal(mrr_now),
            days=config.downgrade_lookback_days,
        )
        return Measure(POOR, "downgrade", said)
    if renewal_on is not None and (renewal_on - day).days <= config.renewal_window_days:
        said = message("renewal_due", day=renewal_on, days=(renewal_on - day).days)
        return Measure(AVERAGE, renewal_on.isoformat(), said)
    return Measure(GOOD, None, message("no_renewal_due", days=config.renewal_window_days))


def _points(config) -> dict[str, int]:
    return {GOOD: config.points_good, AVERAGE: config.points_average, POOR: config.points_poor}


@functools.lru_cache(maxsize=64)
def _hundredths(weights: tuple, keys: tuple[str, ...]) -> dict[str, int]:
    # Integer arithmetic (weights in hundredths) so that .5 rounds up exactly; cached, as a
    # run has one set of weights (two, with onboarding).
    return {k: round(float(w) * 100) for k, w in zip(keys, weights, strict=True)}


def weigh(
    measures: dict[str, Measure], weights: dict[str, Any], config
) -> tuple[int | None, dict[str, dict]]:
    """The weighted mean of the points of the measures that have data (n/a measures drop
    out and the rest are re-weighted), rounded half up; None when no measure has data.

    Also the stored detail per measure, with ``impact``: the points it cost against a
    perfect score (e.g. −18), so a page can rank the reasons."""
    points = _points(config)
    scaled = _hundredths(tuple(weights.get(k, 0) for k in measures), tuple(measures))
    used = {k: w for k, w in scaled.items() if w > 0 and measures[k].rating is not None}
    total = sum(used.values())
    detail: dict[str, dict] = {}
    for key, m in measures.items():
        p = points[m.rating] if m.rating is not None else None
        impact = 0
        if key in used:
            impact = -((used[key] * (config.points_good - p) * 2 + total) // (2 * total))
        detail[key] = {
            "rating": m.rating,
            "value": m.value,
            "points": p,
            "weight": scaled[key] / 100 if scaled[key] % 100 else scaled[key] // 100,
            "impact": impact,
            "message": m.message,
        }
    if total == 0:
        return None, detail
    weighted = sum(w * points[measures[k].rating] for k, w in used.items())
    return (weighted * 2 + total) // (2 * total), detail


def band_for(score: int | None, config) -> str:
    """green ≥ ``green_from``, yellow ≥ ``yellow_from``, red below; empty without a score."""
    if score is None:
        return ""
    if score >= config.green_from:
        return Band.GREEN.value
    if score >= config.yellow_from:
        return Band.YELLOW.value
    return Band.RED.value


def _days(day: dt.date, since: dt.date | None) -> int | None:
    return None if since is None else (day - since).days


def health_for(facts: Facts, *, day: dt.date, config) -> Health:
    """Score one account from its facts: the six measures, onboarding (voice drops out,
    engagement weighs double), the weighted score, the band with its guard (relationship or
    commercial poor: at best yellow), the watch after an owner change, and the trend."""
    since = _days(day, facts.customer_since)
    onboarding = since is not None and since < config.onboarding_days
    measures = {
        "engagement": rate_engagement(
            days_since=_days(day, facts.last_contact_on),
            cadence_days=facts.cadence_days,
            config=config,
        ),
        "sentiment": rate_sentiment(
            sentiment=facts.sentiment,
            age_days=_days(day, facts.sentiment_on),
            source=facts.sentiment_source,
            config=config,
        ),
        "problems": rate_problems(
            open_count=facts.problems_open,
            high=facts.problems_high,
            medium=facts.problems_medium,
            old=facts.problems_old,
            oldest_days=_days(day, facts.oldest_problem_on),
            config=config,
        ),
        "relationship": rate_relationship(
            has_contacts=facts.has_contacts,
            champion_named=facts.champion_named,
            decision_maker_named=facts.decision_maker_named,
            champion_met=facts.champion_met,
            decision_maker_met=facts.decision_maker_met,
            champion_left_on=facts.champion_left_on,
            colleagues=facts.colleagues,
            config=config,
        ),
        "voice": rate_voice(
            category=facts.feedback_category,
            kind=facts.feedback_kind,
            score=facts.feedback_score,
            age_days=_days(day, facts.feedback_on),
            onboarding=onboarding,
            config=config,
        ),
        "commercial": rate_commercial(
            has_contract=facts.has_contract,
            notice_on=facts.notice_on,
            cancelled_from=facts.cancelled_from,
            mrr_now=facts.mrr_now,
            mrr_then=facts.mrr_then,
            renewal_on=facts.renewal_on,
            day=day,
            config=config,
        ),
    }
    weights = config.weights
    guards: list[Message] = []
    if onboarding:
        factor = config.onboarding_engagement_factor
        weights["engagement"] = weights["engagement"] * factor
        guards.append(
            message("onboarding", day=since + 1, days=config.onboarding_days, factor=float(factor))
        )
    score, detail = weigh(measures, weights, config)
    band = band_for(score, config)
    capped_by = [k for k in ("relationship", "commercial") if measures[k].rating == POOR]
    if capped_by and band == Band.GREEN:
        band = Band.YELLOW.value
    if capped_by and score is not None:
        guards.append(message("capped", measures=capped_by))
    transfer_days = _days(day, facts.last_transfer_on)
    on_watch = transfer_days is not None and transfer_days <= config.transfer_watch_days
    if on_watch:
        guards.append(message("on_watch", days=transfer_days))
    trend = None
    if score is not None and facts.previous_score is not None:
        trend = score - facts.previous_score
    return Health(
        score=score,
        band=band,
        measures=detail,
        guards=guards,
        onboarding=onboarding,
        on_watch=on_watch,
        previous_score=facts.previous_score,
        trend=trend,
    )


# --- the facts, set-based ---------------------------------------------------------------------


def day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in the installation's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def in_range(field: str, start_id: int, end_id: int | None) -> Q:
    q = Q(**{f"{field}__gte": start_id})
    return q & Q(**{f"{field}__lt": end_id}) if end_id is not None else q


def active_on(day: dt.date, prefix: str = "") -> Q:
    """The ledger rule of DESIGN.md for contracts, as a filter."""
    return (
        Q(**{f"{prefix}start_date__lte": day})
        & (Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": day}))
        & (Q(**{f"{prefix}cancelled_on__isnull": True}) | Q(**{f"{prefix}cancelled_on__gt": day}))
    )


def _category_sql(config) -> Case:
    return Case(
        When(kind="nps", score__gte=config.nps_promoter_from, then=Value("promoter")),
        When(kind="nps", score__gte=config.nps_passive_from, then=Value("passive")),
        When(kind="csat", score__gte=config.csat_promoter_from, then=Value("promoter")),
        When(kind="csat", score__gte=config.csat_passive_from, then=Value("passive")),
        default=Value("detractor"),
    )


def _latest(qs, order: list):
    """Keep the first row per account of ``qs`` by ``order`` (a window function, portable)."""
    rank = Window(RowNumber(), partition_by=[F("account_id")], order_by=order)
    return qs.annotate(rank=rank).filter(rank=1)


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
    the number of accounts. ``only`` narrows it to these accounts (the backtest). Past days
    are computed from history; today uses the cached ``Account.last_interaction_at``."""
    end = day_start(day + dt.timedelta(days=1))
    live = day >= timezone.localdate()
    zone = timezone.get_current_timezone()

    def local(value: dt.datetime | None) -> dt.date | None:
        return None if value is None else value.astimezone(zone).date()

    ids = in_range("account_id", start_id, end_id)
    if only is not None:
        ids &= Q(account_id__in=list(only))

    # 1. Who is a customer (a span covers the day), since when, owner, cadence, engagement,
    #    recent owner change. Driven from the accounts so the id range narrows both tables.
    accounts = in_range("pk", start_id, end_id)
    if only is not None:
        accounts &= Q(pk__in=list(only))
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
    if live:
        last_contact = F("last_interaction_at")
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
            in_range("spans__account_id", start_id, end_id)
            & Q(spans__start_date__lte=day)
            & (Q(spans__end_date__isnull=True) | Q(spans__end_date__gte=day))
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
    if not facts:
        return facts

    # 2. CSM sentiment: the latest of the owner's own readings and the sentiments CSMs gave
    #    logged interactions, within its window (both sources in one UNION ALL).
    sentiment_since = day_start(day - dt.timedelta(days=config.sentiment_max_age_days))
    readings = (
        SentimentReading.objects.filter(ids, recorded_at__gte=sentiment_since, recorded_at__lt=end)
        .order_by()
        .values_list("account_id", "sentiment", "recorded_at", Value("reading"))
    )
    colour = Case(
        *(When(sentiment=k, then=Value(v)) for k, v in INTERACTION_SENTIMENT.items()),
        default=Value(""),
    )
    noted = (
        Interaction.objects.alive()
        .filter(ids, occurred_at__gte=sentiment_since, occurred_at__lt=end)
        .exclude(sentiment="")
        .annotate(colour=colour, source=Value("interaction"))
        .order_by()
        .values_list("account_id", "colour", "occurred_at", "source")
    )
    latest: dict[int, tuple] = {}
    for account_id, sentiment, at, source in readings.union(noted, all=True):
        seen = latest.get(account_id)
        # the later read wins; on the same instant the CSM's own reading does
        if seen is None or at > seen[1] or (at == seen[1] and source == "reading"):
            latest[account_id] = (sentiment, at, source)
    for account_id, (sentiment, at, source) in latest.items():
        if (f := facts.get(account_id)) is not None and sentiment:
            f.sentiment, f.sentiment_on, f.sentiment_source = sentiment, local(at), source

    # 3. Open problems as of the day (opened before its end, not resolved by then).
    old_before = day_start(day - dt.timedelta(days=config.problem_age_days))
    problems = (
        OpenProblem.objects.filter(ids, opened_at__lt=end)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=end))
        .values("account_id")
        .annotate(
            n=Count("pk"),
            high=Count("pk", filter=Q(severity=OpenProblem.Severity.HIGH)),
            medium=Count("pk", filter=Q(severity=OpenProblem.Severity.MEDIUM)),
            old=Count("pk", filter=Q(opened_at__lt=old_before)),
            oldest=TruncDate(Min("opened_at"), tzinfo=zone),
        )
        .values_list("account_id", "n", "high", "medium", "old", "oldest")
    )
    for account_id, n, high, medium, old, oldest in problems:
        if (f := facts.get(account_id)) is not None:
            f.problems_open, f.problems_high, f.problems_medium = n, high, medium
            f.problems_old, f.oldest_problem_on = old, oldest

    # 4. Relationship, in two queries: from the contacts (current, or left within the window)
    #    who is named champion and decision maker and whether a champion left; from the
    #    interactions of the window whether each was met at a meeting or call, and how many
    #    of us wrote one. (One query joining both was three times slower.)
    window = day - dt.timedelta(days=config.relationship_window_days)
    window_start = day_start(window)
    current = Q(left_on__isnull=True) | Q(left_on__gt=day)
    champion, decision_maker = Q(is_champion=True), Q(is_decision_maker=True)
    named = (
        Contact.objects.filter(ids)
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
    for account_id, champ, dm, left_on in named:
        if (f := facts.get(account_id)) is not None:
            f.has_contacts, f.champion_named, f.decision_maker_named = True, champ > 0, dm > 0
            f.champion_left_on = left_on
    present = Q(kind__in=Interaction.CONTACT_KINDS) & (
        Q(contacts__left_on__isnull=True) | Q(contacts__left_on__gt=day)
    )
    met = (
        Interaction.objects.alive()
        .filter(ids, occurred_at__gte=window_start, occurred_at__lt=end)
        .order_by()
        .values("account_id")
        .annotate(
            colleagues=Count("author_id", distinct=True),
            champion_met=Count("contacts", filter=present & Q(contacts__is_champion=True)),
            dm_met=Count("contacts", filter=present & Q(contacts__is_decision_maker=True)),
        )
        .values_list("account_id", "colleagues", "champion_met", "dm_met")
    )
    for account_id, colleagues, champ_met, dm_met in met:
        if (f := facts.get(account_id)) is not None:
            f.colleagues = colleagues
            f.champion_met, f.decision_maker_met = champ_met > 0, dm_met > 0

    # 5. Voice of the customer: the latest NPS / CSAT within its window, categorised in SQL.
    feedback = _latest(
        Feedback.objects.filter(
            ids,
            received_on__gte=day - dt.timedelta(days=config.voice_max_age_days),
            received_on__lte=day,
        ).annotate(category=_category_sql(config)),
        [F("received_on").desc(), F("pk").desc()],
    ).values_list("account_id", "kind", "score", "category", "received_on")
    for account_id, kind, score, category, received_on in feedback:
        if (f := facts.get(account_id)) is not None:
            f.feedback_kind, f.feedback_score = kind, score
            f.feedback_category, f.feedback_on = category, received_on

    # 6. Commercial: notice, downgrade (MRR now against the lookback), unconfirmed renewal.
    then = day - dt.timedelta(days=config.downgrade_lookback_days)
    active_now = active_on(day)
    commercial = (
        Contract.objects.filter(ids)
        .filter(active_now | active_on(then))
        .values("account_id")
        .annotate(
            active=Count("pk", filter=active_now),
            mrr_now=Coalesce(Sum("monthly_value", filter=active_now), ZERO),
            mrr_then=Coalesce(Sum("monthly_value", filter=active_on(then)), ZERO),
            notice_on=Min("notice_given_on", filter=active_now & Q(notice_given_on__lte=day)),
            cancelled_from=Min("cancelled_on", filter=active_now),
            renewal_on=Min(
                "end_date",
                filter=active_now
                & Q(end_date__lte=day + dt.timedelta(days=config.renewal_window_days))
                & Q(renewal_confirmed=False, cancelled_on__isnull=True)
                & (Q(notice_given_on__isnull=True) | Q(notice_given_on__gt=day)),
            ),
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
    for account_id, active, mrr_now, mrr_then, notice_on, cancelled, renewal_on in commercial:
        if (f := facts.get(account_id)) is not None:
            f.has_contract, f.mrr_now, f.mrr_then = active > 0, mrr_now, mrr_then
            f.notice_on, f.renewal_on = notice_on, renewal_on
            # A scheduled cancellation is notice today; in the past only a dated notice counts,
            # so a backtest does not see a cancellation recorded after the day it scores.
            f.cancelled_from = cancelled if live else None

    # 7. The score about ``trend_days`` earlier (up to a week older when a night was missed).
    back = day - dt.timedelta(days=config.trend_days)
    previous = _latest(
        HealthScore.objects.filter(
            ids, scored_on__gte=back - dt.timedelta(days=7), scored_on__lte=back
        ),
        [F("scored_on").desc()],
    ).values_list("account_id", "score")
    for account_id, score in previous:
        if (f := facts.get(account_id)) is not None:
            f.previous_score = score

    # 8. The highest score of the last ``trend_days`` (before today), for the drop flag.
    peaks = (
        HealthScore.objects.filter(ids, scored_on__gte=back, scored_on__lt=day)
        .values("account_id")
        .annotate(peak=Max("score"))
        .values_list("account_id", "peak")
    )
    for account_id, peak in peaks:
        if (f := facts.get(account_id)) is not None:
            f.peak_score = peak
    return facts
