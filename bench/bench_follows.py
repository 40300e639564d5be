"""Health that follows the work (issue 13): how long saving an interaction takes through the
view on the 100,000-account demo book, now that the save scores its account again and syncs
its flags before the redirect.

    .venv/bin/python bench/bench_follows.py                  # 100,000 demo accounts
    .venv/bin/python bench/bench_follows.py --runs 60

Runs against PostgreSQL: ``BENCH_DATABASE_URL`` (default
postgres://postgres@127.0.0.1:5432/treue_bench_follows), made as ``bench/bench_pages.py``
makes its own (a copy of ``--template``, the page bench's scored book, when it exists and
nobody is connected to it; else seeded and scored), then migrated.

A CSM with about 300 accounts posts the log form of the account page (a call, with a
sentiment; no htmx, so the view redirects) ``--runs`` times, on ``--runs`` of their customer
accounts in turn; each save commits. Printed: median and p95 of the save, against the 200 ms
target, its ratio to ``SELECT count(*) FROM customers_contract`` (the calibration of
``bench/bench_metrics.py``); the same save with no handler listening (what following the work
costs); the rescoring of one account alone (``scoring.rescore``, rolled back); and one chunk
of a bulk write's rescoring (``retention.tasks.rescore_accounts`` of 2,000 accounts, rolled
back), which Celery runs after an import or a portfolio transfer.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/treue_bench_follows"
)

import bench_pages  # noqa: E402  (reads BENCH_DATABASE_URL)

SAVE_TARGET = 0.200


class Rollback(Exception):
    """Leave a measured block without keeping what it wrote."""


def timed(fn, runs: int) -> list[float]:
    fn(0)  # warm: caches, connection, templates
    times = []
    for i in range(1, runs + 1):
        started = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - started)
    return times


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def row(label: str, times: list[float], base: float, target: float | None = None) -> str:
    median = statistics.median(times)
    verdict = ""
    if target:
        verdict = "  ok" if median < target and p95(times) < target else "  OVER"
    return (
        f"{label:<52} {median * 1000:7.1f}ms {p95(times) * 1000:7.1f}ms "
        f"{median / base:7.1f}×{verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40, help="saves measured (median, p95)")
    parser.add_argument("--template", default="treue_bench_pages", help="database to copy")
    args = parser.parse_args()

    bench_pages.ensure_database(accounts=args.accounts, template=args.template, reseed=False)
    bench_pages.setup_django()

    from django.db import connection, transaction
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from crm import events
    from customers.models import Account
    from retention import tasks
    from retention.health import scoring
    from retention.models import HealthScore

    today = timezone.localdate()
    if not HealthScore.objects.filter(scored_on=today).exists():
        print("Scoring today (a book of other days' scores) …", flush=True)
        bench_pages.manage("score_accounts")
    bench_pages.vacuum()
    who = bench_pages.personas()
    csm = who["csm"]
    accounts = list(
        Account.objects.filter(owner=csm, spans__start_date__lte=today, spans__end_date=None)
        .order_by("pk")
        .values_list("pk", flat=True)[: args.runs + 1]
    )
    print(
        f"Book: {Account.objects.count():,} accounts. CSM {csm.username} owns "
        f"{who['csm_accounts']} accounts; saving on {len(accounts)} of their customers."
    )

    def count_contracts(_i):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM customers_contract")
            cursor.fetchone()

    base = statistics.median(timed(count_contracts, 15))

    client = Client()
    client.force_login(csm)
    url = reverse("interactions:log")

    def save(i):
        account_id = accounts[i % len(accounts)]
        response = client.post(
            url,
            {
                "account": account_id,
                "kind": "call",
                "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
                "summary": f"bench_follows.py call {i}",
                "tone": "positive",
            },
        )
        assert response.status_code == 302, (response.status_code, response.content[:300])

    # Saves with and without a listener alternate, so a change in the machine's load (other
    # processes) weighs on both alike.
    nobody = type(events._handlers)(list)
    listening = events._handlers
    following, alone = [], []
    save(0)
    for i in range(1, args.runs + 1):
        for handlers, times in ((listening, following), (nobody, alone)):
            events._handlers = handlers
            try:
                started = time.perf_counter()
                save(i)
                times.append(time.perf_counter() - started)
            finally:
                events._handlers = listening

    def rescore_one(i):
        try:
            with transaction.atomic():
                scoring.rescore(account_ids=[accounts[i % len(accounts)]])
                raise Rollback
        except Rollback:
            pass

    rescoring = timed(rescore_one, args.runs)

    chunk = list(
        Account.objects.filter(spans__start_date__lte=today, spans__end_date=None)
        .order_by("?")
        .values_list("pk", flat=True)[:2000]
    )

    def rescore_chunk(_i):
        try:
            with transaction.atomic():
                tasks.rescore_accounts(chunk)
                raise Rollback
        except Rollback:
            pass

    bulk = timed(rescore_chunk, 3)

    print(f"\n{'':<52} {'median':>9} {'p95':>9} {'÷count':>8}")
    print(f"{'SELECT count(*) FROM customers_contract':<52} {base * 1000:7.1f}ms")
    print(row("save a call through the view (health follows)", following, base, SAVE_TARGET))
    print(row("the same save, no handler listening", alone, base))
    print(row("rescore one account (scoring.rescore)", rescoring, base))
    print(row(f"rescore a bulk chunk of {len(chunk):,} accounts (task)", bulk, base))
    cost = statistics.median(following) - statistics.median(alone)
    print(
        f"\nFollowing the work adds {cost * 1000:.1f} ms to a save (median). Target: the save "
        f"under {SAVE_TARGET * 1000:.0f} ms — "
        + ("met." if p95(following) < SAVE_TARGET else "MISSED at p95.")
    )


if __name__ == "__main__":
    main()
