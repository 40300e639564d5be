"""Fault drill (issue 8): gunicorn serves Treue while Redis and then PostgreSQL are really
stopped and restarted under it; prints what was tried and what held. Not part of the tests
(CI runs tests/faults/, which simulate the same faults without touching shared servers).

    .venv/bin/python bench/drill_faults.py                  # Redis, then PostgreSQL
    .venv/bin/python bench/drill_faults.py --only redis     # leaves PostgreSQL alone
    .venv/bin/python bench/drill_faults.py --postgres terminate   # ends only the drill's
                                                          # connections instead of a restart

PostgreSQL is the machine's cluster (``pg_ctlcluster <version> main restart``): every other
connection to it, other benches and test runs included, is cut too, so run the drill alone.
Redis is a private ``redis-server`` the drill starts on a free loopback port (no persistence),
so stopping it disturbs nobody else; the app's broker and cache both point at it.

Database: ``BENCH_DATABASE_URL`` (default postgres://postgres@127.0.0.1:5432/treue_drill_faults),
created when missing and migrated; the drill adds one CSM with an account, a session and an
API token. gunicorn runs ``--workers`` processes (DEBUG off, persistent connections:
CONN_MAX_AGE=60 with CONN_HEALTH_CHECKS) on a free port.

A round of probes: GET /customers/ (signed in), POST the log-interaction form, GET and POST
/api/v1/interactions/ (token), GET /healthz.

1. Baseline: a round, all must answer (200, 302, 200, 201, 200 "ok").
2. Redis stopped: rounds for ``--seconds``: pages, the form and the API must still answer;
   /healthz 200 "degraded". A task enqueued meanwhile (``crm.queue.enqueue_safely``) is kept
   in the outbox. Redis started again: /healthz "ok" and ``send_pending_tasks`` moves the kept
   task into Redis's queue (LLEN).
3. PostgreSQL restarted while a thread keeps making rounds: failures are expected while it is
   down (/healthz 503); after ``pg_isready`` the first round must succeed on every worker's
   persistent connection, i.e. no failure once the server is back.

Every interaction logged with a 2xx/302 answer must be in the database at the end. Exit status
1 when something did not hold. Bounded: gunicorn runs under ``timeout``, every request has a
5 s timeout, the restart 120 s, and the whole drill ``--max-seconds``.
"""

import argparse
import contextlib
import datetime as dt
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/treue_drill_faults"
HELD, FAILED = [], []


def say(tried: str, held: str, ok: bool) -> None:
    (HELD if ok else FAILED).append(tried)
    print(f"  {'held' if ok else 'FAILED'}: {tried}\n      {held}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- a private Redis --------------------------------------------------------------------------


class Redis:
    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", tempfile.gettempdir()),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 1),
            ):
                return
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def queue_length(self) -> int:
        import redis

        return redis.Redis.from_url(self.url).llen("celery")


# --- the database -----------------------------------------------------------------------------


def prepare_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        timeout=300,
    )


