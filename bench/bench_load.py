"""Treue under load (issue 8): signed-in CSMs browse their portfolio and account pages and log
interactions against gunicorn, on the 100,000-account demo book.

    .venv/bin/python bench/bench_load.py                      # 50 users, 60 s
    .venv/bin/python bench/bench_load.py --users 20 --duration 30 --workers 3
    .venv/bin/python bench/bench_load.py --reseed              # a new book

Runs against PostgreSQL: ``BENCH_DATABASE_URL`` (default
postgres://postgres@127.0.0.1:5432/treue_bench_load). A missing database is copied from the
first free database of ``--template`` (``treue_bench_pages``, then ``treue_bench_health``: the
other benches' scored books; a template is waited for while someone is connected to it) or
else created, seeded with ``seed_demo --accounts N`` and scored. Then ``migrate``.

``--users`` CSMs of the book that own accounts get one known password (one hash, written
into the bench's copy); gunicorn serves the project (DEBUG off, ``--workers`` processes,
default 2 × cores + 1) on a free loopback port; locust (``bench/locustfile.py``, headless)
signs each user in through the login form; once all are in, each, with a think time of
``--wait`` seconds (default 1–5: a click every 3 s, far quicker than people work; ``--wait
1,2`` is a harder run), opens their portfolio, opens one of their accounts (with the log form
the page loads through htmx) or logs an interaction through that form, 3 : 5 : 2, for
``--duration`` seconds.

Printed per page and over all pages: requests, failures, throughput, p50/p95/p99/max, and
p95 against the 300 ms target; sign-in (a deliberately slow password hash) is shown apart
and is not part of the target. Then the CPU the server (gunicorn and its PostgreSQL
backends) spent per request while browsing, which bounds the throughput the machine's cores
can give, and the interactions counted before and after: before + logged must equal after.
Exit status 1 on any error or a count that does not add up (a p95 over target is printed, as
in the other benches, not failed).

Everything is bounded: gunicorn runs under ``timeout`` and is stopped in ``finally``; locust
and every wait have a timeout. ``tests/load/test_load_short.py`` runs the same locustfile for
a few seconds in CI (it imports ``serve`` and ``run_locust`` from here).
"""

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = ROOT / "bench" / "locustfile.py"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/treue_bench_load"
DEFAULT_TEMPLATES = "treue_bench_pages,treue_bench_health"
P95_TARGET_MS = 300
PAGES = ("portfolio", "account page", "log form (htmx)", "log interaction")
SIGN_IN = ("login form", "login", "portfolio after sign-in")


def cpu_pressure() -> str:
    """The share of the last minute in which runnable tasks waited for a CPU (Linux PSI), or
    empty: how much else the machine was doing."""
    try:
        line = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except (OSError, IndexError):
        return ""
    fields = dict(part.split("=") for part in line.split()[1:])
    return f"; tasks waited for a CPU {float(fields.get('avg60', 0)):.0f}% of the last minute"


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)


