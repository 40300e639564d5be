"""Running the health model: the configuration in force, the lock that keeps two runs apart,
the chunks, and the backtest.

``score_accounts`` scores every customer account for a day, chunk by chunk (account-id
ranges of ``chunk_size`` customers), one transaction per chunk: a bulk upsert of the day's
``HealthScore`` rows, the accounts' current health (``AccountHealth``) and the flags of the
chunk. Running it twice on the same day changes nothing. The Celery task of the same name
(``retention.tasks.score_accounts``) calls it with a ``hand_off`` that runs ``score_chunk`` on
the workers, in a chord.
"""

import datetime as dt
import json
import uuid
from collections import Counter
from collections.abc import Collection
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import events
from customers.models import Account, CustomerSpan

from ..models import (
    AccountHealth,
    HealthScore,
    RiskFlag,
    ScoringConfiguration,
    ScoringLock,
    SentimentReading,
    comment_error,
)
from .facts import gather_facts
from .flags import flag_conditions, sync_flags
from .measures import Facts, Health, health_for

LOCK_NAME = "score_accounts"
SCORE_FIELDS = [
    "configuration",
    "score",
    "band",
    "previous_score",
    "trend",
    "onboarding",
    "on_watch",
    "guards",
    "measures",
    "computed_at",
]


UNIQUE_COLUMNS = ("account_id", "scored_on")
FEW_ROWS = 20  # scores upserted with bound parameters on PostgreSQL too (``upsert_scores``)
JSON_COLUMNS = ("guards", "measures")
CURRENT_COLUMNS = ("account_id", "scored_on", "score", "band", "previous_score", "trend")


class ScoringLocked(Exception):
    """Another scoring run holds the lock."""


# --- the configuration --------------------------------------------------------------------


def active_configuration() -> ScoringConfiguration:
    """The configuration new scores use; creates one with DESIGN.md's defaults when an
    installation has none (the data migration normally did)."""
    config = ScoringConfiguration.objects.filter(is_active=True).first()
    if config is not None:
        return config
    try:
        with transaction.atomic():
            last = ScoringConfiguration.objects.order_by("-version").first()
            return ScoringConfiguration.objects.create(
                version=(last.version + 1) if last else 1,
                is_active=True,
                note=_("Defaults of DESIGN.md"),
            )
    except IntegrityError:  # created meanwhile by a concurrent run
        return ScoringConfiguration.objects.get(is_active=True)


@transaction.atomic
def save_configuration(
    *, configuration: ScoringConfiguration, by=None, note: str = ""
) -> ScoringConfiguration:
    """Store ``configuration`` (new, or an edited copy of any version) as the next version and
    make it the active one. Earlier versions stay as they were: their scores point at them."""
    configuration.full_clean()
    list(ScoringConfiguration.objects.select_for_update().filter(is_active=True))
    last = ScoringConfiguration.objects.order_by("-version").first()
    ScoringConfiguration.objects.filter(is_active=True).update(is_active=False)
    configuration.pk = None
    configuration._state.adding = True
    configuration.version = (last.version + 1) if last else 1
    configuration.is_active = True
    configuration.created_at = timezone.now()
    configuration.created_by = by
    if note:
        configuration.note = note
    configuration.save()
    return configuration


@transaction.atomic
def record_sentiment(
    *, account: Account, author, sentiment: str, comment: str, at: dt.datetime | None = None
) -> SentimentReading:
    """The owner's own read of the account (green / amber / red), always with a reason."""
    comment = comment.strip()
    errors = {}
    if sentiment not in SentimentReading.Sentiment.values:
        errors["sentiment"] = _("Choose green, amber or red.")
    if error := comment_error(comment, missing=_("Say why you read the account this way.")):
        errors["comment"] = error
    if errors:
        raise ValidationError(errors)
    reading = SentimentReading.objects.create(
        account=account,
        author=author,
        sentiment=sentiment,
        comment=comment,
        recorded_at=at or timezone.now(),
    )
    events.publish(events.AccountChanged(account.pk, events.What.SENTIMENT))
    return reading


# --- the lock -----------------------------------------------------------------------------


def acquire_scoring_lock(*, ttl: dt.timedelta | None = None, name: str = LOCK_NAME) -> str | None:
    """Claim the scoring lease (or another run's lease, ``name``: the playbooks' time
    triggers take theirs); returns a token, or None while another run holds it. A lease
    row claimed by a conditional update: it can be released by another process (the final
    task of a Celery run) and expires by itself when a worker dies."""
    ttl = ttl or dt.timedelta(seconds=getattr(settings, "SCORING_LOCK_TTL_SECONDS", 3600))
    ScoringLock.objects.get_or_create(name=name)  # get_or_create survives the race
    now = timezone.now()
    token = uuid.uuid4().hex
    claimed = (
        ScoringLock.objects.filter(name=name)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__lte=now))
        .update(holder=token, acquired_at=now, expires_at=now + ttl)
    )
    return token if claimed == 1 else None


