"""The scoring run and its Celery tasks: idempotent, chunked (one transaction per chunk),
kept apart by a lock, enqueued without breaking pages, and end to end on a real worker."""

import datetime as dt
import json
import logging
import threading

import pytest
import time_machine
from django.core import mail
from django.db import DatabaseError, connection
from django.utils import timezone

from retention import tasks
from retention.health import scoring
from retention.health.facts import day_start
from retention.models import HealthScore, RiskFlag, RiskFlagEvent, ScoringLock
from tests.factories import HealthScoreFactory, SentimentReadingFactory, make_customer
from tests.faults.helpers import REDIS_DB, celery_app_on, flaky

# These build scores and flags by hand or test the nightly run from a book without scores.
pytestmark = pytest.mark.usefixtures("health_waits_for_the_night")


def make_red(account):
    account.last_meeting_or_call_at = day_start(timezone.localdate() - dt.timedelta(days=200))
    account.save()
    SentimentReadingFactory(account=account, sentiment="red", recorded_at=timezone.now())


def book(n: int, owner) -> list:
    accounts = [make_customer(owner=owner) for _ in range(n)]
    make_red(accounts[0])
    return accounts


def snapshot() -> tuple:
    scores = list(
        HealthScore.objects.order_by("account_id", "scored_on").values_list(
            "account_id", "scored_on", "score", "band", "trend", "guards", "measures"
        )
    )
    flags = list(
        RiskFlag.objects.order_by("pk").values_list(
            "pk", "account_id", "reason", "status", "measured_value", "explanation"
        )
    )
    return scores, flags, RiskFlagEvent.objects.count()


# --- the run --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_running_twice_on_a_day_changes_nothing(csm):
    book(4, csm)
    first = scoring.score_accounts()
    before = snapshot()
    second = scoring.score_accounts()
    assert snapshot() == before
    assert (first["accounts"], first["raised"]) == (4, 1)
    assert (second["accounts"], second["raised"], second["updated"]) == (4, 0, 0)


@pytest.mark.django_db
def test_a_rerun_after_the_data_changed_replaces_that_score_only(csm):
    changed, same = make_customer(owner=csm), make_customer(owner=csm)
    scoring.score_accounts()
    before = HealthScore.objects.get(account=same)
    make_red(changed)
    scoring.score_accounts()
    assert HealthScore.objects.count() == 2
    assert HealthScore.objects.get(account=changed).band == "red"
    after = HealthScore.objects.get(account=same)
    assert (after.pk, after.score, after.measures) == (before.pk, before.score, before.measures)


@pytest.mark.django_db
def test_chunks_cover_every_customer_once_and_give_the_same_scores(csm):
    accounts = book(5, csm)
    result = scoring.score_accounts(chunk_size=2)
    assert result["chunks"] == 3
    chunked = snapshot()
    HealthScore.objects.all().delete()
    RiskFlag.objects.all().delete()
    scoring.score_accounts(chunk_size=2000)
    assert [row[:4] for row in snapshot()[0]] == [row[:4] for row in chunked[0]]
    assert sorted(HealthScore.objects.values_list("account_id", flat=True)) == sorted(
        a.pk for a in accounts
    )


@pytest.mark.django_db
def test_chunk_ranges_leave_no_account_out():
    ranges = scoring.chunk_ranges(day=timezone.localdate(), chunk_size=2)
    assert ranges == [(0, None)]


@pytest.mark.django_db
def test_a_chunk_that_fails_writes_nothing(csm, monkeypatch):
    accounts = book(2, csm)

    def broken(**kwargs):
        raise DatabaseError("connection lost")

    monkeypatch.setattr(scoring, "sync_flags", broken)
    with pytest.raises(DatabaseError):
        scoring.score_chunk(start_id=0, end_id=None, day=timezone.localdate())
    assert not HealthScore.objects.filter(account__in=accounts).exists()


@pytest.mark.django_db
def test_a_day_in_the_past_is_scored_from_history(csm):
    account = make_customer(owner=csm, since=dt.date(2024, 1, 1))
    past = timezone.localdate() - dt.timedelta(days=100)
    scoring.score_accounts(today=past)
    row = HealthScore.objects.get(account=account)
    assert row.scored_on == past
    assert row.measures["engagement"]["rating"] is None  # no call logged by then


@pytest.mark.django_db
def test_the_trend_compares_with_the_score_30_days_earlier(csm):
    (account,) = book(1, csm)
    HealthScoreFactory(
        account=account, scored_on=timezone.localdate() - dt.timedelta(days=30), score=80
    )
    scoring.score_accounts()
    today = HealthScore.objects.get(account=account, scored_on=timezone.localdate())
    assert today.previous_score == 80
    assert today.trend == today.score - 80


