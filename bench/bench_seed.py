"""How long ``seed_demo`` takes, and where the time goes.

    .venv/bin/python bench/bench_seed.py            # 10,000 accounts
    .venv/bin/python bench/bench_seed.py --full     # 10,000 and 100,000 accounts
    .venv/bin/python bench/bench_seed.py --accounts 2000 50000

Each size runs in a fresh PostgreSQL database (``treue_bench_seed`` on the server of
``BENCH_POSTGRES``, default postgres://postgres@127.0.0.1:5432), migrated from scratch, in
its own process so the peak RSS is that of one run. Prints wall time, rows per table, rows/s,
peak RSS, the time of ``rebuild_derived`` split by the statements it runs, and the time of the
score history (the health model run on 14 past days).
"""

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "treue_bench_seed"
SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432").rstrip("/")
TARGET_SECONDS = 300

# rebuild_derived's statements, by what they do (the rest of its time is Python)
DERIVE_STATEMENTS = (
    ("read contracts", re.compile(r'^SELECT .* FROM "customers_contract"', re.S)),
    ("delete spans", re.compile(r'^DELETE FROM "customers_customerspan"')),
    ("insert spans", re.compile(r'^INSERT INTO "customers_customerspan"')),
    # Django's bulk_update (CASE WHEN) or crm.db.bulk_update_values (UPDATE ... FROM VALUES)
    ("write status", re.compile(r'^UPDATE "customers_account" (AS t )?SET "customer_since"')),
    (
        "last_meeting_or_call_at",
        re.compile(r'^UPDATE "customers_account" SET "last_meeting_or_call_at"'),
    ),
)


def recreate_database() -> str:
    """Drop and create the bench database; returns its URL."""
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return f"{SERVER}/{DB_NAME}"


def child(accounts: int) -> None:
    """One measured run (in its own process); prints one JSON line."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from demo import writer

    call_command("migrate", verbosity=0, skip_checks=True)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sql_seconds: Counter = Counter()
    sql_calls: Counter = Counter()
    deriving = []  # not empty while rebuild_derived runs (the score history reads contracts too)
    rebuild_derived = writer.rebuild_derived

    def rebuild_timed(**kwargs):
        deriving.append(True)
        try:
            return rebuild_derived(**kwargs)
        finally:
            deriving.clear()

    writer.rebuild_derived = rebuild_timed

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            for name, pattern in DERIVE_STATEMENTS if deriving else ():
                if pattern.match(sql):
                    sql_seconds[name] += time.perf_counter() - started
                    sql_calls[name] += 1
                    break

    started, cpu = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(timed):
        result = writer.seed_demo(accounts=accounts, seed=1)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    load = os.getloadavg()[0]
    print(
        json.dumps(
            {
                "accounts": accounts,
                "wall": wall,
                "cpu": cpu,
                "load": load,
                "generate": result.seconds_generate,
                "insert": result.seconds_insert,
                "derive": result.seconds_derive,
                "history": result.seconds_history,
                "insert_by_table": result.insert_seconds_by_table,
                "counts": result.counts,
                "derive_sql": dict(sql_seconds),
                "derive_calls": dict(sql_calls),
                "rss_before_kb": rss_before,
                "rss_peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            }
        )
    )


def report(r: dict) -> None:
    rows = sum(r["counts"].values())
    print(f"\n== seed_demo --accounts {r['accounts']:,}")
    print(
        f"wall {r['wall']:.1f} s ({'under' if r['wall'] < TARGET_SECONDS else 'OVER'} the "
        f"{TARGET_SECONDS} s target): generate {r['generate']:.1f} s, insert {r['insert']:.1f} s, "
        f"rebuild_derived {r['derive']:.1f} s ({100 * r['derive'] / r['wall']:.0f} %), "
        f"score history {r['history']:.1f} s"
    )
    print(f"{rows:,} rows, {rows / r['wall']:,.0f} rows/s overall")
    print(
        f"CPU of the seeding process {r['cpu']:.1f} s (the rest is PostgreSQL and waiting); "
        f"load average at the end {r['load']:.1f} on {os.cpu_count()} CPUs"
    )
    print(
        f"peak RSS {r['rss_peak_kb'] / 1024:,.0f} MB "
        f"(after Django setup and migrate: {r['rss_before_kb'] / 1024:,.0f} MB)"
    )
    print(f"{'table':<36} {'rows':>12} {'insert s':>9} {'rows/s':>10}")
    for label, count in sorted(r["counts"].items(), key=lambda kv: -kv[1]):
        seconds = r["insert_by_table"].get(label)
        speed = f"{count / seconds:,.0f}" if seconds else ""
        print(f"{label:<36} {count:>12,} {seconds or 0:>9.2f} {speed:>10}")
    print("rebuild_derived, by statement:")
    sql_total = 0.0
    for name, _ in DERIVE_STATEMENTS:
        seconds = r["derive_sql"].get(name, 0.0)
        sql_total += seconds
        calls = r["derive_calls"].get(name, 0)
        print(f"  {name:<22} {seconds:>8.2f} s in {calls:>4} statements")
    print(f"  {'Python (rest)':<22} {r['derive'] - sql_total:>8.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also 100,000 accounts")
    parser.add_argument("--accounts", type=int, nargs="*", help="sizes to run instead")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    sizes = args.accounts or ([10_000, 100_000] if args.full else [10_000])
    results = []
    for accounts in sizes:
        url = recreate_database()
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "crm.settings"}
        print(f"seeding {accounts:,} accounts into {DB_NAME} ...", flush=True)
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(accounts)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        result = json.loads(out.strip().splitlines()[-1])
        results.append(result)
        report(result)
    if len(results) > 1:
        a, b = results[0], results[-1]
        scale = b["accounts"] / a["accounts"]
        print(
            f"\n{b['accounts']:,} vs {a['accounts']:,} accounts (×{scale:.0f}): wall "
            f"×{b['wall'] / a['wall']:.1f}, generate+insert "
            f"×{(b['generate'] + b['insert']) / (a['generate'] + a['insert']):.1f}, "
            f"rebuild_derived ×{b['derive'] / a['derive']:.1f}, "
            f"peak RSS ×{b['rss_peak_kb'] / a['rss_peak_kb']:.1f}"
        )


if __name__ == "__main__":
    main()