def release_scoring_lock(*, token: str, name: str = LOCK_NAME) -> bool:
    """Give the lease back (only its holder can)."""
    return (
        ScoringLock.objects.filter(name=name, holder=token).update(holder="", expires_at=None) == 1
    )


# --- the run ------------------------------------------------------------------------------


def upsert_scores(rows: list[dict]) -> None:
    """Insert the day's scores (dicts of ``HealthScore`` column values), replacing those of
    the same account and day (the rerun).

    ``bulk_create(update_conflicts=True)`` everywhere but PostgreSQL, where binding 2,000
    rows × 12 parameters client-side took longer than everything else a chunk does: there the
    night's first run COPYs straight into the table, and a rerun COPYs into a temporary table
    and upserts from it, leaving the rows whose values did not change untouched. A few rows
    (a save that scores its account again) take the one statement of ``bulk_create``: the
    temporary table's four would cost more than binding them."""
    if connection.vendor != "postgresql" or len(rows) <= FEW_ROWS:
        HealthScore.objects.bulk_create(
            [HealthScore(**row) for row in rows],
            update_conflicts=True,
            unique_fields=["account", "scored_on"],
            update_fields=SCORE_FIELDS,
        )
        return
    columns = list(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    table = HealthScore._meta.db_table
    ids = [row["account_id"] for row in rows]
    first = not HealthScore.objects.filter(
        account_id__gte=min(ids), account_id__lte=max(ids), scored_on=rows[0]["scored_on"]
    ).exists()
    with connection.cursor() as cursor:
        if first:
            _copy(cursor, table, names, rows)
            return
        cursor.execute(
            f"CREATE TEMPORARY TABLE health_upsert ON COMMIT DROP AS "
            f'SELECT {names} FROM "{table}" WITH NO DATA'
        )
        _copy(cursor, "health_upsert", names, rows)
        changing = [c for c in columns if c not in UNIQUE_COLUMNS]
        compared = [c for c in changing if c != "computed_at"]
        cursor.execute(
            f'INSERT INTO "{table}" AS old ({names}) SELECT {names} FROM health_upsert '
            f'ON CONFLICT ("account_id", "scored_on") DO UPDATE SET '
            + ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in changing)
            + " WHERE ("
            + ", ".join(f'old."{c}"' for c in compared)
            + ") IS DISTINCT FROM ("
            + ", ".join(f'EXCLUDED."{c}"' for c in compared)
            + ")"
        )
        cursor.execute("DROP TABLE health_upsert")


def _copy(cursor, table: str, names: str, rows: list[dict]) -> None:
    with cursor.cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([json.dumps(v) if c in JSON_COLUMNS else v for c, v in row.items()])


def _record_current(scores: QuerySet[HealthScore]) -> None:
    """Upsert ``scores`` (at most one per account) into ``AccountHealth``, where they are not
    older than what it holds: scoring a day in the past leaves a later score current."""
    select, params = scores.values_list(*CURRENT_COLUMNS).query.sql_with_params()
    table = AccountHealth._meta.db_table
    changing = CURRENT_COLUMNS[1:]
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in changing)
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    changed = " OR ".join(f'"{table}"."{c}" {differs} excluded."{c}"' for c in changing)
    with connection.cursor() as cursor:
        cursor.execute(  # a rerun of the same day rewrites no row that stays the same
            f'INSERT INTO "{table}" ({", ".join(CURRENT_COLUMNS)}) {select} '
            f'ON CONFLICT ("account_id") DO UPDATE SET {updates} '
            f'WHERE "{table}"."scored_on" <= excluded."scored_on" AND ({changed})',
            params,
        )


def record_current_health(*, day: dt.date, account_ids: Collection[int]) -> None:
    """Make the scores of ``day`` of these accounts their current health (``AccountHealth``),
    unless a later day's score already is. The scoring chunk calls it in its transaction,
    right after writing the scores: one INSERT … SELECT of their rows per 2,000 accounts."""
    ids = sorted(account_ids)
    for start in range(0, len(ids), 2000):
        batch = ids[start : start + 2000]
        _record_current(HealthScore.objects.filter(scored_on=day, account_id__in=batch).order_by())


@transaction.atomic
def rebuild_current_health(*, account_ids: Collection[int] | None = None) -> int:
    """Recompute the current health of these accounts (default: all) from their newest stored
    score — after scores were written or deleted by other means than a scoring run. Returns
    how many accounts have one."""
    scores, current = HealthScore.objects.all(), AccountHealth.objects.all()
    if account_ids is not None:
        scores = scores.filter(account_id__in=account_ids)
        current = current.filter(account_id__in=account_ids)
    current.delete()
    if connection.vendor == "postgresql":
        newest = scores.order_by("account_id", "-scored_on").distinct("account_id")
    else:
        day = HealthScore.objects.filter(account_id=OuterRef("account_id"))
        newest = scores.filter(
            scored_on=Subquery(day.order_by("-scored_on").values("scored_on")[:1])
        )
    _record_current(newest)
    return current.count()


