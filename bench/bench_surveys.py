"""How fast surveys go out and how fast the answer page is (issue 17).

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/treue_surveys \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/bench_surveys.py [--sends 10000] [--runs 50] [--in-process]

Against the database of ``BENCH_DATABASE_URL`` (else ``DATABASE_URL``; PostgreSQL, migrated
first). It writes its own book: ``--sends`` accounts of one CSM in one team, each with one
decision maker (the first ``--runs`` of them customers for a year), removed again at the end.
Printed, each with its ratio to the target, with the CPU this process spent beside the wall
time, and the load average before and after:

- queue: the team lead's bulk send from the portfolio, "all accounts of this list" (the
  team's ``--sends`` accounts), as one request through the page (``retention.health.
  selection``): the scope, the list's query, the decision makers, the skip rules, every send
  row written, and the delivery tasks handed to the broker at commit (target 2 s);
- deliver: from the request until one Celery worker (``--pool=solo``, Django's locmem email
  backend, started beforehand) has marked every send sent (target 120 s). With
  ``--in-process`` or without a broker the batches are delivered one after another in this
  process instead, as the worker would;
- answer page: the median GET and POST of ``/s/<token>/`` (target 100 ms).
"""

import argparse
import contextlib
import os
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
if os.environ.get("BENCH_DATABASE_URL"):
    os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/treue_surveys")
os.environ.setdefault("DEBUG", "false")  # measured as served: cached templates, no query log
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

QUEUE_TARGET, DELIVER_TARGET, PAGE_TARGET = 2.0, 120.0, 0.100
DELIVER_TIMEOUT = 300  # s: the worker is stopped after this, whatever it did


def cpu_pressure() -> str:
    from bench_load import cpu_pressure as pressure  # the load bench's, which says the same

    return pressure().replace(";", ",")


def ratio(seconds: float, target: float) -> str:
    return f"{seconds * 1000:9.1f} ms  ({seconds / target:.2f} of {target * 1000:.0f} ms)"


def load() -> str:
    return "load average " + " / ".join(f"{v:.2f}" for v in os.getloadavg())


def backend_cpu() -> float:
    """CPU seconds so far of this process's PostgreSQL backend (a server on this machine)."""
    from django.db import connection

    try:
        import psutil

        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            times = psutil.Process(cursor.fetchone()[0]).cpu_times()
        return times.user + times.system
    except Exception:
        return float("nan")


class Timer:
    """Wall time, this process's CPU and its database backend's CPU (which a busy machine
    disturbs far less than wall time)."""

    def __enter__(self):
        self.db = backend_cpu()
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu
        self.db = backend_cpu() - self.db

    def __str__(self) -> str:
        return f"CPU {self.cpu * 1000:.0f} ms + database {self.db * 1000:.0f} ms"


def broker_up() -> bool:
    from celery import current_app

    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0)
        return True
    except Exception:
        return False


def start_worker(log: Path) -> subprocess.Popen:
    env = {**os.environ, "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    command = [
        *(sys.executable, "-m", "celery", "-A", "crm", "worker", "--pool=solo", "-l", "warning"),
        *("--without-gossip", "--without-mingle", "--without-heartbeat", "-n", "bench@%h"),
    ]
    with log.open("w") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_for_worker(worker: subprocess.Popen, timeout: float = 60) -> None:
    from celery import current_app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise SystemExit("The worker stopped at its start (see its log).")
        if current_app.control.ping(timeout=1):
            return
    raise SystemExit("The worker did not answer within a minute.")


