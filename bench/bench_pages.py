"""How fast the pages render on the 100,000-account demo book, and that their number of queries
does not grow with it (issue 5: the at-risk list; issue 6: the CSM's pages).

    .venv/bin/python bench/bench_pages.py                  # 100,000 demo accounts
    .venv/bin/python bench/bench_pages.py --runs 25 --explain
    .venv/bin/python bench/bench_pages.py --accounts 20000 --reseed

Runs against PostgreSQL: ``BENCH_DATABASE_URL`` (default
postgres://postgres@127.0.0.1:5432/treue_bench_pages). A missing database is copied from
``--template`` (``treue_bench_health``, the scoring bench's book, when it exists and nobody is
connected to it: a file copy of a few seconds) or else created and filled with ``seed_demo
--accounts N`` and ``score_accounts``. Then ``migrate``; when the book has a single scoring day,
a run 30 days back and today's run again give it a history (trends and drops); when it has
fewer than ``--flags`` unresolved risk flags, flags are added to scored customer accounts.

Each page is rendered in this process through Django's test ``Client`` (``force_login``, DEBUG
off, cached templates) once to warm up and then ``--runs`` times; printed: the median time,
its ratio to the target, the number of queries and the time spent in them. The at-risk list
is measured as an admin (every flag), as a team lead (their team's), deep in the pages, sorted
and filtered, to show that its number of queries stays the same.

Beside each median: its multiple of a calibration query measured in the same run (``SELECT
count(*) FROM customers_contract``, as ``bench/bench_metrics.py``), and the target as such a
multiple (10 ms on the README's machine: 300 ms = 30×, 200 ms = 20×), which travels from
machine to machine where milliseconds do not (issue 18).

Targets: the at-risk list under 300 ms with a constant number of queries; each CSM page
(portfolio of a CSM with about 300 accounts, account page, handover brief, team dashboard,
accounts list) under 200 ms; so is the account page of a flag with a 50 KB comment (issue 14,
finding 2: pages parsed stored text back with regular expressions that backtracked on it).
"""

import argparse
import datetime as dt
import os
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/treue_bench_pages"
AT_RISK_TARGET, PAGE_TARGET = 0.300, 0.200
# Calibration (issue 18): a bare count over contracts, as bench/bench_metrics.py measures it, in
# the same run. It took 10 ms on the machine where the README's figures were taken, so each
# millisecond target is also a ratio to it that travels from machine to machine: 200 ms = 20×.
CALIBRATION_SQL = "SELECT count(*) FROM customers_contract"
CALIBRATION_REFERENCE = 0.010


def target_ratio(target: float) -> float:
    """``target`` (seconds on the README's machine) as a multiple of its calibration query."""
    return target / CALIBRATION_REFERENCE


def calibration(runs: int = 15) -> float:
    """Median seconds of ``CALIBRATION_SQL`` over ``runs`` runs (after one to warm up)."""
    from django.db import connection

    times = []
    with connection.cursor() as cursor:
        for _ in range(runs + 1):
            started = time.perf_counter()
            cursor.execute(CALIBRATION_SQL)
            cursor.fetchone()
            times.append(time.perf_counter() - started)
    return statistics.median(times[1:])


def ratio_text(seconds: float, base: float, target: float | None) -> str:
    """ "12.3× (≤ 20×)": ``seconds`` as a multiple of the calibration ``base``, and the target's."""
    if not target:
        return f"{seconds / base:.1f}×"
    return f"{seconds / base:.1f}× (≤ {target_ratio(target):.0f}×)"


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)


def environment() -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(),
        DJANGO_SETTINGS_MODULE="crm.settings",
        # Measured as served: DEBUG off (cached templates, no query log).
        DEBUG="false",
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(48),
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
        # Django's test client asks for "testserver", which production settings refuse.
        ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
    )
    return env


def manage(*args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args, "--skip-checks"],
        cwd=ROOT,
        env=environment(),
        check=True,
    )


def ensure_database(*, accounts: int, template: str, reseed: bool) -> None:
    """Create the bench database (a copy of ``template`` if possible), migrate it, and seed
    it when it holds no accounts."""
    import benchdb

    benchdb.create_database(database_url(), templates=[template], reseed=reseed)
    manage("migrate", "-v0")
    benchdb.seed_if_empty(database_url(), accounts=accounts, manage=manage)