def chunk_ranges(*, day: dt.date, chunk_size: int = 2000) -> list[tuple[int, int | None]]:
    """Account-id ranges ``[start, end)`` holding ``chunk_size`` customers each. The first
    starts at 0 and the last is open-ended, so every account falls in one range (flags of
    accounts that stopped being customers are resolved by their range's chunk)."""
    ids = list(
        CustomerSpan.objects.covering(day)
        .order_by("account_id")
        .values_list("account_id", flat=True)
    )
    bounds = ids[chunk_size::chunk_size]
    return list(zip([0, *bounds], [*bounds, None], strict=True))


def compute_health(
    *,
    day: dt.date,
    config: ScoringConfiguration,
    start_id: int = 0,
    end_id: int | None = None,
    only: Collection[int] | None = None,
) -> tuple[dict[int, Facts], dict[int, Health]]:
    """The health of the customer accounts of a range (or of ``only`` these) on ``day``,
    without writing anything."""
    facts = gather_facts(start_id=start_id, end_id=end_id, day=day, config=config, only=only)
    return facts, {aid: health_for(f, day=day, config=config) for aid, f in facts.items()}


def score_chunk(
    *,
    start_id: int,
    end_id: int | None,
    day: dt.date,
    configuration: ScoringConfiguration | None = None,
    only: Collection[int] | None = None,
) -> dict[str, int]:
    """Score the customers of ``[start_id, end_id)`` (of them, ``only`` these accounts when
    given) on ``day`` and bring their flags in line, in one transaction (a killed worker
    leaves nothing half-written). Idempotent."""
    config = configuration or active_configuration()
    with transaction.atomic():
        facts, scored = compute_health(
            day=day, config=config, start_id=start_id, end_id=end_id, only=only
        )
        now = timezone.now()
        rows, wanted = [], {}
        for account_id, h in scored.items():
            conditions = flag_conditions(facts=facts[account_id], health=h, day=day, config=config)
            if conditions:
                wanted[account_id] = conditions
            rows.append(
                {
                    "account_id": account_id,
                    "scored_on": day,
                    "configuration_id": config.pk,
                    "score": h.score,
                    "band": h.band,
                    "previous_score": h.previous_score,
                    "trend": h.trend,
                    "onboarding": h.onboarding,
                    "on_watch": h.on_watch,
                    "guards": h.guards,
                    "measures": h.measures,
                    "computed_at": now,
                }
            )
        if rows:
            upsert_scores(rows)
            record_current_health(day=day, account_ids=scored.keys())
        previous_run = HealthScore.objects.filter(scored_on__lt=day).aggregate(d=Max("scored_on"))
        counts = sync_flags(
            day=day,
            start_id=start_id,
            end_id=end_id,
            wanted=wanted,
            scored=scored,
            previous_run_day=previous_run["d"],
            only=only,
        )
    return {"accounts": len(rows), **counts}


def rescore(*, account_ids: Collection[int], day: dt.date | None = None) -> dict[str, int]:
    """Score these accounts again for ``day`` (default today) and bring their flags in line,
    as the night's run does (``score_chunk``), in the caller's transaction: the health that
    follows the work (DESIGN.md "Health and risk"). A flag whose condition is gone resolves
    itself; an account that is no longer a customer keeps no open flag."""
    ids = sorted(set(account_ids))
    if not ids:
        return {"accounts": 0}
    day = day or timezone.localdate()
    try:
        return _rescore_once(ids, day)
    except IntegrityError:
        # The night's chunk wrote this day's score or raised the same flag first (it locks
        # no accounts); a second attempt sees its rows and updates them.
        return _rescore_once(ids, day)


def _rescore_once(ids: list[int], day: dt.date) -> dict[str, int]:
    with transaction.atomic():
        # One scoring of an account at a time (two saves, or a save and a bulk chunk).
        list(Account.objects.filter(pk__in=ids).order_by("pk").select_for_update().values("pk"))
        only = ids if len(ids) > 1 else None
        return score_chunk(start_id=ids[0], end_id=ids[-1] + 1, day=day, only=only)


class HandOff(Protocol):
    """Runs the chunks elsewhere (the Celery task: a chord over the workers) and releases the
    scoring lock, ``token``, when they are done; returns what to add to the run's summary."""

    def __call__(
        self,
        *,
        ranges: list[tuple[int, int | None]],
        day: dt.date,
        configuration: ScoringConfiguration,
        token: str,
    ) -> dict: ...


