"""Celery tasks of the retention app: thin wrappers around services."""

# --- health scores and risk flags ---
# Thin wrappers around retention.health.scoring and retention.health.flags. The nightly run:
# beat enqueues ``score_accounts``, which takes the scoring lease, then a chord: a group of
# ``score_chunk`` (one account-id range each, one transaction each) and ``finish_scoring``,
# which releases the lease (``release_scoring_lock`` does it when a chunk failed for good).
import datetime as dt
import logging
from collections import Counter

from celery import chord, shared_task
from celery.signals import beat_init
from django.db import DatabaseError
from django.utils import timezone

from crm.queue import enqueue_safely
from customers.selectors import customer_ids_on
from retention import digest
from retention.figures import snapshots
from retention.health import scoring
from retention.models import HealthScore, ScoringConfiguration
from retention.playbooks import triggers as playbook_triggers

logger = logging.getLogger(__name__)


@shared_task
def score_accounts(day: str | None = None, chunk_size: int = 2000) -> dict:
    """``scoring.score_accounts`` for ``day`` (ISO date, default today), its chunks run by as
    many workers as there are. Skips when another run holds the lock."""
    day_ = dt.date.fromisoformat(day) if day else timezone.localdate()
    try:
        return scoring.score_accounts(today=day_, chunk_size=chunk_size, hand_off=_on_workers)
    except scoring.ScoringLocked:
        logger.info("Scoring for %s skipped: another run holds the lock", day_)
        return {"day": day_.isoformat(), "skipped": "locked"}


def _on_workers(*, ranges, day: dt.date, configuration, token: str) -> dict:
    """A chord: one ``score_chunk`` per range, then ``finish_scoring`` releases the lock (or
    ``release_scoring_lock`` does when a chunk failed for good)."""
    header = [score_chunk.si(s, e, day.isoformat(), configuration.pk) for s, e in ranges]
    body = finish_scoring.s(day=day.isoformat(), token=token)
    finish = chord(header)(body.on_error(release_scoring_lock.si(token)))
    return {"finish_id": finish.id}


# A chunk of scoring is idempotent, so acknowledged late: a killed worker's chunk runs again.
CHUNK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (DatabaseError,),
    "retry_backoff": True,
    "max_retries": 5,
}


@shared_task(**CHUNK_OPTIONS)
def score_chunk(
    start_id: int, end_id: int | None, day: str, configuration_id: int | None = None
) -> dict:
    """Score one account-id range and update its flags, in one transaction. Idempotent, so
    it is acknowledged late: a killed worker's chunk runs again, whole."""
    config = ScoringConfiguration.objects.get(pk=configuration_id) if configuration_id else None
    return scoring.score_chunk(
        start_id=start_id, end_id=end_id, day=dt.date.fromisoformat(day), configuration=config
    )


@shared_task(**CHUNK_OPTIONS)
def rescore_accounts(account_ids: list[int]) -> dict:
    """Score these accounts again for today after a bulk write changed them, and bring their
    flags in line (``retention.follow``). Idempotent, so acknowledged late."""
    return scoring.rescore(account_ids=account_ids)


@shared_task
def finish_scoring(results: list[dict], day: str, token: str) -> dict:
    """The chord's end: add up the chunks and release the scoring lock."""
    totals: Counter = Counter()
    for result in results or ():
        totals.update(result or {})
    scoring.release_scoring_lock(token=token)
    return {"day": day, "chunks": len(results or ()), **totals}


@shared_task
def release_scoring_lock(token: str) -> bool:
    """Error path of the chord: free the lock when a chunk failed for good."""
    return scoring.release_scoring_lock(token=token)


@shared_task(autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3)
def send_daily_digests(day: str | None = None) -> dict:
    """07:00 (beat): post the follow-ups due to the inboxes and send each user's digest as
    its own task (on commit; kept in the outbox while the broker is down)."""
    day_ = dt.date.fromisoformat(day) if day else None
    return digest.start_daily_run(
        today=day_, send=lambda user_id, d: enqueue_safely(send_daily_digest, user_id, d)
    )


@shared_task(autoretry_for=(DatabaseError, OSError), retry_backoff=True, max_retries=5)
def send_daily_digest(user_id: int, day: str) -> dict:
    """One user's digest of ``day``, claimed for the day first: twice sends one email."""
    sent = digest.send_digest(user_id=user_id, day=dt.date.fromisoformat(day))
    return {"user": user_id, "day": day, "sent": sent}


@beat_init.connect
def score_today_when_beat_starts(sender=None, **kwargs) -> None:
    """When beat starts (``make run``) and today's run has not scored every customer yet,
    score now rather than wait for the night. (A save scores its one account at once
    (``retention.follow``): a score of today alone does not mean the run happened.)"""
    day = timezone.localdate()
    try:
        scored = HealthScore.objects.filter(scored_on=day).count()
        if scored and scored >= customer_ids_on(day).count():
            return
    except DatabaseError:
        logger.exception("Could not check today's health scores at beat start")
        return
    enqueue_safely(score_accounts)


# --- retention figures: monthly snapshots ---


@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3)
def snapshot_closed_months(months: int = 24) -> dict:
    """Monthly (beat, day 1 at 02:00): store the figures of the last ``months`` closed months,
    overall and per segment. Idempotent: recomputing a month replaces its snapshots."""
    return snapshots.snapshot_closed_months(months=months)


# --- playbooks: the time triggers ---


@shared_task(autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3)
def run_playbooks(day: str | None = None, chunk_size: int = 2000) -> dict:
    """Daily (beat): start the runs that a renewal ahead or an absence calls for. Skips while
    another evaluation holds the lock; a rerun starts nothing new."""
    day_ = dt.date.fromisoformat(day) if day else timezone.localdate()
    try:
        return playbook_triggers.run_playbooks(today=day_, chunk_size=chunk_size)
    except playbook_triggers.PlaybooksLocked:
        logger.info("Playbooks for %s skipped: another run holds the lock", day_)
        return {"day": day_.isoformat(), "skipped": "locked"}
