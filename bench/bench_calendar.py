"""How fast the calendar, the private feed and the daily digests are on the 100,000-account
demo book (issue 16).

    .venv/bin/python bench/bench_calendar.py                 # 100,000 demo accounts
    .venv/bin/python bench/bench_calendar.py --runs 25 --explain

Runs against PostgreSQL: ``BENCH_DATABASE_URL`` (default
postgres://postgres@127.0.0.1:5432/treue_bench_calendar), created, migrated and seeded like the
page bench's (``bench/benchdb.py``: a copy of ``--template`` when nobody is connected to it,
else ``seed_demo``). The people are the page bench's: a CSM with about 300 accounts and their
team lead (a team of about 12,500 accounts).

Printed: the median time of each page (Django's test client, DEBUG off) with its ratio to the
target and its queries; the time for 350 users' digests (written and sent to a memory
backend, each claimed as in production) after the morning run posted the follow-ups due.

Beside each median: its multiple of the page bench's calibration query (``SELECT count(*) FROM
customers_contract``) measured in the same run, and the target's (200 ms = 20×, 300 ms = 30×:
10 ms on the README's machine); see ``bench/bench_pages.py``.

Targets: the calendar's month under 200 ms for the CSM and for the lead's whole team; the
feed under 300 ms for the same lead (and the CSM); 350 digests under 60 s.
"""

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/treue_bench_calendar"
)
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_pages

CALENDAR_TARGET, FEED_TARGET, DIGESTS_TARGET = 0.200, 0.300, 60.0


def line(name: str, result: dict, target: float, base: float) -> None:
    ms = result["median"] * 1000
    print(
        f"  {name:<44} {ms:7.1f} ms  ({ms / (target * 1000):.2f} of {target * 1000:.0f} ms)"
        f"  {bench_pages.ratio_text(result['median'], base, target):>15}"
        f"  {result['queries']:3d} queries, {result['sql'] * 1000:6.1f} ms SQL"
    )


def pages(runs: int, explain: bool) -> None:
    from django.test import Client

    from crm import feeds

    people = bench_pages.personas()
    csm, lead = people["csm"], people["lead"]
    print(f"CSM {csm} ({people['csm_accounts']} accounts), lead {lead} (team {lead.team})")
    base = bench_pages.calibration(runs)
    print(
        f"Calibration: {bench_pages.CALIBRATION_SQL} {base * 1000:.1f} ms (median of {runs}); "
        "beside each median its multiple of it, the target's multiple in brackets"
    )
    checks = []
    for who, user, query, target in (
        ("calendar month, CSM", csm, "?view=month", CALENDAR_TARGET),
        ("calendar week, CSM", csm, "?view=week", CALENDAR_TARGET),
        ("calendar month, lead, whole team", lead, "?view=month&who=team", CALENDAR_TARGET),
        ("calendar week, lead, whole team", lead, "?view=week&who=team", CALENDAR_TARGET),
        ("calendar day, lead, whole team", lead, "?view=day&who=team", CALENDAR_TARGET),
    ):
        client = Client()
        client.force_login(user)
        checks.append((who, bench_pages.measure(client, "/calendar/" + query, runs), target))
    for who, user in (("ICS feed, lead", lead), ("ICS feed, CSM", csm)):
        client = Client()
        result = bench_pages.measure(client, feeds.feed_path(user), runs)
        events = client.get(feeds.feed_path(user)).content.count(b"BEGIN:VEVENT")
        checks.append((f"{who} ({events} events)", result, FEED_TARGET))
    for name, result, target in checks:
        line(name, result, target, base)
        if explain:
            bench_pages.explain(result["captured"])


def digests(users: int) -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core import mail
    from django.db import transaction
    from django.utils import timezone

    from retention import digest

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    today = timezone.localdate()
    ids = list(
        get_user_model().objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True)
    )[:users]
    with transaction.atomic():
        # Measured, then undone: the book stays as it was for the next run.
        get_user_model().objects.filter(pk__in=ids).update(digest_sent_on=None)
        started = time.perf_counter()
        queued: list[int] = []
        run = digest.start_daily_run(today=today, send=lambda uid, day: queued.append(uid))
        posted = time.perf_counter() - started
        sent = sum(digest.send_digest(user_id=uid, day=today) for uid in ids)
        took = time.perf_counter() - started
        transaction.set_rollback(True)
    print(
        f"  {len(ids)} digests: {took:6.1f} s ({took / DIGESTS_TARGET:.2f} of "
        f"{DIGESTS_TARGET:.0f} s); {sent} emails, morning run {posted:.1f} s "
        f"({run['follow_ups_due']:,} follow-ups due posted to inboxes)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15, help="requests per page (median)")
    parser.add_argument("--users", type=int, default=350, help="digests to write and send")
    parser.add_argument("--template", default="treue_bench_pages", help="database to copy")
    parser.add_argument("--reseed", action="store_true", help="seed a new book")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN each page's slowest")
    args = parser.parse_args()

    bench_pages.ensure_database(accounts=args.accounts, template=args.template, reseed=args.reseed)
    bench_pages.setup_django()
    print(f"Database {bench_pages.database_url()}")
    pages(args.runs, args.explain)
    digests(args.users)


if __name__ == "__main__":
    main()
