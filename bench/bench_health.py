"""How fast the nightly health scoring is, how much memory it takes, and that its queries do
not grow with the book (issue 5, "Performance").

    .venv/bin/python bench/bench_health.py                 # 100,000 demo accounts
    .venv/bin/python bench/bench_health.py --accounts 20000 --reseed
    .venv/bin/python bench/bench_health.py --no-worker     # skip the real Celery worker

Runs against PostgreSQL: ``BENCH_DATABASE_URL`` (default
postgres://postgres@127.0.0.1:5432/treue_bench_health). The database is created, migrated and
filled with ``seed_demo --accounts N`` on the first run (a few minutes for 100,000 accounts)
and reused afterwards. Each measurement runs in its own process so its peak RSS is its own:

1. a bare ``SELECT account_id, max(occurred_at) FROM interactions_interaction GROUP BY
   account_id`` (best of three), the yardstick;
2. a full synchronous ``score_accounts`` from scratch (today's scores and all flags deleted
   first), then the same run again (the idempotent rerun), with the process's peak RSS;
3. the queries of single chunks (``CaptureQueriesContext``) at several positions and sizes;
4. a real Celery worker (``celery -A crm worker --pool solo``, Redis db 10) running the
   chunked task end to end, with the worker's peak RSS (``VmHWM``).

Targets: full run < 60 s, peak memory < 500 MB, queries per chunk constant, ≤ 30× the bare
query. Prints each figure and ratio.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/treue_bench_health"
BROKER = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/10")
BARE_SQL = "SELECT account_id, max(occurred_at) FROM interactions_interaction GROUP BY account_id"
TARGET_SECONDS, TARGET_MB, TARGET_RATIO = 60, 500, 30


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)


def environment() -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(),
        DJANGO_SETTINGS_MODULE="crm.settings",
        CELERY_BROKER_URL=BROKER,
        CELERY_RESULT_BACKEND=BROKER,
        # The worker's Django fixup would run the system checks: not what is measured.
        CELERY_SKIP_CHECKS="1",
        PYTHONPATH=str(ROOT),
    )
    return env


def manage(*args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args, "--skip-checks"],
        cwd=ROOT,
        env=environment(),
        check=True,
    )


def ensure_book(accounts: int, reseed: bool) -> None:
    """Create, migrate and seed the bench database unless it holds the book already."""
    import psycopg

    url = database_url()
    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if reseed and exists:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    manage("migrate", "-v0")
    with psycopg.connect(url) as conn:
        have = conn.execute("SELECT count(*) FROM customers_account").fetchone()[0]
    if have < accounts:
        print(f"Seeding {accounts:,} demo accounts into {name} (once; reused afterwards)...")
        started = time.perf_counter()
        manage("seed_demo", "--accounts", str(accounts), "--flush")
        print(f"  seeded in {time.perf_counter() - started:.0f} s")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")  # planner statistics of the freshly seeded tables


def setup_django() -> None:
    os.environ.update(environment())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_today() -> None:
    """Start from scratch: no score for today, no flag (the first run inserts everything)."""
    from django.db import connection
    from django.utils import timezone

    from retention.models import HealthScore, RiskFlag, RiskFlagEvent, ScoringLock

    tables = ", ".join(m._meta.db_table for m in (RiskFlagEvent, RiskFlag, ScoringLock))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables}")
        cursor.execute(
            f"DELETE FROM {HealthScore._meta.db_table} WHERE scored_on = %s",
            [timezone.localdate()],
        )


def bare_query_seconds() -> float:
    from django.db import connection

    best = float("inf")
    with connection.cursor() as cursor:
        for _ in range(3):
            started = time.perf_counter()
            cursor.execute(BARE_SQL)
            cursor.fetchall()
            best = min(best, time.perf_counter() - started)
    return best


def child_sync() -> dict:
    """Measured in its own process: the yardstick and two full synchronous runs."""
    setup_django()

    from retention.health import scoring

    reset_today()
    baseline = rss_mb()
    bare = bare_query_seconds()
    started = time.perf_counter()
    first = scoring.score_accounts()
    first_seconds = time.perf_counter() - started
    peak = rss_mb()
    started = time.perf_counter()
    second = scoring.score_accounts()
    second_seconds = time.perf_counter() - started
    return {
        "bare": bare,
        "first": first,
        "first_seconds": first_seconds,
        "second": second,
        "second_seconds": second_seconds,
        "rss_before_mb": baseline,
        "rss_peak_mb": max(peak, rss_mb()),
    }


def child_queries() -> dict:
    """Queries of single chunks, at several positions of the book and two chunk sizes."""
    setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from retention.health import scoring

    day = timezone.localdate()
    config = scoring.active_configuration()
    rows = []
    for size in (500, 2000, 5000):
        ranges = scoring.chunk_ranges(day=day, chunk_size=size)
        picks = sorted({0, len(ranges) // 2, len(ranges) - 1})
        for index in picks:
            start_id, end_id = ranges[index]
            with CaptureQueriesContext(connection) as ctx:
                result = scoring.score_chunk(
                    start_id=start_id, end_id=end_id, day=day, configuration=config
                )
            rows.append(
                {
                    "size": size,
                    "chunk": index,
                    "accounts": result["accounts"],
                    "queries": len(ctx.captured_queries),
                }
            )
    return {"chunks": rows}


def book_size() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM customers_account")
        accounts = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM interactions_interaction")
        interactions = cursor.fetchone()[0]
    from django.utils import timezone

    from customers.selectors import customer_ids_on

    return {
        "accounts": accounts,
        "interactions": interactions,
        "customers": customer_ids_on(timezone.localdate()).count(),
    }


def run_child(kind: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind],
        cwd=ROOT,
        env=environment(),
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def peak_rss_of(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def with_worker() -> dict:
    """A real worker (one process, solo pool) on Redis db 10 runs the chunked task."""
    import redis

    setup_django()
    from crm.celery import app
    from retention import tasks

    redis.Redis.from_url(BROKER).flushdb()
    reset_today()
    worker = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "crm",
            "worker",
            "--pool",
            "solo",
            "--concurrency",
            "1",
            "--loglevel",
            "WARNING",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=environment(),
        stdout=subprocess.DEVNULL,  # the banner; warnings and errors still go to stderr
    )
    try:
        deadline = time.monotonic() + 60
        while not app.control.inspect(timeout=1).ping():
            if time.monotonic() > deadline or worker.poll() is not None:
                raise RuntimeError("the Celery worker did not start")
        idle = peak_rss_of(worker.pid)
        started = time.perf_counter()
        entry = tasks.score_accounts.delay().get(timeout=600)
        finished = app.AsyncResult(entry["finish_id"]).get(timeout=600)
        seconds = time.perf_counter() - started
        peak = peak_rss_of(worker.pid)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        redis.Redis.from_url(BROKER).flushdb()
    return {"seconds": seconds, "result": finished, "rss_idle_mb": idle, "rss_peak_mb": peak}


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--reseed", action="store_true", help="drop and seed the book anew")
    parser.add_argument("--no-worker", action="store_true", help="skip the real worker")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = {"sync": child_sync, "queries": child_queries}[args.child]()
        print(json.dumps(result, default=str))
        return

    ensure_book(args.accounts, args.reseed)
    setup_django()
    size = book_size()
    sync = run_child("sync")
    queries = run_child("queries")
    worker = None if args.no_worker else with_worker()

    ratio = sync["first_seconds"] / sync["bare"]
    print()
    print(
        f"Health scoring on {size['accounts']:,} accounts ({size['customers']:,} customers "
        f"today), {size['interactions']:,} interactions — PostgreSQL"
    )
    print(f"  bare GROUP BY over interactions (best of 3)   {sync['bare']:8.2f} s")
    first = sync["first"]
    print(
        f"  full run, synchronous, from scratch           {sync['first_seconds']:8.2f} s"
        f"   {verdict(sync['first_seconds'] < TARGET_SECONDS)} (< {TARGET_SECONDS} s)"
    )
    print(
        f"      {first['accounts']:,} scores written in {first['chunks']} chunks, "
        f"{first.get('raised', 0):,} flags raised"
    )
    print(
        f"  ratio full run / bare query                   {ratio:8.1f} ×"
        f"   {verdict(ratio <= TARGET_RATIO)} (≤ {TARGET_RATIO} ×)"
    )
    second = sync["second"]
    print(
        f"  same run again (idempotent)                   {sync['second_seconds']:8.2f} s"
        f"   ({second.get('raised', 0)} raised, {second.get('updated', 0)} updated, "
        f"{second.get('resolved', 0)} resolved)"
    )
    print(
        f"  peak RSS of the process (sync)                {sync['rss_peak_mb']:8.0f} MB"
        f"   {verdict(sync['rss_peak_mb'] < TARGET_MB)} (< {TARGET_MB} MB; "
        f"{sync['rss_before_mb']:.0f} MB before scoring)"
    )
    counts = {row["queries"] for row in queries["chunks"]}
    print(
        f"  queries per chunk                             {', '.join(map(str, sorted(counts)))}"
        f"   {verdict(len(counts) == 1)} (constant)"
    )
    for row in queries["chunks"]:
        print(
            f"      chunk size {row['size']:>5}, chunk #{row['chunk']:<3} "
            f"{row['accounts']:>5} accounts: {row['queries']} queries"
        )
    if worker:
        wratio = worker["seconds"] / sync["bare"]
        print(
            f"  real worker (solo pool, 1 process)            {worker['seconds']:8.2f} s"
            f"   {verdict(worker['seconds'] < TARGET_SECONDS)}; ratio {wratio:.1f} ×"
        )
        print(
            f"  peak RSS of the worker                        {worker['rss_peak_mb']:8.0f} MB"
            f"   {verdict(worker['rss_peak_mb'] < TARGET_MB)} "
            f"({worker['rss_idle_mb']:.0f} MB idle)"
        )
        print(
            f"      {worker['result'].get('accounts', 0):,} scores in "
            f"{worker['result'].get('chunks', 0)} chunk tasks"
        )


if __name__ == "__main__":
    main()