def setup_django() -> None:
    os.environ.update(environment())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def ensure_scores_and_flags(*, flags_wanted: int) -> None:
    """Give the book a scoring history (two days 30 days apart) and at least
    ``flags_wanted`` unresolved flags."""
    from django.db.models import Exists, OuterRef
    from django.utils import timezone

    from retention.models import HealthScore, RiskFlag

    today = timezone.localdate()
    days = HealthScore.objects.order_by("scored_on").values_list("scored_on").distinct()[:2]
    if len(days) < 2:
        back = today - dt.timedelta(days=30)
        print(f"Scoring {back} and {today} for a history (trends, drops) …", flush=True)
        manage("score_accounts", "--date", back.isoformat())
        manage("score_accounts")
    unresolved = RiskFlag.objects.exclude(status=RiskFlag.Status.RESOLVED)
    missing = flags_wanted - unresolved.count()
    if missing < 0:
        # The measurement is "the at-risk list with N unresolved flags": the rest are closed
        # as if their condition had cleared (this is the bench's own copy of the book).
        print(f"Resolving {-missing:,} flags to leave {flags_wanted:,} unresolved …", flush=True)
        extra = list(unresolved.order_by("-pk").values_list("pk", flat=True)[:-missing])
        RiskFlag.objects.filter(pk__in=extra).update(
            status=RiskFlag.Status.RESOLVED,
            resolved_at=timezone.now(),
            auto_resolved=True,
            resolved_comment="resolved by bench_pages.py to keep the list at its size",
        )
    if missing <= 0:
        return
    print(f"Adding {missing:,} risk flags to reach {flags_wanted:,} …", flush=True)
    taken = unresolved.filter(account_id=OuterRef("account_id"), reason=RiskFlag.Reason.SCORE_DROP)
    candidates = (
        HealthScore.objects.filter(scored_on=today)
        .exclude(Exists(taken))
        .order_by("score", "account_id")
        .values_list("account_id", "score")[:missing]
    )
    now = timezone.now()
    RiskFlag.objects.bulk_create(
        (
            RiskFlag(
                account_id=account_id,
                reason=RiskFlag.Reason.SCORE_DROP,
                raised_at=now - dt.timedelta(days=i % 60),
                raised_on=today - dt.timedelta(days=i % 60),
                last_seen_on=today,
                measured_value=15 + i % 20,
                threshold=15,
                explanation_message={
                    "id": "score_drop",
                    "drop": 15 + i % 20,
                    "days": 30,
                    "peak": score + 15 + i % 20,
                    "now": score,
                },
            )
            for i, (account_id, score) in enumerate(candidates)
        ),
        batch_size=2000,
    )


def long_comment_account(csm, besides):
    """An account of ``csm`` (not ``besides``) with an acknowledged flag whose comment and
    explanation (stored text, as from before messages) are the 50 KB text that pages took
    forever to parse back (tests/bad_input/nasty.py); its account page shows both."""
    from django.utils import timezone

    from customers.models import Account
    from retention.models import RiskFlag
    from tests.bad_input.nasty import ADVERSARIAL_COMMENT

    account = Account.objects.filter(owner=csm).exclude(pk=besides.pk).order_by("pk").first()
    flag = account.risk_flags.exclude(status=RiskFlag.Status.RESOLVED).first()
    if flag is None:
        today = timezone.localdate()
        flag = RiskFlag(
            account=account,
            reason=RiskFlag.Reason.OWNER_CHANGED,
            raised_on=today,
            last_seen_on=today,
        )
    flag.status, flag.acknowledged_by = RiskFlag.Status.ACKNOWLEDGED, csm
    flag.acknowledged_at = timezone.now()
    flag.explanation_message, flag.explanation = None, ADVERSARIAL_COMMENT
    flag.acknowledged_comment = ADVERSARIAL_COMMENT
    flag.save()
    return account


