"""Global search (issue 13): the search page and ``/api/v1/search/`` on the 100,000-account
demo book (about a million interactions), as an admin (every row), a team lead and a CSM.

    .venv/bin/python bench/bench_search.py                   # 100,000 demo accounts
    .venv/bin/python bench/bench_search.py --runs 3 --explain
    .venv/bin/python bench/bench_search.py --accounts 1000 --grow 100   # 100k in minutes

Runs against PostgreSQL: ``BENCH_DATABASE_URL`` (default
postgres://postgres@127.0.0.1:5432/treue_bench_search). A missing database is a copy of the
first of ``--template`` that exists (waiting up to ``--wait`` s for nobody to be connected to
it), else seeded with ``seed_demo --accounts N``; then migrated, which adds the search vectors
and their GIN indexes to a book that had none: the time that took is printed.

The queries are drawn from the book (fixed seed): a contact's exact email, a full account
name, an external ID, a name's first four letters, a surname, the common words of the demo's
summaries and notes ("QBR", "pricing", "renewal", ...), two-word queries, a word nobody wrote
and hostile punctuation. Each is asked ``--runs`` times by each persona through Django's test
``Client`` (DEBUG off, the whole page rendered; the API answers JSON). Printed: per group and
overall p50 / p95 / max and the queries per request, against the 150 ms p95 target, and the
machine's load.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/treue_bench_search")

import bench_pages  # noqa: E402  (reads BENCH_DATABASE_URL)
import benchdb  # noqa: E402

P95_TARGET = 0.150
COMMON_WORDS = ["QBR", "pricing", "renewal", "call", "training", "budget", "usage"]
TWO_WORDS = ["check-in call", "renewal quote", "pricing question", "budget cuts"]
HOSTILE = ["'&|!:*()", "a:* | b & !c", "x" * 200, "é" * 150, "\\ ' \" %_"]


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def prepare(args) -> float:
    """The database, copied or seeded (or grown), then migrated; returns the migration's
    seconds."""
    url = bench_pages.database_url()
    benchdb.create_database(url, templates=args.template, reseed=False, wait=args.wait)
    if args.grow > 1:
        bench_pages.manage("migrate", "-v0")
        benchdb.seed_if_empty(url, accounts=args.accounts, manage=bench_pages.manage)
        # Without the search vectors while the book grows: migrating adds them to it all.
        bench_pages.manage("migrate", "interactions", "0007", "-v0")
        grow(url, args.grow)
    started = time.perf_counter()
    bench_pages.manage("migrate", "-v0")
    migrated = time.perf_counter() - started
    benchdb.seed_if_empty(url, accounts=args.accounts, manage=bench_pages.manage)
    return migrated


def grow(url: str, factor: int) -> None:
    """Copy every account with its contacts and interactions ``factor - 1`` times (names and
    external IDs get the copy's number): a book of the size of the 100,000-account demo from
    a small seeded one, with the demo's words, owners and teams, in minutes instead of the
    hour ``seed_demo`` takes on a shared 2-core machine."""
    import psycopg

    print(f"Growing the book {factor}× …", flush=True)
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=False) as conn:
        conn.execute(
            "CREATE TEMP TABLE copies AS SELECT a.id AS src, n, "
            "nextval(pg_get_serial_sequence('customers_account', 'id')) AS dst "
            "FROM customers_account a, generate_series(1, %s) n",
            [factor - 1],
        )
        conn.execute(
            "INSERT INTO customers_account (id, name, external_id, segment_id, industry, "
            "employees, budget_band, owner_id, team_id, created_at, updated_at, "
            "last_meeting_or_call_at, customer_since, churned_on, mrr, next_renewal_on, "
            "derived_on) SELECT c.dst, a.name || ' ' || c.n, a.external_id || '-' || c.n, "
            "segment_id, industry, employees, budget_band, owner_id, team_id, created_at, "
            "updated_at, last_meeting_or_call_at, customer_since, churned_on, mrr, "
            "next_renewal_on, derived_on FROM copies c JOIN customers_account a ON a.id = c.src"
        )
        conn.execute(
            "INSERT INTO customers_contact (account_id, name, email, phone, title, "
            "is_decision_maker, is_champion, preferred_channel, preferences, left_on, "
            "created_at, updated_at) SELECT c.dst, name, email, phone, title, "
            "is_decision_maker, is_champion, preferred_channel, preferences, left_on, "
            "created_at, updated_at FROM copies c JOIN customers_contact t ON t.account_id = c.src"
        )
        conn.execute(
            "INSERT INTO interactions_interaction (account_id, kind, occurred_at, author_id, "
            "summary, notes, tone, next_steps, created_at, updated_at, deleted_at) "
            "SELECT c.dst, kind, occurred_at, author_id, summary, notes, tone, next_steps, "
            "created_at, updated_at, deleted_at FROM copies c "
            "JOIN interactions_interaction i ON i.account_id = c.src"
        )
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        for table in ("customers_account", "customers_contact", "interactions_interaction"):
            conn.execute(f"VACUUM ANALYZE {table}")
    print(f"Grown in {time.perf_counter() - started:.0f} s.", flush=True)


def book() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        counts = {}
        for table in ("customers_account", "customers_contact", "interactions_interaction"):
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table.split("_", 1)[1]] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT pg_size_pretty(sum(pg_relation_size(indexrelid))) FROM pg_index "
            "JOIN pg_class c ON c.oid = indexrelid WHERE c.relname LIKE '%%_search_idx'"
        )
        counts["index size"] = cursor.fetchone()[0]
    return counts


def queries(user, rng: random.Random) -> dict[str, list[str]]:
    """Queries a person would type, drawn from what ``user`` may see."""
    from crm import scoping
    from customers.models import Account, Contact

    accounts = scoping.visible(user, Account.objects.all())
    contacts = scoping.visible(user, Contact.objects.exclude(email=""), via="account")

    def sample(queryset, field: str, n: int) -> list[str]:
        top = queryset.order_by("pk").values_list("pk", flat=True).last() or 0
        picked = []
        while len(picked) < n and top:
            value = (
                queryset.filter(pk__gte=rng.randint(1, top))
                .order_by("pk")
                .values_list(field, flat=True)
                .first()
            )
            if value:
                picked.append(value)
        return picked

    names = sample(contacts, "name", 4)
    return {
        "exact email": sample(contacts, "email", 4),
        "account name": sample(accounts, "name", 3),
        "external ID": sample(accounts.exclude(external_id=None), "external_id", 2),
        "name prefix": [name.split()[-1][:4] for name in names[:2]],
        "surname": [name.split()[-1] for name in names[2:]],
        "common word": COMMON_WORDS,
        "two words": TWO_WORDS,
        "no match": ["zzyzx", "Quokkafabrik"],
        "hostile": HOSTILE,
        "empty (the page alone)": [""],
    }


def backend_cpu() -> float:
    """CPU seconds the PostgreSQL backend of Django's connection has used (same machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(client, url: str, params: dict, runs: int) -> tuple[list, list, list]:
    """Wall times and CPU times (this process + its PostgreSQL backend) of ``runs``
    requests, and the queries of one more. On a busy machine the wall time waits for a CPU;
    the CPU time is what the request costs on an idle core."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url, params)  # warm
    assert response.status_code in (200, 400), (url, params, response.status_code)
    walls, cpus = [], []
    for _ in range(runs):
        database = backend_cpu()
        started, cpu = time.perf_counter(), time.process_time()
        client.get(url, params)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu + backend_cpu() - database)
    with CaptureQueriesContext(connection) as captured:
        client.get(url, params)
    return walls, cpus, captured.captured_queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5, help="requests per query and persona")
    parser.add_argument(
        "--template",
        nargs="*",
        default=["treue_bench_pages", "treue_bench_follows", "treue_bench_health"],
        help="databases to copy (the first that exists)",
    )
    parser.add_argument("--wait", type=float, default=1800, help="s to wait for a template")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN the slowest queries")
    parser.add_argument(
        "--grow",
        type=int,
        default=1,
        help="copy a small book's accounts this many times (with --accounts 1000 --grow 100: "
        "100,000 accounts, about a million interactions)",
    )
    args = parser.parse_args()

    migrated = prepare(args)
    bench_pages.setup_django()
    from django.test import Client
    from django.urls import reverse

    size = book()
    who = bench_pages.personas()
    people = {"admin": who["admin"], "team lead": who["lead"], "CSM": who["csm"]}
    print(
        f"Book: {size['account']:,} accounts, {size['contact']:,} contacts, "
        f"{size['interaction']:,} interactions; search indexes {size['index size']}. "
        f"Migrating took {migrated:.1f} s (the vectors and indexes, when they were new)."
    )
    rng = random.Random(13)
    page, api = reverse("search:search"), reverse("api:search")
    everything, cpu_all, by_group, slowest = [], [], {}, []
    print(
        f"\n{'persona':<10} {'group':<22} {'p50':>8} {'p95':>8} {'max':>8} {'CPU p95':>8} "
        f"{'queries':>8}"
    )
    for label, user in people.items():
        client = Client()
        client.force_login(user)
        for group, texts in queries(user, rng).items():
            times, cpus, counts = [], [], []
            for text in texts:
                for url, extra in ((page, {}), (api, {}), (page, {"kind": "interaction"})):
                    taken, cpu, captured = measure(client, url, {"q": text, **extra}, args.runs)
                    times += taken
                    cpus += cpu
                    counts.append(len(captured))
                    slowest.append((max(taken), label, text, extra, captured))
            everything += times
            cpu_all += cpus
            by_group.setdefault(group, []).extend(times)
            print(
                f"{label:<10} {group:<22} {statistics.median(times) * 1000:6.1f}ms "
                f"{p95(times) * 1000:6.1f}ms {max(times) * 1000:6.1f}ms "
                f"{p95(cpus) * 1000:6.1f}ms {min(counts)}–{max(counts):>3}",
                flush=True,
            )
    print(f"\n{'all personas':<25} {'p50':>8} {'p95':>8} {'max':>8}")
    for group, times in by_group.items():
        print(
            f"{group:<25} {statistics.median(times) * 1000:6.1f}ms {p95(times) * 1000:6.1f}ms "
            f"{max(times) * 1000:6.1f}ms"
        )
    overall = p95(everything)
    verdict = "ok" if overall < P95_TARGET else "OVER"
    print(
        f"\nAll {len(everything):,} requests: p50 {statistics.median(everything) * 1000:.1f} ms, "
        f"p95 {overall * 1000:.1f} ms = {overall / P95_TARGET:.2f}× the 150 ms target ({verdict}); "
        f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())} on "
        f"{os.cpu_count()} cores."
    )
    cpu95 = p95(cpu_all)
    print(
        f"CPU per request (Django + its PostgreSQL backend): p50 "
        f"{statistics.median(cpu_all) * 1000:.1f} ms, p95 {cpu95 * 1000:.1f} ms = "
        f"{cpu95 / P95_TARGET:.2f}× the target: what a request takes on an idle core."
    )
    if size["interaction"] < 900_000:
        print(
            f"Note: {size['interaction']:,} interactions, not the 1M of the 100k-account book; "
            "a common word's matches grow with the book, the rest barely."
        )
    if args.explain:
        slowest.sort(key=lambda entry: entry[0], reverse=True)
        for taken, label, text, extra, captured in slowest[:3]:
            print(f"\n--- {taken * 1000:.0f} ms, {label}, q={text!r} {extra}")
            bench_pages.explain(captured, top=1)


if __name__ == "__main__":
    main()
