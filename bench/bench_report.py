"""How fast the retention report page renders on the 100,000-account demo book, cold and warm.

    .venv/bin/python bench/bench_report.py             # treue_bench_metrics, 9 runs each
    .venv/bin/python bench/bench_report.py --runs 15

Runs against ``DATABASE_URL`` (default: PostgreSQL database ``treue_bench_metrics``, seeded by
``bench/bench_metrics.py`` with ``seed_demo --accounts 100000``; this script only migrates it).
Snapshots of the last 24 closed months are written first when some are missing (what the
monthly beat task does; its time is printed). The page is rendered in this process through
Django's test ``Client`` as an admin, DEBUG off: **cold** = the cache cleared before each
render (figures, cohorts and breakdowns computed), **warm** = the same request again (read
from the cache; the trend always reads the snapshots). Printed: median and best wall time, the
ratio to the 300 ms target (issue 4), the number of queries and the time spent in them.
"""

import argparse
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/treue_bench_metrics"
TARGET = 0.300


def setup_django() -> None:
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    # Measured as served: DEBUG off (cached templates, no query log).
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
    os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
    os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def render(client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    seconds = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code)
    return seconds


def queries_of(client, url: str) -> tuple[int, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured), sum(float(q["time"]) for q in captured.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="renders per case (median)")
    args = parser.parse_args()
    setup_django()

    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from crm.models import User
    from crm.periods import add_months, closed_months
    from customers.models import Account, Contract, Segment
    from retention.figures.snapshots import snapshot_closed_months
    from retention.models import MonthlySnapshot

    call_command("migrate", verbosity=0)
    accounts = Account.objects.count()
    if not accounts:
        sys.exit("No accounts: seed the book first (bench/bench_metrics.py does).")
    today = timezone.localdate()
    months = closed_months(today=today, count=24)
    stored = MonthlySnapshot.objects.filter(
        segment__isnull=True, month__gte=months[0], month__lte=months[-1]
    ).count()
    if stored < len(months):
        print(f"{len(months) - stored} of 24 closed months lack snapshots: writing them …")
        started = time.perf_counter()
        summary = snapshot_closed_months(months=24, today=today)
        print(f"  snapshot_closed_months: {summary} in {time.perf_counter() - started:.1f} s")

    admin, _created = User.objects.get_or_create(
        username="bench-report-admin", defaults={"is_superuser": True}
    )
    client = Client()
    client.force_login(admin)
    report = reverse("retention:report")
    this_month = today.replace(day=1)
    quarter_month = add_months(this_month, -3 - (this_month.month - 1) % 3)
    quarter = f"{quarter_month.year}-Q{(quarter_month.month - 1) // 3 + 1}"
    segment = Segment.objects.order_by("name").first()
    cases = [
        (f"last month ({add_months(this_month, -1):%Y-%m})", f"{report}"),
        (f"last quarter ({quarter})", f"{report}?period={quarter}"),
        (f"last year ({today.year - 1})", f"{report}?period={today.year - 1}"),
        (f"{quarter}, segment {segment}", f"{report}?period={quarter}&segment={segment.pk}"),
    ]
    print(
        f"\n{connection.vendor} {connection.settings_dict['NAME']}: {accounts:,} accounts, "
        f"{Contract.objects.count():,} contracts; cache {cache.__class__.__name__}; "
        f"{args.runs} runs each; target {TARGET * 1000:.0f} ms"
    )
    print(f"{'page':<34} {'':>5} {'median':>9} {'best':>9} {'ratio':>7} {'queries':>8} {'SQL':>9}")
    worst_warm = worst_cold = 0.0
    for label, url in cases:
        cache.clear()
        render(client, url)  # warm-up: connection, templates, planner
        results = {}
        for state in ("cold", "warm"):
            times = []
            for _ in range(args.runs):
                if state == "cold":
                    cache.clear()
                times.append(render(client, url))
            if state == "cold":
                cache.clear()
            count, sql = queries_of(client, url)
            results[state] = (statistics.median(times), min(times), count, sql)
        for state, (median, best, count, sql) in results.items():
            print(
                f"{label if state == 'cold' else '':<34} {state:>5} {median * 1000:7.1f} ms "
                f"{best * 1000:7.1f} ms {median / TARGET:6.2f}× {count:8d} {sql * 1000:7.1f} ms"
            )
        worst_cold = max(worst_cold, results["cold"][0])
        worst_warm = max(worst_warm, results["warm"][0])
    cold_verdict = "met" if worst_cold < TARGET else "over: first request after a ledger change"
    print(
        f"\nslowest warm render {worst_warm * 1000:.1f} ms = {worst_warm / TARGET:.2f}× the "
        f"{TARGET * 1000:.0f} ms target ({'met' if worst_warm < TARGET else 'MISSED'}); "
        f"slowest cold render {worst_cold * 1000:.1f} ms = {worst_cold / TARGET:.2f}× "
        f"({cold_verdict})"
    )


if __name__ == "__main__":
    main()