def server_environment(database: str, **extra: str) -> dict:
    """The environment of a production-like server on loopback over plain HTTP."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database,
        DJANGO_SETTINGS_MODULE="crm.settings",
        DEBUG="false",
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(48),
        # Served over http://127.0.0.1: no TLS, so no secure-only cookies, redirects or HSTS.
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        CELERY_BROKER_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7"),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


# --- the server and the load (shared with tests/load/test_load_short.py) ----------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}):\n{_tail(log)}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"gunicorn did not answer /healthz within {timeout:.0f} s:\n{_tail(log)}")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class Server:
    """A running gunicorn: its ``url`` and the CPU time its processes have used."""

    def __init__(self, url: str, process: subprocess.Popen):
        self.url, self.process = url, process

    def cpu_seconds(self) -> float | None:
        """User + system CPU of the master and its workers so far (None if unknown)."""
        try:
            import psutil

            root = psutil.Process(self.process.pid)
            total = 0.0
            for p in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    t = p.cpu_times()
                    total += t.user + t.system
            return total
        except Exception:
            return None


def database_cpu(url: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL client backend serving ``url``'s database (when
    the server runs on this machine; parallel query workers are not counted)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    query = (
        "SELECT pid FROM pg_stat_activity WHERE datname = %s"
        " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
    )
    cpu = {}
    try:
        import psutil  # comes with locust

        with psycopg.connect(url) as conn:
            pids = [pid for (pid,) in conn.execute(query, [name]).fetchall()]
        for pid in pids:
            with contextlib.suppress(psutil.Error):
                t = psutil.Process(pid).cpu_times()
                cpu[pid] = t.user + t.system
    except Exception:
        return {}
    return cpu


@contextlib.contextmanager
def serve(env: dict, *, workers: int, threads: int = 1, lifetime: float, startup: float = 90):
    """gunicorn on a free loopback port for at most ``lifetime`` seconds; yields a ``Server``
    and is stopped (TERM, then KILL) when the block ends, however it ends."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "crm.wsgi:application",
        f"--workers={workers}",
        f"--threads={threads}",
        f"--bind=127.0.0.1:{port}",
        "--timeout=60",
        "--graceful-timeout=5",
        "--log-level=warning",
        "--no-control-socket",
    ]
    if shutil.which("timeout"):  # bounded even if this process dies without its finally
        command = ["timeout", "--kill-after=10", f"{int(lifetime)}", *command]
    with tempfile.TemporaryDirectory(prefix="treue-load-") as tmp:
        log = Path(tmp) / "gunicorn.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            _wait_healthy(url, process, log, startup)
            yield Server(url, process)
        finally:
            _stop(process)
            errors = [line for line in _tail(log, 200).splitlines() if "Traceback" in line]
            if errors:
                print(f"gunicorn logged {len(errors)} traceback(s); its log ends:\n{_tail(log)}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def run_locust(
    host: str,
    people: list[dict],
    *,
    users: int,
    spawn_rate: float,
    duration: int,
    wait: str,
    tag: str,
    sign_in_timeout: int = 300,
    on_browsing=None,
) -> dict:
    """Run ``bench/locustfile.py`` headless against ``host``: ``users`` sign in, then browse
    for ``duration`` seconds; returns its summary (see ``write_summary`` there).
    ``people``: ``[{"username", "password", "accounts": [ids]}]``; ``on_browsing()`` is
    called (from here, within a second) when everyone has signed in."""
    with tempfile.TemporaryDirectory(prefix="treue-locust-") as tmp:
        users_file, summary_file = Path(tmp) / "users.json", Path(tmp) / "summary.json"
        ready_file, output = Path(tmp) / "browsing", Path(tmp) / "locust.log"
        users_file.write_text(json.dumps(people))
        env = dict(os.environ)
        env.update(
            LOAD_USERS_FILE=str(users_file),
            LOAD_SUMMARY_FILE=str(summary_file),
            LOAD_READY_FILE=str(ready_file),
            LOAD_RUN_TAG=tag,
            LOAD_WAIT=wait,
            LOAD_DURATION=str(duration),
            LOAD_USERS=str(users),
            LOAD_SIGN_IN_TIMEOUT=str(sign_in_timeout),
        )
        command = [
            sys.executable,
            "-m",
            "locust",
            f"--locustfile={LOCUSTFILE}",
            "--headless",
            f"--users={users}",
            f"--spawn-rate={spawn_rate}",
            # The locustfile stops ``duration`` s after everyone signed in; this is the bound.
            f"--run-time={duration + sign_in_timeout + 30}s",
            # Users finish the step they are in (a log POST counts only once answered).
            "--stop-timeout=30",
            f"--host={host}",
            "--only-summary",
            "--loglevel=WARNING",
        ]
        deadline = time.monotonic() + duration + sign_in_timeout + 150
        with open(output, "wb") as out:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
            try:
                while process.poll() is None:
                    if on_browsing and ready_file.exists():
                        on_browsing()
                        on_browsing = None
                    if time.monotonic() > deadline:
                        raise RuntimeError(
                            f"locust still running after its bound:\n{_tail(output)}"
                        )
                    time.sleep(0.2)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait(timeout=10)
        if not summary_file.exists():
            raise RuntimeError(
                f"locust wrote no summary (exit {process.returncode}):\n{_tail(output, 40)}"
            )
        return json.loads(summary_file.read_text())


def errors_of(summary: dict) -> int:
    return sum(figures["failures"] for figures in summary["pages"].values())


