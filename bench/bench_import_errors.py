"""How long checking a bad CSV file takes, and how much memory: 200,000 rows with a problem on
every row, as a dry run of ``import_csv`` (issue 14, finding 1: before, 10,000 rows with one
name took 39 s and 3.5 GB, and a 6 MB file with a bad column in every row passed 12.8 GB).

    .venv/bin/python bench/bench_import_errors.py [--rows 200000]

Three files, each checked in a process of its own so its peak RSS (``getrusage``) is its own:

- ``bad values``: accounts whose every row has a bad cell (a word for a number, a formula, an
  unknown owner, a negative number), in turn;
- ``one name``: accounts, every row named the same (each row is a duplicate of all others);
- ``bad terms``: contracts of stored accounts, every one ending before it starts (the
  service's terms check), every tenth naming an account that does not exist.

Targets: under 30 s and 500 MB each (the process's peak, Django included; its size before the
import is printed too). The CPU seconds of the process are printed beside the wall-clock ones:
on a busy machine the difference is mostly time spent waiting for a CPU.

Runs against PostgreSQL: ``BENCH_DATABASE_URL`` (default
postgres://postgres@127.0.0.1:5432/treue_bench_import_errors), created and migrated on first
use, with 20 users and 1,000 accounts.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/treue_bench_import_errors"
TARGET_SECONDS, TARGET_MB = 30, 500
STORED_ACCOUNTS = 1000
SCENARIOS = ("bad values", "one name", "bad terms")


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup_django() -> None:
    os.environ["DATABASE_URL"] = database_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare_database() -> None:
    """Create and migrate the database, with a team, 20 users and 1,000 accounts."""
    sys.path.insert(0, str(ROOT / "bench"))
    from benchdb import create_database

    create_database(database_url(), templates=[], reseed=False)
    setup_django()
    from django.core.management import call_command

    from crm.models import Team, User
    from customers.models import Account

    call_command("migrate", verbosity=0)
    if not Account.objects.exists():
        team = Team.objects.create(name="Bench team")
        for i in range(20):
            User.objects.create(username=f"csm{i}", email=f"csm{i}@bench.example", team=team)
        Account.objects.bulk_create(
            Account(name=f"Stored {i:04d} GmbH", external_id=f"S-{i:04d}", team=team)
            for i in range(STORED_ACCOUNTS)
        )


def write_file(scenario: str, rows: int, path: Path) -> str:
    """The file of ``scenario`` with ``rows`` rows; returns its kind."""
    with path.open("w", encoding="utf-8") as out:
        if scenario == "bad values":
            out.write("name,external_id,industry,employees,owner_email\n")
            for i in range(rows):
                name, industry, employees = f"Account {i:06d}", "Software", "12"
                owner = f"csm{i % 20}@bench.example"
                match i % 4:
                    case 0:
                        employees = "many"
                    case 1:
                        industry = f"Retail;=HYPERLINK({i})"
                    case 2:
                        owner = f"nobody{i}@bench.example"
                    case 3:
                        employees = "-3"
                out.write(f'{name},E{i:06d},"{industry}",{employees},{owner}\n')
            return "accounts"
        if scenario == "one name":
            out.write("name,industry\n")
            out.writelines("Acme GmbH,Software\n" for _ in range(rows))
            return "accounts"
        out.write("account,reference,start_date,end_date,monthly_value\n")
        for i in range(rows):
            account = f"S-{i % STORED_ACCOUNTS:04d}" if i % 10 else f"Nowhere {i}"
            out.write(f"{account},C-{i:07d},2025-06-01,2025-01-31,{100 + i % 900}.50\n")
        return "contracts"


def measure(scenario: str, rows: int) -> dict:
    """One dry run in this process: seconds, peak RSS, problems reported."""
    import io

    setup_django()
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bad.csv"
        kind = write_file(scenario, rows, path)
        size = path.stat().st_size
        before = peak_mb()
        err = io.StringIO()
        start, cpu = time.perf_counter(), time.process_time()
        try:
            call_command(
                "import_csv", kind, str(path), "--dry-run", stdout=io.StringIO(), stderr=err
            )
            outcome = "accepted (expected problems!)"
        except CommandError as refused:
            outcome = str(refused).split(": ", 1)[1]
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    listed = err.getvalue().splitlines()
    return {
        "scenario": scenario,
        "kind": kind,
        "rows": rows,
        "mb_file": size / 2**20,
        "seconds": seconds,
        "cpu": cpu,
        "peak_mb": peak_mb(),
        "before_mb": before,
        "outcome": outcome,
        "lines_printed": len(listed),
        "longest_line": max(map(len, listed), default=0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--measure", choices=SCENARIOS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.rows)))
        return

    prepare_database()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"database: {database_url().rsplit('/', 1)[-1]} (PostgreSQL); {os.cpu_count()} CPUs, "
        f"load average {load}"
    )
    print(
        f"{'file':<11} {'kind':<10} {'rows':>7} {'MB':>5} {'seconds':>8} {'× 30 s':>7} "
        f"{'cpu s':>6} {'peak MB':>8} {'× 500':>6} {'before':>7}  outcome (lines printed, "
        "longest)"
    )
    failed = False
    for scenario in SCENARIOS:
        child = subprocess.run(
            [sys.executable, __file__, "--measure", scenario, "--rows", str(args.rows)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(child.stdout.strip().splitlines()[-1])
        failed |= r["seconds"] > TARGET_SECONDS or r["peak_mb"] > TARGET_MB
        print(
            f"{scenario:<11} {r['kind']:<10} {r['rows']:>7} {r['mb_file']:>5.1f} "
            f"{r['seconds']:>8.2f} {r['seconds'] / TARGET_SECONDS:>6.2f}× {r['cpu']:>6.1f} "
            f"{r['peak_mb']:>8.0f} {r['peak_mb'] / TARGET_MB:>5.2f}× {r['before_mb']:>7.0f}  "
            f"{r['outcome']} ({r['lines_printed']}, {r['longest_line']} chars)"
        )
    print(
        f"targets: a dry run of {args.rows:,} bad rows in < {TARGET_SECONDS} s and "
        f"< {TARGET_MB} MB peak RSS (below 1.00× meets it)"
    )
    if failed:
        print("a target was missed")


if __name__ == "__main__":
    main()
