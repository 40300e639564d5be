"""Two beat schedulers by mistake: each periodic task arrives twice at the same moment, and
there is still one scoring run, one email per flag, one snapshot per month and one message
per kept task. The two arrivals are two threads running the task bodies as two workers
would, released together by a barrier."""

import threading

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from crm import queue
from crm.models import PendingTask
from retention import tasks
from retention.health import scoring
from retention.models import HealthScore, MonthlySnapshot, RiskFlag, ScoringLock
from tests.factories import make_customer
from tests.retention.test_tasks import make_red

from .helpers import DEAD_REDIS, REDIS_DB, celery_app_on, flush, queued, report

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def twice_at_once(work) -> list:
    """Run ``work()`` in two threads released together; their results (or exceptions)."""
    start, results = threading.Barrier(2), []

    def run():
        try:
            start.wait(timeout=10)
            results.append(work())
        except Exception as error:  # reported to the test
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


@pytest.fixture
def redis_db6():
    flush(REDIS_DB)
    yield REDIS_DB
    flush(REDIS_DB)


@pytest.mark.celery
def test_two_scoring_runs_at_once_make_one_run(csm, redis_db6, monkeypatch):
    from celery.contrib.testing.worker import start_worker

    accounts = [make_customer(owner=csm) for _ in range(5)]
    make_red(accounts[0])
    with celery_app_on(redis_db6) as app:
        results = twice_at_once(lambda: tasks.score_accounts.run(chunk_size=2))
        started = [r for r in results if "chunks" in r]
        skipped = [r for r in results if r.get("skipped") == "locked"]
        assert (len(started), len(skipped)) == (1, 1), results
        # One run's chunks are queued, not two runs'.
        assert queued(redis_db6).count("retention.tasks.score_chunk") == 3
        monkeypatch.setenv("CELERY_SKIP_CHECKS", "1")
        with start_worker(app, pool="solo", perform_ping_check=False):
            finished = app.AsyncResult(started[0]["finish_id"]).get(timeout=60)
    today = timezone.localdate()
    per_account = list(
        HealthScore.objects.filter(scored_on=today).values_list("account_id", flat=True)
    )
    assert sorted(per_account) == sorted(a.pk for a in accounts)  # once each
    assert finished["accounts"] == 5 and RiskFlag.objects.count() == 1
    assert ScoringLock.objects.get().holder == ""
    report(
        "score_accounts twice at the same moment (two beats), then a worker",
        f"one run ({started[0]['chunks']} chunks queued), the other {skipped[0]}; "
        "5 accounts scored once each, 1 flag, lease released",
    )


def test_two_digests_at_once_send_one_email(csm):
    make_red(make_customer(owner=csm))
    scoring.score_accounts()
    day = timezone.localdate().isoformat()
    results = twice_at_once(lambda: tasks.send_daily_digest.run(csm.pk, day))
    assert sorted(r["sent"] for r in results) == [False, True]
    assert len(mail.outbox) == 1
    report("send_daily_digest of one user twice at the same moment", f"{results}: one email")


def test_two_snapshot_runs_at_once_store_each_month_once(book):
    from tests.factories import ContractFactory

    ContractFactory(account=book["mine"], start_date=timezone.localdate().replace(year=2024))
    results = twice_at_once(lambda: tasks.snapshot_closed_months.run(months=3))
    assert all(isinstance(r, dict) for r in results), results
    rows = list(MonthlySnapshot.objects.values_list("month", "segment_id"))
    assert len(rows) == len(set(rows)) == results[0]["snapshots"]
    report(
        "snapshot_closed_months twice at the same moment",
        f"{results}; {len(rows)} rows, one per month and segment",
    )


@pytest.mark.celery
def test_two_drains_at_once_send_each_kept_task_once(redis_db6):
    from django.test import TestCase

    with celery_app_on(DEAD_REDIS):
        for chunk_size in range(10, 30):
            with TestCase.captureOnCommitCallbacks(execute=True):
                queue.enqueue_safely(tasks.score_accounts, chunk_size=chunk_size)
    assert PendingTask.objects.count() == 20
    with celery_app_on(redis_db6) as app:
        results = twice_at_once(lambda: queue.send_pending_tasks(app=app))
    assert sum(r["sent"] for r in results) == 20
    assert len(queued(redis_db6)) == 20
    assert not PendingTask.objects.exists()
    report(
        "send_pending_tasks twice at the same moment with 20 kept tasks",
        f"sent {[r['sent'] for r in results]}: 20 messages in Redis, each once",
    )
