"""The health model (DESIGN.md "Health model"): what each measure sees, the points it gives,
the weighted score with n/a handling, the guards, the band and the trend.

Pure functions (``rate_*``, ``weigh``, ``band_for``, ``health_for``) that turn the facts of one
account into a ``Health``; every boundary is unit-tested without a database. The facts are
gathered set-based by ``facts.gather_facts``.

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
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..models import Band, Rating
from .wording import Message, message

MEASURES = ("engagement", "sentiment", "problems", "relationship", "voice", "commercial")
# The tone a CSM gives a logged interaction, read as their green / amber / red.
COLOUR_OF_TONE = {"positive": "green", "neutral": "amber", "negative": "red"}
TONE_OF = {colour: tone for tone, colour in COLOUR_OF_TONE.items()}
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
    """promoter / passive / detractor for an NPS (0–10) or CSAT (1–5) answer, by the
    thresholds of ``config`` (``interactions.feedback``, as every page and the API)."""
    return config.feedback_thresholds().category(kind, score)


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
