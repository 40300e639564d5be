"""Enqueue failures are kept and sent later (crm/queue.py): with the broker down a task is
recorded in the outbox with a warning; once the broker is back the drain (beat's periodic
task, the next enqueue, or ``manage.py send_pending_tasks``) sends it and deletes the row."""

import logging
import time

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django_celery_beat.models import PeriodicTask

from crm import queue, tasks
from crm.models import PendingTask
from retention import tasks as retention_tasks
from retention.health import scoring
from tests.factories import make_customer
from tests.retention.test_tasks import make_red

from .helpers import DEAD_REDIS, REDIS_DB, celery_app_on, flush, queued, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_db():
    flush()
    yield REDIS_DB
    flush()


def enqueue(task, *args, **kwargs):
    """``enqueue_safely`` as a page calls it, with the commit it waits for."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        queue.enqueue_safely(task, *args, **kwargs)


def test_broker_down_keeps_the_task_and_logs_a_warning(caplog):
    with celery_app_on(DEAD_REDIS), caplog.at_level(logging.WARNING, logger="crm.queue"):
        enqueue(retention_tasks.score_accounts, day="2026-03-01", chunk_size=50)
    row = PendingTask.objects.get()
    assert (row.task, row.args, row.kwargs) == (
        "retention.tasks.score_accounts",
        [],
        {"day": "2026-03-01", "chunk_size": 50},
    )
    assert row.attempts == 1 and row.first_failed_at == row.last_failed_at
    assert "Connection refused" in row.last_error
    assert "Could not enqueue retention.tasks.score_accounts" in caplog.text
    assert "Kept to send again later" in caplog.text
    report(
        "enqueue score_accounts with the broker at a closed port",
        f"one outbox row ({row.last_error[:50]}…), a warning logged, no exception",
    )


def test_the_same_task_refused_twice_is_kept_once_with_two_attempts():
    with celery_app_on(DEAD_REDIS):
        enqueue(retention_tasks.send_daily_digests)
        enqueue(retention_tasks.send_daily_digests)
        enqueue(retention_tasks.score_accounts, chunk_size=10)
    rows = {row.task: row.attempts for row in PendingTask.objects.all()}
    assert rows == {"retention.tasks.send_daily_digests": 2, "retention.tasks.score_accounts": 1}


def test_draining_with_the_broker_still_down_keeps_the_rows_and_counts_the_attempt():
    with celery_app_on(DEAD_REDIS) as app:
        enqueue(retention_tasks.send_daily_digests)
        assert queue.send_pending_tasks(app=app)["sent"] == 0
        with pytest.raises(CommandError, match="The broker refused"):
            call_command("send_pending_tasks")
    # The drain failed before reaching a row: the row is intact.
    row = PendingTask.objects.get()
    assert row.task == "retention.tasks.send_daily_digests"


@pytest.mark.celery
def test_once_the_broker_is_back_the_drain_sends_each_kept_task_once_and_deletes_it(redis_db):
    with celery_app_on(DEAD_REDIS):
        enqueue(retention_tasks.send_daily_digests)
        enqueue(retention_tasks.score_accounts, day="2026-03-01")
    assert PendingTask.objects.count() == 2
    with celery_app_on(redis_db) as app:
        summary = queue.send_pending_tasks(app=app)
        again = queue.send_pending_tasks(app=app)
    assert summary == {"sent": 2, "left": 0}
    assert again == {"sent": 0, "left": 0}
    assert queued(redis_db) == [
        "retention.tasks.score_accounts",  # LPUSH: the newest message is first
        "retention.tasks.send_daily_digests",
    ]
    assert not PendingTask.objects.exists()
    report(
        "two tasks refused by a dead broker, then drained twice against a live Redis",
        "first drain sent 2 and deleted both rows; second drain sent 0; LLEN celery = 2",
    )


@pytest.mark.celery
def test_the_next_enqueue_that_reaches_the_broker_sends_the_kept_tasks_first(redis_db):
    with celery_app_on(DEAD_REDIS):
        enqueue(retention_tasks.send_daily_digests)
        enqueue(retention_tasks.score_accounts, chunk_size=7)
    with celery_app_on(redis_db):
        enqueue(retention_tasks.score_accounts, chunk_size=7)
    # The kept copy of the same call is covered by the new message: sent once, not twice.
    assert sorted(queued(redis_db)) == [
        "retention.tasks.score_accounts",
        "retention.tasks.send_daily_digests",
    ]
    assert not PendingTask.objects.exists()


@pytest.mark.celery
def test_the_command_sends_the_kept_tasks(redis_db, capsys):
    with celery_app_on(DEAD_REDIS):
        enqueue(retention_tasks.send_daily_digests)
    with celery_app_on(redis_db):
        call_command("send_pending_tasks")
    assert "sent 1, left 0" in capsys.readouterr().out
    assert queued(redis_db) == ["retention.tasks.send_daily_digests"]


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_periodic_drain_and_then_the_kept_task(redis_db, csm, monkeypatch):
    from celery.contrib.testing.worker import start_worker

    make_red(make_customer(owner=csm))
    scoring.score_accounts()
    monkeypatch.setenv("CELERY_SKIP_CHECKS", "1")  # the worker would run system checks
    with celery_app_on(DEAD_REDIS):
        enqueue(retention_tasks.send_daily_digests)
    assert PendingTask.objects.count() == 1 and mail.outbox == []
    with celery_app_on(redis_db) as app, start_worker(app, pool="solo", perform_ping_check=False):
        drained = tasks.send_pending_tasks.delay().get(timeout=30)
        deadline = time.monotonic() + 30
        while not mail.outbox and time.monotonic() < deadline:
            time.sleep(0.1)
    assert drained == {"sent": 1, "left": 0}
    assert not PendingTask.objects.exists()
    assert [m.to for m in mail.outbox] == [[csm.email]]
    report(
        "a flag digest refused while the broker was down; then beat's send_pending_tasks on "
        "a real worker",
        "the worker drained the outbox (sent 1), ran the digest (1 email); outbox empty",
    )


def test_beat_sends_the_kept_tasks_every_five_minutes():
    periodic = PeriodicTask.objects.get(task="crm.tasks.send_pending_tasks")
    assert periodic.enabled
    assert (periodic.interval.every, periodic.interval.period) == (5, "minutes")


@pytest.mark.celery
def test_the_admin_lists_the_kept_tasks_and_sends_them_on_request(redis_db, client, admin_user):
    from django.urls import reverse

    with celery_app_on(DEAD_REDIS):
        enqueue(retention_tasks.send_daily_digests)
    client.force_login(admin_user)
    url = reverse("admin:crm_pendingtask_changelist")
    assert "retention.tasks.send_daily_digests" in client.get(url).content.decode()
    action = {
        "action": "send_now",
        "_selected_action": list(PendingTask.objects.values_list("pk", flat=True)),
    }
    with celery_app_on(DEAD_REDIS):
        refused = client.post(url, action, follow=True)
    assert "The broker still refuses" in refused.content.decode()
    assert PendingTask.objects.count() == 1
    with celery_app_on(redis_db):
        sent = client.post(url, action, follow=True)
    assert "1 sent, 0 left." in sent.content.decode()
    assert queued(redis_db) == ["retention.tasks.send_daily_digests"]
    assert not PendingTask.objects.exists()
