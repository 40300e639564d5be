"""Playbooks (issue 15): the time triggers' evaluation over the 100,000-account demo book, and
what starting a run adds to a request that fires an event.

    .venv/bin/python bench/bench_playbooks.py                 # 100,000 demo accounts
    .venv/bin/python bench/bench_playbooks.py --chunk-size 1000

Runs against PostgreSQL: ``BENCH_DATABASE_URL`` (default
postgres://postgres@127.0.0.1:5432/treue_bench_playbooks), a copy of ``--template`` (the page
bench's book) when it exists, else seeded; migrated (the shipped playbooks come with it).

Printed: the first evaluation of the day (``run_playbooks``: renewal preparation 90 days
ahead and re-engagement after twice the cadence start their runs) against the 60 s target;
the rerun (starts nothing); the queries of one chunk at two chunk sizes (constant per chunk,
whatever it holds); the process's peak memory against 500 MB; and starting one run the way
an event does (``start_runs`` for one account, rolled back) against 20 ms. The runs it
started are deleted at the end, so the next run measures the same again.
"""

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/treue_bench_playbooks"
)

import bench_pages  # noqa: E402  (reads BENCH_DATABASE_URL)

RUN_TARGET, START_TARGET, MEMORY_TARGET_MB = 60.0, 0.020, 500


class Rollback(Exception):
    """Leave a measured block without keeping what it wrote."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--chunk-size", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=30, help="single starts measured")
    parser.add_argument("--template", default="treue_bench_pages", help="database to copy")
    args = parser.parse_args()

    import benchdb

    # Wait for the page bench's book to be free rather than seed 100,000 accounts anew.
    benchdb.create_database(
        bench_pages.database_url(), templates=[args.template], reseed=False, wait=600
    )
    bench_pages.ensure_database(accounts=args.accounts, template=args.template, reseed=False)
    bench_pages.setup_django()

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from customers.models import Account
    from interactions.models import FollowUp
    from retention.health import scoring
    from retention.models import Playbook, PlaybookRun, RunStep, Trigger
    from retention.playbooks import services, triggers

    def clean() -> int:
        with transaction.atomic():
            tasks = list(RunStep.objects.values_list("follow_up_id", flat=True))
            RunStep.objects.all().delete()
            PlaybookRun.objects.all().delete()
            for i in range(0, len(tasks), 5000):
                FollowUp.objects.filter(pk__in=tasks[i : i + 5000]).delete()
        return len(tasks)

    clean()
    bench_pages.vacuum()
    today = timezone.localdate()
    print(f"Book: {Account.objects.count():,} accounts.", flush=True)

    started = time.perf_counter()
    first = triggers.run_playbooks(today=today, chunk_size=args.chunk_size)
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    again = triggers.run_playbooks(today=today, chunk_size=args.chunk_size)
    again_s = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    playbooks = list(
        Playbook.objects.filter(trigger__in=[Trigger.RENEWAL_AHEAD, Trigger.NO_CONTACT])
    )
    per_chunk = {}
    for size in (500, 2000):
        ranges = scoring.chunk_ranges(day=today, chunk_size=size)
        start_id, end_id = ranges[len(ranges) // 2]
        with CaptureQueriesContext(connection) as captured:
            triggers.evaluate_chunk(
                start_id=start_id, end_id=end_id, day=today, playbooks=playbooks
            )
        per_chunk[size] = len(captured)

    handover = Playbook.objects.get(trigger=Trigger.TRANSFER)
    ids = list(Account.objects.order_by("?").values_list("pk", flat=True)[: args.runs + 1])
    times = []
    for i, account_id in enumerate(ids):
        try:
            with transaction.atomic():
                began = time.perf_counter()
                runs = services.start_runs(
                    playbook=handover, starts=[services.Start(account_id, f"bench:{i}", today)]
                )
                elapsed = time.perf_counter() - began
                assert runs, "the handover play starts on any account"
                raise Rollback
        except Rollback:
            if i:
                times.append(elapsed)
    start_median = statistics.median(times)
    start_p95 = sorted(times)[round(0.95 * (len(times) - 1))]

    def verdict(ok: bool) -> str:
        return "ok" if ok else "OVER"

    print(f"\nchunk size {args.chunk_size}, {first['chunks']} chunks")
    print(
        f"first evaluation of the day    {first_s:7.1f} s   {first['started']:>7,} runs started"
        f"   target < {RUN_TARGET:.0f} s: {verdict(first_s < RUN_TARGET)}"
    )
    print(f"rerun (starts nothing)         {again_s:7.1f} s   {again['started']:>7,} runs started")
    print(
        "queries of one chunk           "
        + ", ".join(f"{n} at {size} accounts" for size, n in per_chunk.items())
        + ("   (constant)" if len(set(per_chunk.values())) == 1 else "   (NOT constant)")
    )
    print(
        f"peak memory of the process     {peak_mb:7.0f} MB   target < {MEMORY_TARGET_MB} MB: "
        f"{verdict(peak_mb < MEMORY_TARGET_MB)}"
    )
    print(
        f"start one run in an event      {start_median * 1000:7.1f} ms median, "
        f"{start_p95 * 1000:.1f} ms p95   target < {START_TARGET * 1000:.0f} ms: "
        f"{verdict(start_p95 < START_TARGET)}"
    )
    print(f"\nCleaned up {clean():,} tasks of the bench's runs.")


if __name__ == "__main__":
    main()