def score_accounts(
    *, today: dt.date | None = None, chunk_size: int = 2000, hand_off: HandOff | None = None
) -> dict:
    """Score every customer account on ``today`` (default: today) and raise, update or
    resolve its flags, chunk by chunk, under the scoring lock. Raises ``ScoringLocked`` when
    another run is under way. A day in the past is scored from the history as of that day.

    The chunks run here, one after the other, unless ``hand_off`` takes them (and the lock)
    to run elsewhere; then the summary says how many were handed off, not what they did."""
    day = today or timezone.localdate()
    token = acquire_scoring_lock()
    if token is None:
        raise ScoringLocked(_("Another scoring run is under way; try again when it has finished."))
    handed_off = False
    try:
        config = active_configuration()
        ranges = chunk_ranges(day=day, chunk_size=chunk_size)
        summary = {"day": day.isoformat(), "chunks": len(ranges), "configuration": config.version}
        if hand_off is not None:
            outcome = hand_off(ranges=ranges, day=day, configuration=config, token=token)
            handed_off = True
            return {**summary, **outcome}
        totals: Counter = Counter()
        for start_id, end_id in ranges:
            totals.update(
                score_chunk(start_id=start_id, end_id=end_id, day=day, configuration=config)
            )
        return {**summary, **totals}
    finally:
        if not handed_off:
            release_scoring_lock(token=token)


# --- the backtest -------------------------------------------------------------------------


def _bands(healths: list[Health]) -> dict:
    scored = [h for h in healths if h.score is not None]
    count = Counter(h.band for h in scored)
    mean = round(sum(h.score for h in scored) / len(scored), 1) if scored else None
    return {
        "scored": len(scored),
        "green": count["green"],
        "yellow": count["yellow"],
        "red": count["red"],
        "mean_score": mean,
    }


def backtest(
    *,
    today: dt.date | None = None,
    since: dt.date | None = None,
    offsets: Collection[int] = (90, 180),
) -> dict:
    """For every churn (an account's customer span that ended before ``today``; since
    ``since`` when given): its health ``offset`` days before it left — the stored score when
    one exists within a week before that day, otherwise scored as of that day from history —
    and whether a risk flag was raised in the ``max(offsets)`` days before it left. Today's
    customers are the comparison. Writes nothing."""
    day = today or timezone.localdate()
    config = active_configuration()
    spans = CustomerSpan.objects.filter(end_date__lt=day)
    if since is not None:
        spans = spans.filter(end_date__gte=since - dt.timedelta(days=1))
    churns = [
        (aid, end + dt.timedelta(days=1))
        for aid, end in spans.values_list("account_id", "end_date")
    ]
    result: dict = {"churns": len(churns), "offsets": {}}
    for offset in offsets:
        by_day: dict[dt.date, set[int]] = {}
        for account_id, left_on in churns:
            by_day.setdefault(left_on - dt.timedelta(days=offset), set()).add(account_id)
        healths, from_history, computed, would_flag = [], 0, 0, 0
        for target, ids in sorted(by_day.items()):
            stored = {}
            rows = HealthScore.objects.filter(
                account_id__in=ids,
                scored_on__gte=target - dt.timedelta(days=7),
                scored_on__lte=target,
            ).order_by("account_id", "scored_on")
            for row in rows:
                stored[row.account_id] = Health(score=row.score, band=row.band, measures={})
            healths.extend(stored.values())
            from_history += len(stored)
            missing = ids - stored.keys()
            if missing:
                facts, fresh = compute_health(day=target, config=config, only=missing)
                healths.extend(fresh.values())
                computed += len(fresh)
                would_flag += sum(
                    1
                    for aid, h in fresh.items()
                    if flag_conditions(facts=facts[aid], health=h, day=target, config=config)
                )
        result["offsets"][offset] = {
            **_bands(healths),
            "from_history": from_history,
            "computed": computed,
            "would_flag": would_flag,
            "not_customers_yet": sum(len(ids) for ids in by_day.values()) - len(healths),
        }
    window = max(offsets) if offsets else 180
    raised = {}
    flagged_rows = RiskFlag.objects.filter(account_id__in={aid for aid, _ in churns}).values_list(
        "account_id", "raised_on"
    )
    for account_id, raised_on in flagged_rows:
        raised.setdefault(account_id, []).append(raised_on)
    result["flagged"] = sum(
        1
        for account_id, left_on in churns
        if any(
            left_on - dt.timedelta(days=window) <= r < left_on for r in raised.get(account_id, ())
        )
    )
    result["flag_window"] = window
    latest = HealthScore.objects.filter(scored_on=day)
    today_healths = [
        Health(score=s, band=b, measures={}) for s, b in latest.values_list("score", "band")
    ]
    result["today"] = _bands(today_healths)
    return result