# --- the lock -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_run_while_another_holds_the_lock_refuses_and_writes_nothing(csm):
    book(2, csm)
    token = scoring.acquire_scoring_lock()
    with pytest.raises(scoring.ScoringLocked):
        scoring.score_accounts()
    assert tasks.score_accounts.run() == {
        "day": timezone.localdate().isoformat(),
        "skipped": "locked",
    }
    assert not HealthScore.objects.exists()
    assert scoring.release_scoring_lock(token=token)
    scoring.score_accounts()
    assert HealthScore.objects.count() == 2


@pytest.mark.django_db
def test_only_the_holder_releases_the_lock():
    token = scoring.acquire_scoring_lock()
    assert not scoring.release_scoring_lock(token="someone-else")
    assert scoring.acquire_scoring_lock() is None
    assert scoring.release_scoring_lock(token=token)


@pytest.mark.django_db
def test_a_run_handed_off_keeps_the_lock_for_its_chunks_until_they_release_it(csm):
    book(3, csm)
    handed = {}

    def hand_off(*, ranges, day, configuration, token):
        handed.update(ranges=ranges, token=token)
        return {"finish_id": "elsewhere"}

    result = scoring.score_accounts(chunk_size=2, hand_off=hand_off)
    assert (result["chunks"], result["finish_id"]) == (2, "elsewhere")
    assert len(handed["ranges"]) == 2
    assert not HealthScore.objects.exists()  # the chunks were not run here
    assert scoring.acquire_scoring_lock() is None
    assert scoring.release_scoring_lock(token=handed["token"])


@pytest.mark.django_db
def test_a_hand_off_that_fails_releases_the_lock(csm):
    book(1, csm)

    def broken(**kwargs):
        raise ConnectionError("broker gone")

    with pytest.raises(ConnectionError):
        scoring.score_accounts(hand_off=broken)
    assert scoring.acquire_scoring_lock() is not None


@pytest.mark.django_db
def test_the_lock_expires_when_its_holder_died():
    assert scoring.acquire_scoring_lock(ttl=dt.timedelta(minutes=30)) is not None
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=31)):
        assert scoring.acquire_scoring_lock() is not None