def stop(worker: subprocess.Popen) -> None:
    worker.terminate()  # a warm shutdown: the task at hand is finished first
    with contextlib.suppress(subprocess.TimeoutExpired):
        worker.wait(timeout=20)
    worker.kill()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sends", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--in-process", action="store_true", help="deliver without a worker")
    args = parser.parse_args()

    import django

    django.setup()
    from celery import current_app
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    call_command("migrate", verbosity=0)
    setup_test_environment()  # the locmem email backend, mail.outbox
    settings.ALLOWED_HOSTS = ["*"]
    settings.SURVEY_RATE_LIMIT = 10**9  # measure the page, not the limiter
    settings.SITE_URL = "http://testserver"

    import datetime as dt
    from decimal import Decimal

    from django.contrib.auth.models import Group
    from django.db import connection
    from django.utils import timezone

    from crm.models import PendingTask, Role, Team, User
    from customers.models import Account, Contact, Contract
    from customers.services import refresh_ledger
    from interactions.models import SurveySend
    from interactions.surveys import services

    # Earlier runs left dead rows behind (each writes and deletes its book): measure the code,
    # not their garbage.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE interactions_surveysend")
    print(f"Before: {load()}{cpu_pressure()}")
    team = Team.objects.create(name=f"Bench surveys {time.time_ns()}")
    lead = User.objects.create(username=f"bench-lead-{team.pk}", team=team)
    lead.groups.add(Group.objects.get_or_create(name=Role.TEAM_LEAD.value)[0])
    csm = User.objects.create(username=f"bench-csm-{team.pk}", team=team)
    csm.groups.add(Group.objects.get_or_create(name=Role.CSM.value)[0])
    in_process = args.in_process or not broker_up()
    worker = None
    try:
        accounts = Account.objects.bulk_create(
            Account(name=f"Bench survey {team.pk}-{i}", owner=csm, team=team)
            for i in range(args.sends)
        )
        accounts.append(Account.objects.create(name=f"Warm-up {team.pk}", owner=csm, team=team))
        Contact.objects.bulk_create(
            Contact(
                account=a, name=f"Person {i}", email=f"p{i}@bench.example", is_decision_maker=True
            )
            for i, a in enumerate(accounts)
        )
        year_ago = timezone.localdate() - dt.timedelta(days=365)
        answered = accounts[: args.runs]  # customers: the answer starts plays, scores health
        Contract.objects.bulk_create(
            Contract(
                account=a,
                reference=f"B{team.pk}-{a.pk}",
                start_date=year_ago,
                monthly_value=Decimal("500.00"),
            )
            for a in answered
        )
        refresh_ledger(account_ids=[a.pk for a in answered])

        batches: list = []
        if in_process:  # the batches kept here, as the worker would get them
            services.deliver_later = batches.extend
        else:
            current_app.control.purge()
            worker = start_worker(Path("/tmp") / f"bench_surveys_worker_{team.pk}.log")
            wait_for_worker(worker)

        browser = Client()
        browser.force_login(lead)
        # A served process is warm: its modules, URLs and templates are loaded, its broker
        # connection made. One survey to one account, delivered, warms this process and the
        # worker; the timed send then skips that account (asked within 90 days).
        warm = {"survey_kind": "nps", "account": accounts[-1].pk}
        browser.post("/retention/selection/survey/", warm)
        sends = SurveySend.objects.filter(account__team=team)
        deadline = time.monotonic() + 60
        while not in_process and not sends.filter(status="sent").exists():
            if time.monotonic() > deadline:
                raise SystemExit("The worker did not deliver the first survey within a minute.")
            time.sleep(0.2)
        batches.clear()
        sends = sends.exclude(account=accounts[-1])
        kept_before = PendingTask.objects.count()

        query = f"scope=team&q=Bench+survey+{team.pk}-"  # all accounts but the warm-up one
        form = {"survey_kind": "nps", "all": "1", "list": "portfolio", "query": query}
        with Timer() as queued:
            response = browser.post("/retention/selection/survey/", form)
        assert response.status_code == 302, response.status_code
        assert sends.count() == args.sends, sends.count()
        kept = PendingTask.objects.count() - kept_before
        how = "in this process" if in_process else "to the broker"
        how += f" ({kept} kept in the outbox)" if kept else ""
        print(
            f"queue    {args.sends:,} sends, tasks {how}"
            f"  {ratio(queued.wall, QUEUE_TARGET)}  {queued}"
        )

        started = time.perf_counter()
        if in_process:
            for batch in batches:
                services.deliver(batch)
            tokens = [token for batch in batches for _pk, token in batch]
        else:
            deadline = time.monotonic() + DELIVER_TIMEOUT
            while sends.filter(status=SurveySend.Status.SENT).count() < args.sends:
                if time.monotonic() > deadline or worker.poll() is not None:
                    break
                time.sleep(0.5)
        delivered = time.perf_counter() - started + queued.wall
        sent = sends.filter(status=SurveySend.Status.SENT).count()
        print(
            f"deliver  {sent:,} sent (locmem), from the request on  "
            + ratio(delivered, DELIVER_TARGET)
        )
        if worker is not None:
            stop(worker)  # it must not compete with the answer page
            worker = None
            # The worker's emails stayed in its memory: new links for the answers.
            batches.clear()
            services.deliver_later = batches.extend
            services.send_surveys(
                account=None,
                contacts=services.default_recipients(answered),
                kind="nps",
                now=timezone.now() + dt.timedelta(days=91),
            )
            tokens = [token for batch in batches for _pk, token in batch]

        tokens = tokens[: args.runs]
        anonymous = Client()
        gets, posts = [], []
        for i, token in enumerate(tokens):
            path = f"/s/{token}/"
            with Timer() as got:
                assert anonymous.get(path).status_code == 200
            gets.append(got)
            with Timer() as answer:
                reply = anonymous.post(path, {"score": str(i % 11), "comment": "ok"})
            assert reply.status_code == 200, reply.status_code
            posts.append(answer)
        for name, timings in (("GET ", gets), ("POST", posts)):
            wall = statistics.median(t.wall for t in timings)
            cpu = statistics.median(t.cpu for t in timings)
            db = statistics.median(t.db for t in timings)
            print(
                f"answer page {name} median {ratio(wall, PAGE_TARGET)}  "
                f"CPU {cpu * 1000:.1f} ms + database {db * 1000:.1f} ms"
            )
        print(f"After: {load()}{cpu_pressure()}")
    finally:
        if worker is not None and worker.poll() is None:
            stop(worker)
        if not in_process:
            current_app.control.purge()  # the rescoring the answers asked for
        from retention.models import PlaybookRun

        PlaybookRun.objects.filter(account__team=team).delete()
        Contract.objects.filter(account__team=team).delete()
        Account.objects.filter(team=team).delete()
        User.objects.filter(team=team).delete()
        team.delete()


if __name__ == "__main__":
    main()
