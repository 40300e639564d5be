"""How long the retention figures take on a large book, against a bare count of the contracts.

    .venv/bin/python bench/bench_metrics.py                  # 100,000 demo accounts
    .venv/bin/python bench/bench_metrics.py --accounts 20000 --runs 15
    .venv/bin/python bench/bench_metrics.py --reseed         # seed the database anew

Runs against ``DATABASE_URL`` (default: PostgreSQL database ``treue_bench_metrics`` on
127.0.0.1, created and migrated when missing). When the database does not hold exactly
``--accounts`` accounts it is flushed and seeded with ``seed_demo`` (same seed, same data).
Prints the median of ``--runs`` runs of: ``SELECT count(*) FROM customers_contract`` and one
period's figures (overall, for one segment, for a month, a quarter and a year), the ratio of
each to the count, and, for reference, the breakdowns, the cohort matrix and one monthly
snapshot. Targets (issue 4): one period's figures under 1 s and at most 10× the bare count.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/treue_bench_metrics"
TARGET_SECONDS = 1.0
TARGET_RATIO = 10.0


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database of ``url`` when it does not exist."""
    if not url.startswith("postgres"):
        return
    import psycopg

    server, _, name = url.rpartition("/")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def median_seconds(fn, runs: int) -> tuple[float, float]:
    """Median and minimum wall time of ``fn()`` over ``runs`` runs, after one warm-up run."""
    fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--reseed", action="store_true", help="flush and seed even when sized")
    args = parser.parse_args()

    url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    sys.path.insert(0, str(ROOT))
    ensure_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from crm.periods import add_months, month_period, quarter_period, year_period
    from customers.models import Account, Contract, CustomerSpan, MrrSpan, Segment
    from retention.figures.breakdowns import DIMENSIONS, all_breakdowns, breakdown, churn_reasons
    from retention.figures.cohorts import cohort_matrix
    from retention.figures.metrics import retention_figures
    from retention.figures.snapshots import snapshot_month

    call_command("migrate", verbosity=0)
    if args.reseed or Account.objects.count() != args.accounts:
        print(f"Seeding {args.accounts:,} demo accounts (seed_demo --flush) …", flush=True)
        started = time.perf_counter()
        call_command("seed_demo", accounts=args.accounts, flush=True, verbosity=0)
        print(f"  seeded in {time.perf_counter() - started:.0f} s", flush=True)
    # Fresh rows: set hint bits and the visibility map, and give the planner statistics.
    with connection.cursor() as cursor:
        for table in (
            "customers_contract",
            "customers_customerspan",
            "customers_mrrspan",
            "customers_account",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")

    today = timezone.localdate()
    this_month = today.replace(day=1)
    last_month = month_period(add_months(this_month, -1))
    last_quarter_month = add_months(this_month, -3 - (this_month.month - 1) % 3)
    last_quarter = quarter_period(last_quarter_month.year, (last_quarter_month.month - 1) // 3 + 1)
    last_year = year_period(today.year - 1)
    segment = Segment.objects.order_by("name").first()

    print(
        f"\n{connection.vendor} {connection.settings_dict['NAME']}: "
        f"{Account.objects.count():,} accounts, {Contract.objects.count():,} contracts, "
        f"{CustomerSpan.objects.count():,} spans, {MrrSpan.objects.count():,} MRR spans; "
        f"{args.runs} runs each, median (min)"
    )

    def bare_count():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM customers_contract")
            cursor.fetchone()

    base, base_min = median_seconds(bare_count, args.runs)
    print(
        f"\n{'SELECT count(*) FROM customers_contract':<48} {base * 1000:8.1f} ms "
        f"({base_min * 1000:.1f})"
    )

    cases = [
        (f"figures {last_quarter.label}", last_quarter, None),
        (f"figures {last_quarter.label}, segment {segment}", last_quarter, segment),
        (f"figures {last_month.label}", last_month, None),
        (f"figures {last_year.label}", last_year, None),
    ]
    worst = 0.0
    print(f"{'one period’s figures (2 queries)':<48} {'median':>11}  {'ratio':>6}")
    for label, period, seg in cases:
        figures = retention_figures(start=period.start, end=period.end, segment=seg)
        seconds, _fastest = median_seconds(
            lambda p=period, s=seg: retention_figures(start=p.start, end=p.end, segment=s),
            args.runs,
        )
        worst = max(worst, seconds)
        print(
            f"  {label:<46} {seconds * 1000:8.1f} ms  {seconds / base:5.1f}×   "
            f"S={figures.start_customers:,} N={figures.new_customers:,} "
            f"E={figures.end_customers:,} CRR={figures.retention_rate} "
            f"cohort={figures.cohort_retention_rate} GRR={figures.grr} NRR={figures.nrr}"
        )
    ok_time, ok_ratio = worst < TARGET_SECONDS, worst / base <= TARGET_RATIO
    print(
        f"\nslowest period: {worst * 1000:.1f} ms = {worst / base:.1f}× the bare count "
        f"(targets: < {TARGET_SECONDS * 1000:.0f} ms {'met' if ok_time else 'MISSED'}, "
        f"≤ {TARGET_RATIO:.0f}× {'met' if ok_ratio else 'MISSED'})"
    )

    print("\nfor reference (not in the targets):")
    p = last_quarter
    for dimension in DIMENSIONS:
        seconds, _ = median_seconds(
            lambda d=dimension: breakdown(start=p.start, end=p.end, dimension=d), args.runs
        )
        print(f"  {'breakdown by ' + dimension:<46} {seconds * 1000:8.1f} ms")
    seconds, _ = median_seconds(lambda: all_breakdowns(start=p.start, end=p.end), args.runs)
    print(f"  {'all breakdowns + S, N, E (one query)':<46} {seconds * 1000:8.1f} ms")
    seconds, _ = median_seconds(lambda: churn_reasons(start=p.start, end=p.end), args.runs)
    print(f"  {'churn reasons':<46} {seconds * 1000:8.1f} ms")
    first_cohort = add_months(this_month, -12)
    seconds, _ = median_seconds(
        lambda: cohort_matrix(
            first_month=first_cohort, last_month=add_months(this_month, -1), months=12
        ),
        max(3, args.runs // 3),
    )
    print(f"  {'cohort matrix, 12 cohorts × 12 months':<46} {seconds * 1000:8.1f} ms")
    started = time.perf_counter()
    rows = snapshot_month(month=last_month.start, today=today)
    print(
        f"  {'snapshot_month (overall + ' + str(len(rows) - 1) + ' segments)':<46} "
        f"{(time.perf_counter() - started) * 1000:8.1f} ms"
    )


if __name__ == "__main__":
    main()
