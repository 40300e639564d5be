"""A worker killed in the middle of a scoring chunk: nothing of that chunk is visible, and
the rerun completes it with every account scored exactly once for the day.

A real worker process (solo pool) on Redis and the test database runs ``score_accounts`` in
two chunks. The test holds a SHARE lock on the risk-flag table, so the second chunk (it
holds the one red account) stops inside its transaction after writing its scores, when it
inserts the flag. The worker is killed with SIGKILL there. ``score_chunk`` is acknowledged
late, so its message stays in Redis's unacknowledged set; a worker puts it back in the queue
once it is older than the visibility timeout (``CELERY_VISIBILITY_TIMEOUT``: an hour in
production, 2 s for the second worker here), runs the chunk again, whole, and the chord's
``finish_scoring`` releases the scoring lease."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from retention.models import HealthScore, RiskFlag, ScoringLock
from tests.factories import make_customer
from tests.retention.test_tasks import make_red

from .helpers import REDIS_DB, celery_app_on, flush, report

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.celery,
    pytest.mark.django_db(transaction=True),
    # The night's run from a book without scores: writing the book scores nothing.
    pytest.mark.usefixtures("health_waits_for_the_night"),
]

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def start_worker(log: Path, *, visibility_timeout: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": REDIS_DB,
        "CELERY_RESULT_BACKEND": REDIS_DB,
        "CELERY_VISIBILITY_TIMEOUT": str(visibility_timeout),
    }
    command = [
        *(sys.executable, "-m", "celery", "-A", "crm", "worker", "--pool=solo", "-l", "info"),
        *("--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{log.stem}@%h"),
    ]
    with log.open("w") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_for(what: str, check, *, timeout: float, logs=(), db=None, workers=()) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    for worker in workers:
        worker.send_signal(signal.SIGUSR1)  # Celery logs every thread's stack
    time.sleep(1)
    tails = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in logs)
    if db is not None:
        tails += "\n--- sessions\n" + "\n".join(
            str(row)
            for row in db.execute(
                "SELECT a.pid, a.state, a.wait_event_type, a.wait_event, "
                "left(a.query, 120), "
                "array_agg(l.relation::regclass || ' ' || l.mode || ' ' || l.granted) "
                "FROM pg_stat_activity a LEFT JOIN pg_locks l ON l.pid = a.pid "
                "AND l.relation IS NOT NULL WHERE a.datname = current_database() "
                "GROUP BY 1, 2, 3, 4, 5"
            ).fetchall()
        )
    raise AssertionError(f"timed out waiting for {what}\n{tails}")


def admin_connection() -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params)


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def test_a_chunk_killed_mid_transaction_leaves_nothing_and_its_rerun_completes(csm, tmp_path):
    accounts = [make_customer(owner=csm) for _ in range(4)]
    make_red(accounts[-1])  # in the second chunk: its flag insert is where the chunk stops
    first_ids, second_ids = {a.pk for a in accounts[:2]}, {a.pk for a in accounts[2:]}
    today = timezone.localdate()
    scores = HealthScore.objects.filter(scored_on=today)
    flush()
    blocker = admin_connection()
    blocker.execute("LOCK TABLE retention_riskflag IN SHARE MODE")  # held until rollback
    # Watched from another session: pg_stat_activity is a snapshot within a transaction.
    monitor = admin_connection()
    monitor.autocommit = True
    first_log, second_log = tmp_path / "killed.log", tmp_path / "rerun.log"
    first = start_worker(first_log, visibility_timeout=3600)
    second = None
    try:
        with celery_app_on(REDIS_DB):
            from retention import tasks

            tasks.score_accounts.apply_async(kwargs={"chunk_size": 2}, ignore_result=True)

        # The second chunk is inside its transaction: it wrote its scores, waits for the lock.
        stuck = []

        def chunk_waits() -> bool:
            stuck[:] = monitor.execute(
                "SELECT a.pid FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid "
                "WHERE a.datname = current_database() AND a.wait_event_type = 'Lock' "
                "AND l.granted AND l.mode = 'RowExclusiveLock' "
                "AND l.relation = 'retention_healthscore'::regclass"
            ).fetchall()
            return bool(stuck)

        wait_for(
            "the second chunk to block",
            chunk_waits,
            timeout=30,
            logs=[first_log],
            db=monitor,
            workers=[first],
        )
        assert set(scores.values_list("account_id", flat=True)) == first_ids
        (pid,) = stuck[0]

        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        blocker.rollback()  # the lock goes; the orphaned server process finds its client gone

        def backend_gone() -> bool:
            return not monitor.execute(
                "SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]
            ).fetchone()

        wait_for("the killed worker's transaction to end", backend_gone, timeout=30)
        after_kill = set(scores.values_list("account_id", flat=True))
        assert after_kill == first_ids  # the first chunk committed, nothing of the second
        assert not RiskFlag.objects.exists()
        assert ScoringLock.objects.get().holder != ""  # the run still holds its lease
        first_computed = dict(scores.values_list("account_id", "computed_at"))

        second = start_worker(second_log, visibility_timeout=2)

        def run_finished() -> bool:
            return ScoringLock.objects.get().holder == ""

        wait_for("the rerun to finish", run_finished, timeout=120, logs=[first_log, second_log])
        per_account = sorted(scores.values_list("account_id", flat=True))
        assert per_account == sorted(first_ids | second_ids)  # each account once
        assert RiskFlag.objects.get().account_id == accounts[-1].pk
        # Only the lost chunk ran again: the first chunk's rows are untouched.
        assert {
            k: v for k, v in scores.values_list("account_id", "computed_at") if k in first_ids
        } == first_computed
        rerun_log = second_log.read_text()
        assert "retention.tasks.score_chunk" in rerun_log
        assert "retention.tasks.finish_scoring" in rerun_log
        report(
            "SIGKILL the worker while chunk 2 of 2 was inside its transaction (scores written, "
            "flag insert waiting on a lock); then a new worker",
            f"after the kill: scores for {len(after_kill)}/4 accounts (chunk 1 only), no flag; "
            f"the redelivered chunk 2 ran on the new worker: 4/4 accounts once each, 1 flag, "
            f"lease released",
        )
    finally:
        blocker.close()
        monitor.close()
        stop(first)
        if second is not None:
            stop(second)
        flush()