def vacuum() -> None:
    """Fresh statistics (and no dead rows from the set-up), as autovacuum would leave them.

    Tables never vacuumed nor analyzed (a book just seeded or copied, on a server running
    without autovacuum) are vacuumed too: without statistics PostgreSQL guessed 15 rows for
    650,000 interactions and the handover brief took 4 s instead of 40 ms."""
    from django.db import connection

    tables = {
        "retention_riskflag",
        "retention_healthscore",
        "retention_accounthealth",
        "customers_account",
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE n_live_tup > 0 AND COALESCE("
            "last_analyze, last_autoanalyze, last_vacuum, last_autovacuum) IS NULL"
        )
        never = {name for (name,) in cursor.fetchall()}
        if never:
            print(f"Vacuuming {len(never)} tables never analyzed …", flush=True)
        for table in sorted(tables | never):
            cursor.execute(f'VACUUM ANALYZE "{table}"')


def personas() -> dict:
    """The people whose pages are measured: the admin, a CSM with about 300 accounts, their
    team lead, and the CSM's account with the most interactions."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count, F, Func

    from crm.models import Role
    from customers.models import Account

    users = get_user_model().objects
    admin = users.filter(is_superuser=True).first() or users.filter(groups__name=Role.ADMIN).first()
    owners = (
        Account.objects.filter(owner__isnull=False, owner__groups__name=Role.CSM)
        .values("owner_id")
        .annotate(n=Count("pk"))
        .annotate(distance=Func(F("n") - 300, function="ABS"))
        .order_by("distance", "owner_id")
    )
    chosen = owners.first()
    csm = users.get(pk=chosen["owner_id"])
    lead = users.filter(groups__name=Role.TEAM_LEAD, team_id=csm.team_id).first()
    account = (
        Account.objects.filter(owner=csm)
        .annotate(n=Count("interactions"))
        .order_by("-n", "pk")
        .first()
    )
    return {
        "admin": admin,
        "csm": csm,
        "lead": lead,
        "account": account,
        "csm_accounts": chosen["n"],
    }


def measure(client, url: str, runs: int) -> dict:
    """Median wall time of ``runs`` renders of ``url``, and the queries of one more."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm: caches, connection, template loading
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    return {
        "median": statistics.median(times),
        "best": min(times),
        "queries": len(queries),
        "sql": sum(float(q["time"]) for q in queries.captured_queries),
        "captured": queries.captured_queries,
    }


def explain(captured: list[dict], top: int = 2) -> None:
    from django.db import connection

    slowest = sorted(captured, key=lambda q: float(q["time"]), reverse=True)[:top]
    with connection.cursor() as cursor:
        for q in slowest:
            print(f"\n    --- {float(q['time']) * 1000:.1f} ms: {q['sql'][:400]}")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
            for (line,) in cursor.fetchall()[:40]:
                print("      " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument(
        "--flags", type=int, default=10_000, help="unresolved flags to measure with (0: as is)"
    )
    parser.add_argument("--runs", type=int, default=15, help="renders per page (median)")
    parser.add_argument("--template", default="treue_bench_health", help="database to copy")
    parser.add_argument("--reseed", action="store_true", help="seed a new book")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN every page's slowest")
    args = parser.parse_args()

    ensure_database(accounts=args.accounts, template=args.template, reseed=args.reseed)
    setup_django()
    if database_url().rsplit("/", 1)[1] == args.template:
        print(f"Measuring on {args.template} itself: its scores and flags are left as they are.")
    elif args.flags:
        ensure_scores_and_flags(flags_wanted=args.flags)
        vacuum()

    from django.test import Client
    from django.urls import reverse

    from customers.models import Account
    from retention.models import RiskFlag

    who = personas()
    csm, lead, admin, account = who["csm"], who["lead"], who["admin"], who["account"]
    unresolved = RiskFlag.objects.exclude(status=RiskFlag.Status.RESOLVED)
    team_flags = unresolved.filter(account__team_id=lead.team_id).count()
    print(
        f"Book: {Account.objects.count():,} accounts, {unresolved.count():,} unresolved flags "
        f"({team_flags:,} in {lead.team}). CSM {csm.username} owns {who['csm_accounts']} "
        f"accounts; team lead {lead.username}; admin {admin.username}; account "
        f"{account.name!r} ({account.interactions.count()} interactions)."
    )

    at_risk = reverse("retention:at_risk")
    pages = [
        # (label, user, url, target, group)
        ("at-risk list, admin (all flags)", admin, at_risk, AT_RISK_TARGET, "at-risk"),
        ("at-risk list, admin, page 100", admin, f"{at_risk}?page=100", AT_RISK_TARGET, "at-risk"),
        ("at-risk list, admin, by ARR", admin, f"{at_risk}?sort=-arr", AT_RISK_TARGET, "at-risk"),
        ("at-risk list, admin, red only", admin, f"{at_risk}?band=red", AT_RISK_TARGET, "at-risk"),
        ("at-risk list, team lead", lead, at_risk, AT_RISK_TARGET, "at-risk"),
        (
            "at-risk list, team lead, renewal 90 d, by score",
            lead,
            f"{at_risk}?renewal=90&sort=score",
            AT_RISK_TARGET,
            "at-risk",
        ),
        ("at-risk CSV export, team lead", lead, reverse("retention:at_risk_export"), None, ""),
        ("portfolio, CSM", csm, reverse("retention:portfolio"), PAGE_TARGET, "csm"),
        ("account page", csm, account.get_absolute_url(), PAGE_TARGET, "csm"),
        (
            "account page, a 50 KB comment on a flag",
            csm,
            long_comment_account(csm, besides=account).get_absolute_url(),
            PAGE_TARGET,
            "csm",
        ),
        (
            "handover brief",
            csm,
            reverse("interactions:brief", args=[account.pk]),
            PAGE_TARGET,
            "csm",
        ),
        (
            "team dashboard, team lead",
            lead,
            reverse("retention:team_dashboard"),
            PAGE_TARGET,
            "csm",
        ),
        ("accounts list, CSM", csm, reverse("customers:account_list"), PAGE_TARGET, "csm"),
    ]
    clients = {}
    results = []
    base = calibration(args.runs)
    print(
        f"\nCalibration: {CALIBRATION_SQL} {base * 1000:.1f} ms (median of {args.runs}; "
        f"{CALIBRATION_REFERENCE * 1000:.0f} ms where the README's figures were taken). "
        "'× cal' is each median as a multiple of it, the target's multiple in brackets."
    )
    print(
        f"\n{'page':<48} {'median':>9} {'best':>9} {'target':>8} {'ratio':>6} "
        f"{'× cal (target)':>15} {'queries':>8} {'in SQL':>9}"
    )
    for label, user, url, target, group in pages:
        client = clients.get(user.pk)
        if client is None:
            client = clients[user.pk] = Client()
            client.force_login(user)
        r = measure(client, url, args.runs)
        results.append((label, target, group, r))
        ratio = f"{r['median'] / target:.2f}" if target else "—"
        flag = "" if not target else ("  ok" if r["median"] < target else "  OVER")
        print(
            f"{label:<48} {r['median'] * 1000:>7.1f}ms {r['best'] * 1000:>7.1f}ms "
            f"{(f'{target * 1000:.0f}ms' if target else '—'):>8} {ratio:>6} "
            f"{ratio_text(r['median'], base, target):>15} "
            f"{r['queries']:>8} {r['sql'] * 1000:>7.1f}ms{flag}",
            flush=True,
        )
        if args.explain or (target and r["median"] >= target):
            explain(r["captured"])

    admin_counts = {
        r["queries"] for label, _t, g, r in results if g == "at-risk" and "admin" in label
    }
    lead_counts = {
        r["queries"] for label, _t, g, r in results if g == "at-risk" and "lead" in label
    }
    over = [label for label, target, _g, r in results if target and r["median"] >= target]
    print()
    print(
        "At-risk queries: admin "
        + "/".join(map(str, sorted(admin_counts)))
        + ", team lead "
        + "/".join(map(str, sorted(lead_counts)))
        + f" → {'constant' if len(admin_counts) == 1 and len(lead_counts) == 1 else 'NOT constant'}"
        " over page 1 and 100, sorts and filters"
    )
    print("All pages within target." if not over else "Over target: " + ", ".join(over))


if __name__ == "__main__":
    main()
