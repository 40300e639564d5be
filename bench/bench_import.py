"""Benchmark of the CSV import: 20,000 accounts, then 100,000 contracts, into a fresh PostgreSQL
database; a first import, a re-import (all unchanged) and an import that changes a tenth of the
contracts. Prints rows/s and the time against the 60 s target for 100,000 contract rows.

    .venv/bin/python bench/bench_import.py [--accounts 20000] [--contracts 100000]

Uses (and recreates) the database named in DATABASE_URL, by default
postgres://postgres@127.0.0.1:5432/treue_bench_import.
"""

import argparse
import datetime as dt
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/treue_bench_import")

TARGET_SECONDS = 60.0
TARGET_ROWS = 100_000


def recreate_database(url: str) -> None:
    import environ
    import psycopg

    config = environ.Env.db_url_config(url)
    if "postgresql" not in config["ENGINE"]:
        sys.exit("bench_import needs PostgreSQL: set DATABASE_URL=postgres://...")
    name = config["NAME"]
    with psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
        user=config["USER"] or "postgres",
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def write_files(directory: Path, accounts: int, contracts: int, owners: list[str]):
    rng = random.Random(42)
    segments = ["SMB", "Mid-market", "Enterprise"]
    accounts_csv = directory / "accounts.csv"
    with accounts_csv.open("w", encoding="utf-8") as out:
        out.write("name,external_id,segment,industry,employees,owner_email\n")
        for i in range(accounts):
            out.write(
                f"Account {i:06d} GmbH,EXT-{i:06d},{rng.choice(segments)},Software,"
                f"{rng.randint(5, 5000)},{rng.choice(owners)}\n"
            )
    rows = []
    for i in range(contracts):
        start = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randint(0, 1800))
        end = start + dt.timedelta(days=365 * rng.randint(1, 3) - 1) if rng.random() < 0.7 else ""
        cancelled = start + dt.timedelta(days=rng.randint(30, 300)) if rng.random() < 0.1 else ""
        value = f"{rng.randint(100, 20000)}.{rng.randint(0, 99):02d}"
        account = f"EXT-{i % accounts:06d}" if i % 2 else f"Account {i % accounts:06d} GmbH"
        rows.append([account, f"C-{i:07d}", start.isoformat(), str(end), str(cancelled), value])
    contracts_csv = directory / "contracts.csv"
    changed_csv = directory / "contracts_changed.csv"
    header = "account,reference,start_date,end_date,cancelled_on,monthly_value\n"
    contracts_csv.write_text(header + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    for i, row in enumerate(rows):
        if i % 10 == 0:
            row[5] = f"{float(row[5]) + 1:.2f}"
    changed_csv.write_text(header + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    return accounts_csv, contracts_csv, changed_csv


def timed(kind: str, path: Path, *extra: str) -> tuple[float, float, str]:
    """Wall-clock and this process's CPU seconds (the database's own work is in the first
    only) of one ``import_csv`` run, and its summary line."""
    from django.core.management import call_command

    out = io.StringIO()
    wall, cpu = time.perf_counter(), time.process_time()
    call_command("import_csv", kind, str(path), *extra, stdout=out)
    summary = out.getvalue().strip().splitlines()[-1]
    return time.perf_counter() - wall, time.process_time() - cpu, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--contracts", type=int, default=100_000)
    args = parser.parse_args()

    recreate_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    from crm.models import Team, User
    from customers.models import Account, Contract, CustomerSpan

    call_command("migrate", verbosity=0)
    team = Team.objects.create(name="Bench team")
    owners = [
        User.objects.create(username=f"csm{i}", email=f"csm{i}@bench.example", team=team).email
        for i in range(20)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        accounts_csv, contracts_csv, changed_csv = write_files(
            Path(tmp), args.accounts, args.contracts, owners
        )
        runs = [
            ("accounts", accounts_csv, args.accounts, "first import", ()),
            ("accounts", accounts_csv, args.accounts, "re-import", ()),
            ("contracts", contracts_csv, args.contracts, "dry run", ("--dry-run",)),
            ("contracts", contracts_csv, args.contracts, "first import", ()),
            ("contracts", contracts_csv, args.contracts, "re-import", ()),
            ("contracts", changed_csv, args.contracts, "10% changed", ()),
        ]
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"database: {os.environ['DATABASE_URL'].rsplit('/', 1)[-1]} (PostgreSQL); "
            f"{os.cpu_count()} CPUs, load average {load}"
        )
        print(
            f"{'import':<28} {'rows':>7} {'seconds':>8} {'cpu s':>6} {'rows/s':>7}  target  summary"
        )
        for kind, path, rows, label, extra in runs:
            seconds, cpu, summary = timed(kind, path, *extra)
            target = TARGET_SECONDS * rows / TARGET_ROWS
            print(
                f"{kind + ' ' + label:<28} {rows:>7} {seconds:>8.2f} {cpu:>6.1f} "
                f"{rows / seconds:>7.0f}  {seconds / target:>5.2f}×  {summary}"
            )
    print(
        f"stored: {Account.objects.count()} accounts, {Contract.objects.count()} contracts, "
        f"{CustomerSpan.objects.count()} customer spans"
    )
    print(
        f"target: {TARGET_ROWS} rows in {TARGET_SECONDS:.0f} s "
        f"(target column = seconds / (60 s × rows / 100,000); below 1.00 meets it)"
    )


if __name__ == "__main__":
    main()