@pytest.mark.django_db(transaction=True)
def test_of_two_overlapping_runs_only_one_works(csm, monkeypatch):
    book(3, csm)
    inside, go_on = threading.Event(), threading.Event()
    real_chunk = scoring.score_chunk
    outcome = {}

    def slow_chunk(**kwargs):
        inside.set()
        assert go_on.wait(timeout=30)
        return real_chunk(**kwargs)

    def first_run():
        try:
            outcome["first"] = scoring.score_accounts()
        finally:
            connection.close()

    monkeypatch.setattr(scoring, "score_chunk", slow_chunk)
    worker = threading.Thread(target=first_run)
    worker.start()
    assert inside.wait(timeout=30)
    with pytest.raises(scoring.ScoringLocked):
        scoring.score_accounts()
    go_on.set()
    worker.join(timeout=60)
    assert outcome["first"]["accounts"] == 3
    assert HealthScore.objects.count() == 3
    assert RiskFlag.objects.count() == 1
    assert ScoringLock.objects.get().holder == ""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_for_the_lock_lets_exactly_one_through():
    ScoringLock.objects.create(name=scoring.LOCK_NAME)
    start = threading.Barrier(4)
    tokens = []

    def race():
        try:
            start.wait(timeout=10)
            tokens.append(scoring.acquire_scoring_lock())
        finally:
            connection.close()

    threads = [threading.Thread(target=race) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(tokens) == 4
    assert sum(t is not None for t in tokens) == 1


# --- the tasks, called directly -------------------------------------------------------------


def test_a_chunk_that_meets_a_database_error_runs_again_and_scores(csm, monkeypatch):
    """A lost connection in the middle of a chunk is not the end of the night's run: the
    chunk runs again, whole (a worker killed in a chunk: tests/faults/test_worker_killed.py)."""
    accounts = book(2, csm)
    attempts = flaky(monkeypatch, scoring, "score_chunk", failures=1)

    result = tasks.score_chunk.apply(args=[0, None, timezone.localdate().isoformat()])

    assert result.successful() and len(attempts) == 2
    assert HealthScore.objects.filter(account__in=accounts).count() == 2


def test_a_chunk_whose_database_stays_down_gives_up_after_five_retries(monkeypatch):
    attempts = flaky(monkeypatch, scoring, "score_chunk", failures=99)

    result = tasks.score_chunk.apply(args=[0, None, timezone.localdate().isoformat()])

    assert result.failed() and isinstance(result.result, DatabaseError)
    assert len(attempts) == 1 + 5


@pytest.mark.django_db
def test_the_final_task_adds_up_the_chunks_and_releases_the_lock():
    token = scoring.acquire_scoring_lock()
    summary = tasks.finish_scoring.run(
        [{"accounts": 2, "raised": 1}, {"accounts": 3, "raised": 0}], day="2026-01-02", token=token
    )
    assert summary == {"day": "2026-01-02", "chunks": 2, "accounts": 5, "raised": 1}
    assert scoring.acquire_scoring_lock() is not None


@pytest.mark.django_db
def test_the_digest_task_twice_sends_one_email(csm):
    book(1, csm)
    scoring.score_accounts()
    day = timezone.localdate().isoformat()
    assert tasks.send_daily_digest.run(csm.pk, day)["sent"] is True
    assert tasks.send_daily_digest.run(csm.pk, day)["sent"] is False
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_enqueueing_with_the_broker_down_logs_after_one_attempt_without_retrying(
    caplog, django_capture_on_commit_callbacks, monkeypatch
):
    # The page must not wait through the broker's patient retries: one attempt, then a log
    # line. (How long that takes is a matter for a benchmark, not for this test.)
    from kombu import Connection

    attempts = []
    original = Connection.ensure_connection

    def counting(self, *args, **kwargs):
        attempts.append(kwargs.get("max_retries"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Connection, "ensure_connection", counting)
    with (
        celery_app_on("redis://127.0.0.1:1/0"),
        caplog.at_level(logging.WARNING),  # kept to send later (crm.queue): a warning
        django_capture_on_commit_callbacks(execute=True),
    ):
        tasks.enqueue_safely(tasks.send_daily_digests)
    assert "Could not enqueue retention.tasks.send_daily_digests" in caplog.text
    assert attempts == [0]


@pytest.mark.celery
@pytest.mark.django_db
def test_enqueueing_with_the_broker_up_queues_the_task(django_capture_on_commit_callbacks):
    import redis

    queue = redis.Redis.from_url(REDIS_DB)
    queue.flushdb()
    with celery_app_on(REDIS_DB), django_capture_on_commit_callbacks(execute=True):
        tasks.enqueue_safely(tasks.send_daily_digests)
    (message,) = [json.loads(raw) for raw in queue.lrange("celery", 0, -1)]
    assert message["headers"]["task"] == "retention.tasks.send_daily_digests"
    queue.flushdb()


@pytest.mark.django_db
def test_enqueueing_waits_for_the_commit(monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(
        tasks.send_daily_digests, "apply_async", lambda **kw: sent.append(kw) or None
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tasks.enqueue_safely(tasks.send_daily_digests)
    assert sent == []
    callbacks[0]()
    assert len(sent) == 1


@pytest.mark.django_db
def test_beat_start_scores_today_only_when_nothing_is_scored_yet(monkeypatch, csm):
    queued = []
    monkeypatch.setattr(tasks, "enqueue_safely", lambda task, *a, **kw: queued.append(task.name))
    tasks.score_today_when_beat_starts()
    assert queued == ["retention.tasks.score_accounts"]
    HealthScoreFactory(account=make_customer(owner=csm))
    tasks.score_today_when_beat_starts()
    assert queued == ["retention.tasks.score_accounts"]


@pytest.mark.django_db
def test_beat_start_scores_today_when_only_a_save_scored_one_account(monkeypatch, csm):
    queued = []
    monkeypatch.setattr(tasks, "enqueue_safely", lambda task, *a, **kw: queued.append(task.name))
    make_customer(owner=csm)
    HealthScoreFactory(account=make_customer(owner=csm))  # a save scored this one at once
    tasks.score_today_when_beat_starts()
    assert queued == ["retention.tasks.score_accounts"]


# --- end to end on a real worker ------------------------------------------------------------


@pytest.fixture
def worker_app(monkeypatch):
    """A Celery app on Redis db 10 with a worker thread against the test database."""
    import redis
    from celery.contrib.testing.worker import start_worker

    monkeypatch.setenv("CELERY_SKIP_CHECKS", "1")  # the worker would run system checks
    redis.Redis.from_url(REDIS_DB).flushdb()
    with (
        celery_app_on(REDIS_DB) as app,
        start_worker(app, pool="solo", perform_ping_check=False),
    ):
        yield app
    redis.Redis.from_url(REDIS_DB).flushdb()


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_scores_every_account_in_chunks_and_releases_the_lock(worker_app, csm):
    book(5, csm)
    started = tasks.score_accounts.delay(chunk_size=2).get(timeout=60)
    assert started["chunks"] == 3
    finished = worker_app.AsyncResult(started["finish_id"]).get(timeout=60)
    assert finished["accounts"] == 5
    assert finished["raised"] == 1
    assert HealthScore.objects.filter(scored_on=timezone.localdate()).count() == 5
    assert RiskFlag.objects.count() == 1
    assert ScoringLock.objects.get().holder == ""
    again = tasks.score_accounts.delay(chunk_size=2).get(timeout=60)
    assert worker_app.AsyncResult(again["finish_id"]).get(timeout=60)["raised"] == 0
    assert RiskFlag.objects.count() == 1