def setup_django(url: str, redis_url: str) -> None:
    # The same SECRET_KEY as gunicorn's: the session made here is signed with it.
    os.environ.update(DATABASE_URL=url, CELERY_BROKER_URL=redis_url, CACHE_URL=redis_url)
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def make_user() -> dict:
    """A CSM with an account, a signed-in session and an API token."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore
    from rest_framework.authtoken.models import Token

    from crm.models import Role, User
    from customers.models import Account

    user, _ = User.objects.get_or_create(username="drill-csm", defaults={"first_name": "Drill"})
    user.groups.add(Group.objects.get(name=Role.CSM))
    account, _ = Account.objects.get_or_create(name="Drill GmbH", defaults={"owner": user})
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    token, _ = Token.objects.get_or_create(user=user)
    return {"session": session.session_key, "token": token.key, "account": account.pk}


# --- gunicorn and the probes ------------------------------------------------------------------


@contextlib.contextmanager
def gunicorn(env: dict, *, workers: int, lifetime: int):
    port = free_port()
    command = [
        *("timeout", "--kill-after=10", str(lifetime)),
        *(sys.executable, "-m", "gunicorn", "crm.wsgi:application"),
        *(f"--workers={workers}", f"--bind=127.0.0.1:{port}", "--timeout=30"),
        *("--graceful-timeout=5", "--log-level=warning", "--no-control-socket"),
    ]
    handle, log_path = tempfile.mkstemp(prefix="treue-drill-", suffix=".log")
    with os.fdopen(handle, "wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        import requests

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{url}/healthz", timeout=5).status_code == 200:
                    break
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {Path(log_path).read_text()[-2000:]}")
            time.sleep(0.25)
        else:
            raise RuntimeError("gunicorn did not answer /healthz")
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        tracebacks = Path(log_path).read_text(errors="replace").count("Traceback")
        print(f"gunicorn log: {log_path} ({tracebacks} tracebacks)")


class Probes:
    def __init__(self, url: str, user: dict):
        import requests

        self.url, self.user = url, user
        self.web = requests.Session()
        self.web.cookies.set("sessionid", user["session"])
        self.api = requests.Session()
        self.api.headers["Authorization"] = f"Token {user['token']}"
        self.logged = 0  # interactions the app said it saved
        self.lock = threading.Lock()

    def _call(self, method, session, path, **kwargs):
        import requests

        try:
            kwargs.setdefault("allow_redirects", False)  # a redirect to sign in is a failure
            response = session.request(method, self.url + path, timeout=5, **kwargs)
            return response.status_code, response
        except requests.RequestException as error:
            return type(error).__name__, None

    def round(self, tag: str) -> dict:
        """One request of each kind; name → status."""
        result = {}
        result["page"], _ = self._call("GET", self.web, "/customers/")
        status, form = self._call(
            "GET", self.web, f"/interactions/log/?account={self.user['account']}"
        )
        token = (
            re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text) if form else None
        )
        if token:
            result["form"], posted = self._call(
                "POST",
                self.web,
                "/interactions/log/",
                data={
                    "csrfmiddlewaretoken": token.group(1),
                    "account": self.user["account"],
                    "kind": "note",
                    "occurred_at": dt.datetime.now().strftime("%Y-%m-%dT%H:%M"),
                    "summary": f"drill {tag} form",
                },
                headers={"Referer": self.url + "/interactions/log/"},
            )
            if posted is not None and "/accounts/login/" in posted.headers.get("Location", ""):
                result["form"] = "302 to sign-in"
        else:
            result["form"] = f"no form ({status})"
        result["api list"], _ = self._call("GET", self.api, "/api/v1/interactions/")
        result["api log"], _ = self._call(
            "POST",
            self.api,
            "/api/v1/interactions/",
            json={
                "account": self.user["account"],
                "kind": "note",
                "occurred_at": (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat(),
                "summary": f"drill {tag} api",
            },
        )
        status, health = self._call("GET", self.web, "/healthz")
        result["healthz"] = (
            f"{status} {health.json()['status']}"
            if health is not None
            and health.headers.get("content-type", "").startswith("application/json")
            else status
        )
        with self.lock:
            self.logged += (result["form"] == 302) + (result["api log"] == 201)
        return result


OK = {"page": 200, "form": 302, "api list": 200, "api log": 201}


def serving(result: dict) -> bool:
    return all(result[k] == v for k, v in OK.items())


# --- the drill --------------------------------------------------------------------------------


def drill_redis(probes: Probes, redis: Redis, seconds: float) -> None:
    from crm.models import PendingTask
    from crm.queue import enqueue_safely
    from retention.tasks import send_daily_digests

    print("\n== Redis (broker and cache) stopped under gunicorn")
    redis.stop()
    rounds, bad, health = 0, [], set()
    began = time.monotonic()
    while time.monotonic() < began + seconds:
        result = probes.round("redis-down")
        rounds += 1
        health.add(result["healthz"])
        if not serving(result):
            bad.append(result)
    per_round = (time.monotonic() - began) / max(rounds, 1)
    say(
        f"{rounds} rounds with Redis stopped: pages, log form, API list and log",
        f"{rounds - len(bad)} rounds fully served, {1000 * per_round:.0f} ms a round "
        f"(6 requests); failures: {bad[:3]}",
        not bad and rounds > 0,
    )
    say("/healthz with Redis stopped", f"answers {sorted(health)}", health == {"200 degraded"})
    PendingTask.objects.all().delete()
    enqueue_safely(send_daily_digests)  # no transaction here: sent (or kept) at once
    kept = PendingTask.objects.filter(task=send_daily_digests.name).count()
    say("enqueue a task with Redis stopped", f"{kept} kept in the outbox", kept == 1)

    redis.start()
    started = time.monotonic()
    result = probes.round("redis-back")
    say(
        "Redis started again",
        f"first round {result} ({time.monotonic() - started:.2f} s)",
        serving(result) and result["healthz"] == "200 ok",
    )
    before = redis.queue_length()
    out = subprocess.run(
        [sys.executable, "manage.py", "send_pending_tasks"],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    after = redis.queue_length()
    say(
        "manage.py send_pending_tasks once Redis is back",
        f"{out.stdout.strip()!r}; Redis queue {before} → {after}; outbox "
        f"{PendingTask.objects.count()}",
        out.returncode == 0 and after == before + 1 and not PendingTask.objects.exists(),
    )


def restart_postgres(how: str, url: str) -> tuple[str, bool, str]:
    """Restart the cluster (``restart``), or only end every connection to the drill's
    database (``terminate``: what a restart does to the app, without touching anyone else)."""
    if how == "terminate":
        import psycopg

        with psycopg.connect(url, autocommit=True) as admin:
            ended = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()[0]
        return "pg_terminate_backend on the drill database", True, f"{ended} connections ended"
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    done = subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return (
        f"pg_ctlcluster {version} main restart",
        done.returncode == 0,
        f"exit {done.returncode} {done.stderr.strip()[:200]}",
    )


def drill_postgres(probes: Probes, how: str, url: str) -> None:
    from django.db import connections

    print(f"\n== PostgreSQL under gunicorn: {how}")
    connections.close_all()
    timeline, stop = [], threading.Event()

    def keep_asking():
        while not stop.is_set():
            started = time.monotonic()  # a round is judged by when it began
            result = probes.round("pg-restart")
            timeline.append((started, serving(result), result))
            time.sleep(0.05)

    asker = threading.Thread(target=keep_asking)
    asker.start()
    time.sleep(1)
    began = time.monotonic()
    tried, restarted, output = restart_postgres(how, url)
    for _ in range(120):
        if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], timeout=10).returncode == 0:
            break
        time.sleep(0.5)
    back = time.monotonic()
    time.sleep(3)  # several rounds on the workers' reused connections
    stop.set()
    asker.join(timeout=60)
    say(tried, f"{output}; ready after {back - began:.1f} s", restarted)
    in_flight = [ok for t, ok, _ in timeline if t < began]  # may be cut mid-request
    during = [ok for t, ok, _ in timeline if began <= t < back]
    after = [(ok, r) for t, ok, r in timeline if t >= back]
    failures_after = [r for ok, r in after if not ok]
    say(
        "requests once PostgreSQL answered again (persistent connections, CONN_HEALTH_CHECKS)",
        f"{len(after)} rounds after, {len(failures_after)} failed {failures_after[:2]}; "
        f"during the fault {during.count(False)} of {len(during)} rounds failed and "
        f"{in_flight.count(False)} in flight when it struck (expected)",
        bool(after) and not failures_after,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["redis", "postgres"], default=None)
    parser.add_argument("--seconds", type=float, default=5, help="of Redis down")
    parser.add_argument(
        "--postgres",
        choices=["restart", "terminate"],
        default="restart",
        help="restart the cluster (default), or only end the drill database's connections",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-seconds", type=int, default=600)
    args = parser.parse_args()
    for tool in ("redis-server", "pg_ctlcluster", "pg_isready", "timeout"):
        if not shutil.which(tool):
            print(f"needs {tool}")
            return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("drill: out of time"))  # run the finally
    watchdog = threading.Timer(args.max_seconds, lambda: os.kill(os.getpid(), signal.SIGTERM))
    watchdog.daemon = True
    watchdog.start()

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    redis = Redis()
    redis.start()
    try:
        prepare_database(url)
        setup_django(url, redis.url)
        user = make_user()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "CELERY_BROKER_URL": redis.url,
            "CACHE_URL": redis.url,
            "DEBUG": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_HSTS_SECONDS": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CONN_MAX_AGE": "60",
            "LOG_LEVEL": "WARNING",
        }
        from interactions.models import Interaction

        before = Interaction.objects.count()
        with gunicorn(env, workers=args.workers, lifetime=args.max_seconds) as server:
            probes = Probes(server, user)
            print(f"gunicorn at {server}, Redis at {redis.url}, database {url}")
            print("\n== baseline")
            began = time.monotonic()
            result = probes.round("baseline")
            took = 1000 * (time.monotonic() - began)
            print(f"  the first round (6 requests, cold workers) took {took:.0f} ms")
            say(
                "one round, everything up",
                str(result),
                serving(result) and result["healthz"] == "200 ok",
            )
            if args.only in (None, "redis"):
                drill_redis(probes, redis, args.seconds)
            if args.only in (None, "postgres"):
                drill_postgres(probes, args.postgres, url)
        from django.db import connections

        connections.close_all()
        saved = Interaction.objects.count() - before
        say(
            "every interaction the app said it logged is in the database",
            f"answered as saved {probes.logged}, rows added {saved}",
            saved == probes.logged,
        )
    finally:
        redis.stop()
    print(f"\n{len(HELD)} held, {len(FAILED)} failed" + (f": {FAILED}" if FAILED else ""))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