def report(summary: dict, *, target_ms: float | None = P95_TARGET_MS) -> str:
    """The table: per page, over all pages, and sign-in apart (p95 against ``target_ms``
    unless None)."""
    head = (
        f"{'request':<32} {'count':>7} {'fails':>6} {'req/s':>7} {'p50':>7} {'p95':>7} "
        f"{'p99':>7} {'max':>7}  {'p95/target':>10}"
    )
    lines = [head]

    def row(label: str, f: dict, with_ratio: bool = True) -> str:
        with_ratio = with_ratio and bool(target_ms) and bool(f["requests"])
        ratio = f"{f['p95_ms'] / target_ms:.2f}" if with_ratio else "—"
        mark = ""
        if with_ratio:
            mark = "  ok" if f["p95_ms"] < target_ms else "  OVER"
        return (
            f"{label:<32} {f['requests']:>7} {f['failures']:>6} {f['rps']:>7.1f} "
            f"{f['p50_ms']:>5.0f}ms {f['p95_ms']:>5.0f}ms {f['p99_ms']:>5.0f}ms "
            f"{f['max_ms'] or 0:>5.0f}ms  {ratio:>10}{mark}"
        )

    pages = summary["pages"]
    for name in PAGES:
        if name in pages:
            lines.append(row(name, pages[name]))
    lines.append(row("all pages", summary["browsing"]))
    for name in SIGN_IN:
        if name in pages:
            lines.append(row(f"{name} (apart)", pages[name], with_ratio=False))
    lines.append(
        f"Throughput {summary['browsing']['rps']:.1f} req/s over the pages in "
        f"{summary['duration_s']:.0f} s of browsing by {summary['signed_in']} signed-in users "
        f"({summary['not_signed_in']} could not sign in); errors: {errors_of(summary)}"
    )
    for e in summary["errors"][:10]:
        lines.append(f"  {e['occurrences']}× {e['name']}: {e['error'][:160]}")
    return "\n".join(lines)


# --- the bench's book ---------------------------------------------------------------------------


def manage(*args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args, "--skip-checks"],
        cwd=ROOT,
        env=server_environment(database_url()),
        check=True,
        timeout=3 * 3600,
    )


def ensure_database(*, accounts: int, templates: list[str], reseed: bool, wait: float) -> None:
    """Create the bench database (a copy of the first template that exists, waiting up to
    ``wait`` s for it to be free), migrate it, and seed and score it when it is empty."""
    import benchdb
    import psycopg

    benchdb.create_database(database_url(), templates=templates, reseed=reseed, wait=wait)
    manage("migrate", "-v0")
    benchdb.seed_if_empty(database_url(), accounts=accounts, manage=manage)
    with psycopg.connect(database_url()) as conn:
        scored = conn.execute("SELECT count(*) FROM retention_healthscore").fetchone()[0]
    if not scored:
        print("Scoring the book …", flush=True)
        manage("score_accounts")


def setup_django() -> None:
    os.environ.update(server_environment(database_url()))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def bench_people(count: int, per_user: int, password: str) -> list[dict]:
    """``count`` CSMs who own accounts, each with up to ``per_user`` of their accounts (a fixed
    random sample) and ``password`` set (one hash for all: this is the bench's own copy)."""
    import random

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db.models import Count

    from crm.models import Role
    from customers.models import Account

    owners = (
        Account.objects.filter(owner__isnull=False, owner__groups__name=Role.CSM)
        .values("owner_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=1)
        .order_by("owner_id")
        .values_list("owner_id", flat=True)[:count]
    )
    owners = list(owners)
    if len(owners) < count:
        print(f"Note: only {len(owners)} CSMs own accounts; locust users share them.")
    users = get_user_model().objects
    users.filter(pk__in=owners).update(password=make_password(password), is_active=True)
    rng = random.Random(8)
    people = []
    for user in users.filter(pk__in=owners).order_by("pk"):
        pks = list(Account.objects.filter(owner=user).values_list("pk", flat=True))
        people.append(
            {
                "username": user.username,
                "password": password,
                "accounts": sorted(rng.sample(pks, min(per_user, len(pks)))),
                "owns": len(pks),
            }
        )
    return people


def interaction_counts(tag: str) -> tuple[int, int]:
    from interactions.models import Interaction

    return Interaction.objects.count(), Interaction.objects.filter(summary__startswith=tag).count()


def main() -> int:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help="concurrent signed-in users")
    parser.add_argument("--duration", type=int, default=60, help="seconds of load")
    parser.add_argument("--spawn-rate", type=float, default=10, help="users started per second")
    parser.add_argument("--wait", default="1,5", help="think time between steps, 'min,max' s")
    parser.add_argument("--workers", type=int, default=2 * cores + 1, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument("--accounts", type=int, default=100_000, help="book size when seeding")
    parser.add_argument("--per-user", type=int, default=50, help="accounts each user visits")
    parser.add_argument("--template", default=DEFAULT_TEMPLATES, help="databases to copy")
    parser.add_argument("--template-wait", type=float, default=900, help="s to wait for one")
    parser.add_argument("--reseed", action="store_true", help="seed a new book")
    args = parser.parse_args()

    templates = [t for t in args.template.split(",") if t]
    ensure_database(
        accounts=args.accounts, templates=templates, reseed=args.reseed, wait=args.template_wait
    )
    setup_django()
    from customers.models import Account

    password = secrets.token_urlsafe(12)
    people = bench_people(args.users, args.per_user, password)
    if not people:
        print("No CSM owns an account: nothing to load.")
        return 1
    owns = sorted(p["owns"] for p in people)
    tag = f"load {time.strftime('%Y%m%d-%H%M%S')}"
    before, _tagged = interaction_counts(tag)
    load_before = os.getloadavg()
    print(
        f"Book: {Account.objects.count():,} accounts, {before:,} interactions; "
        f"{len(people)} CSMs ({owns[0]}–{owns[-1]} accounts each, {args.per_user} visited).\n"
        f"Load: {args.users} users (+{args.spawn_rate:g}/s), think time {args.wait} s, "
        f"{args.duration} s against gunicorn ({args.workers} workers × {args.threads} "
        f"thread(s)) on {cores} cores; load average before: "
        + " ".join(f"{x:.2f}" for x in load_before)
        + cpu_pressure(),
        flush=True,
    )
    # Connections kept for the whole run (production keeps them 60 s), so that the
    # database's CPU can be read from its backends at the end.
    env = server_environment(database_url(), CONN_MAX_AGE="900")
    lifetime = args.duration + 600
    from django.db import connection

    connection.close()
    cpu = {}

    def browsing_starts() -> None:
        cpu.update(app=server.cpu_seconds(), db=database_cpu(database_url()))

    with serve(env, workers=args.workers, threads=args.threads, lifetime=lifetime) as server:
        summary = run_locust(
            server.url,
            people,
            users=args.users,
            spawn_rate=args.spawn_rate,
            duration=args.duration,
            wait=args.wait,
            tag=tag,
            on_browsing=browsing_starts,
        )
        app_after, db_after = server.cpu_seconds(), database_cpu(database_url())
    app_before, db_before = cpu.get("app"), cpu.get("db", {})
    after, tagged = interaction_counts(tag)
    logged = summary["logged"]
    print()
    print(report(summary))
    print(
        "Load average after: "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
        + f" (1/5/15 min){cpu_pressure()}"
    )
    low, high = (float(x) for x in args.wait.split(","))
    print(
        f"Offered: {args.users} users × 1.5 requests a step (3:5:2, the account step is two) "
        f"every {(low + high) / 2:g} s of think time + the answer ≤ "
        f"{args.users * 1.5 / ((low + high) / 2):.0f} req/s."
    )
    requests = summary["browsing"]["requests"]
    if app_before is not None and app_after is not None and requests:
        app = app_after - app_before
        db = sum(cpu - db_before.get(pid, 0.0) for pid, cpu in db_after.items())
        per = (app + db) / requests
        offered = summary["browsing"]["rps"]
        print(
            f"Server CPU while browsing: gunicorn {app:.1f} s + PostgreSQL backends {db:.1f} s"
            f" over {requests} requests = {per * 1000:.0f} ms a request "
            f"({app / requests * 1000:.0f} app + {db / requests * 1000:.0f} database) → "
            f"{cores} cores serve at most ~{cores / per:.0f} req/s; served {offered:.1f} req/s."
        )
    adds_up = before + logged == after and tagged == logged
    print(
        f"Interactions: {before:,} before + {logged:,} logged = {before + logged:,}; "
        f"{after:,} after ({tagged:,} carry this run's tag) → "
        + ("every logged interaction is there." if adds_up else "DOES NOT ADD UP.")
    )
    p95 = summary["browsing"]["p95_ms"]
    print(
        f"p95 over all pages {p95:.0f} ms: {p95 / P95_TARGET_MS:.2f} of the {P95_TARGET_MS} ms "
        f"target → {'ok' if p95 < P95_TARGET_MS else 'OVER'}; errors: {errors_of(summary)}."
    )
    signed_in = summary["signed_in"]
    if signed_in < args.users:
        print(f"Only {signed_in} of {args.users} users signed in.")
    return 0 if adds_up and not errors_of(summary) and signed_in == args.users else 1


if __name__ == "__main__":
    sys.exit(main())
