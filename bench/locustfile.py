"""Signed-in CSMs browsing Treue: the load test's users (issue 8), shared by
``bench/bench_load.py`` (50 users, 60 s, 100k accounts) and ``tests/load/test_load_short.py``
(the short form in CI). Run it through one of those; by hand:

    LOAD_USERS_FILE=users.json locust -f bench/locustfile.py --headless -u 10 -r 5 -t 20s \
        --stop-timeout 30 --host http://127.0.0.1:8000

Each simulated user signs in through the login form (CSRF token from the form) as one CSM of
``LOAD_USERS_FILE`` (a JSON list of ``{"username", "password", "accounts": [ids]}``, taken in
turn) and lands on their portfolio, as a browser does after the login's redirect. When every
user has signed in (or failed to), they all start browsing, which lasts
``LOAD_DURATION`` seconds when set (else until ``--run-time``); ``LOAD_READY_FILE`` is created
at that moment. Signing in is thus measured apart, not mixed into the pages' figures. Browsing,
with a think time of ``LOAD_WAIT`` seconds ("min,max", default "1,5") between steps, is one of
(weights 3 : 5 : 2):

- opening their portfolio;
- opening an account of their portfolio, with the log form that the page loads through htmx;
- logging an interaction on such an account: the htmx POST of the account page's log form
  (``X-CSRFToken`` header from ``<body hx-headers>``), checked for the "logged" notice.

Any answer but the expected one (a redirect to the login page, a form error, a 4xx/5xx, no
answer within 30 s) is a failure. At the end the figures go to ``LOAD_SUMMARY_FILE`` (JSON; see
``write_summary``), including ``logged``: the interactions the server confirmed. Every summary
starts with ``LOAD_RUN_TAG`` so a run's rows can be counted in the database.
"""

import datetime as dt
import itertools
import json
import os
import random
import re
import time
from pathlib import Path
from urllib.parse import urlencode

import gevent
from gevent.event import Event
from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import StopUser
from locust.stats import StatsEntry

LOGIN_URL = "/accounts/login/"
PORTFOLIO_URL = "/retention/portfolio/"
LOG_URL = "/interactions/log/"

# Request names in the statistics; BROWSING are the pages of the test (signing in is not).
PORTFOLIO, ACCOUNT, LOG_FORM, LOG = (
    "portfolio",
    "account page",
    "log form (htmx)",
    "log interaction",
)
LOGIN_FORM, LOGIN, LANDING = "login form", "login", "portfolio after sign-in"
BROWSING, SIGN_IN = (PORTFOLIO, ACCOUNT, LOG_FORM, LOG), (LOGIN_FORM, LOGIN, LANDING)

FORM_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HX_TOKEN = re.compile(r"&quot;X-CSRFToken&quot;: &quot;([^&]+)&quot;|\"X-CSRFToken\": \"([^\"]+)\"")
SAVED = 'data-testid="log-saved"'


def _load_users() -> list[dict]:
    path = os.environ.get("LOAD_USERS_FILE")
    if not path:
        return []
    with open(path, encoding="utf-8") as handle:
        users = json.load(handle)
    return [u for u in users if u.get("accounts")]


WAIT = tuple(float(x) for x in os.environ.get("LOAD_WAIT", "1,5").split(","))
USERS = _load_users()
NEXT_USER = itertools.count()
RUN_TAG = os.environ.get("LOAD_RUN_TAG", "load test")
DURATION = float(os.environ.get("LOAD_DURATION") or 0)
SIGN_IN_TIMEOUT = float(os.environ.get("LOAD_SIGN_IN_TIMEOUT") or 300)
# One gevent process: plain counters are safe.
STATE = {"signed_in": 0, "not_signed_in": 0, "logged": 0, "browsing_from": None}
BROWSE = Event()


def _signed_in(environment, ok: bool) -> None:
    """Count a user in; the last one starts the browsing for everyone."""
    STATE["signed_in" if ok else "not_signed_in"] += 1
    options = environment.parsed_options
    expected = getattr(options, "num_users", None) or int(os.environ.get("LOAD_USERS", 1))
    if STATE["signed_in"] + STATE["not_signed_in"] >= expected:
        _start_browsing(environment)


def _start_browsing(environment) -> None:
    if BROWSE.is_set():
        return
    STATE["browsing_from"] = time.time()
    BROWSE.set()
    if ready := os.environ.get("LOAD_READY_FILE"):
        Path(ready).touch()
    if DURATION and environment.runner is not None:
        gevent.spawn_later(DURATION, environment.runner.quit)


def _hx_token(text: str) -> str | None:
    match = HX_TOKEN.search(text or "")
    return (match.group(1) or match.group(2)) if match else None


class CSM(FastHttpUser):
    wait_time = between(*WAIT)
    # A stuck request is an error, not a hang: well under the run's own bound.
    network_timeout = 30.0
    connection_timeout = 10.0

    def on_start(self):
        if not USERS:
            raise StopUser("LOAD_USERS_FILE names no user with accounts")
        me = USERS[next(NEXT_USER) % len(USERS)]
        self.username, self.accounts = me["username"], me["accounts"]
        self.token = None
        self.serial = 0
        with self.client.get(
            LOGIN_URL, name=LOGIN_FORM, allow_redirects=False, catch_response=True
        ) as response:
            match = FORM_TOKEN.search(response.text or "")
            if response.status_code != 200 or not match:
                response.failure(f"no login form ({response.status_code})")
                _signed_in(self.environment, ok=False)
                raise StopUser()
        body = {
            "csrfmiddlewaretoken": match.group(1),
            "username": me["username"],
            "password": me["password"],
            "next": "",
        }
        with self.client.post(
            LOGIN_URL,
            data=urlencode(body),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": self.host + LOGIN_URL,
            },
            name=LOGIN,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "") if response.headers else ""
            if response.status_code != 302 or LOGIN_URL in location:
                response.failure(f"{me['username']} not signed in ({response.status_code})")
                _signed_in(self.environment, ok=False)
                raise StopUser()
        # Where the login leads; gives the session's new CSRF token.
        text = self._page(PORTFOLIO_URL, LANDING, expect="X-CSRFToken")
        self.token = _hx_token(text)
        _signed_in(self.environment, ok=True)
        if not BROWSE.wait(timeout=SIGN_IN_TIMEOUT):
            _start_browsing(self.environment)  # someone hangs: go on without them
        gevent.sleep(random.uniform(0, WAIT[1]))  # not all in the same instant

    def _page(self, url: str, name: str, *, expect: str | None = None, headers=None):
        """GET ``url``; a 200 with ``expect`` in it (else a failure). Returns the text."""
        with self.client.get(
            url, name=name, headers=headers, allow_redirects=False, catch_response=True
        ) as response:
            text = response.text or ""
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif expect and expect not in text:
                response.failure(f"no {expect!r} in the answer (signed out?)")
            return text

    @task(3)
    def portfolio(self):
        text = self._page(PORTFOLIO_URL, PORTFOLIO, expect="X-CSRFToken")
        self.token = _hx_token(text) or self.token

    @task(5)
    def account(self):
        pk = random.choice(self.accounts)
        text = self._page(f"/customers/{pk}/", ACCOUNT, expect="log-panel")
        self.token = _hx_token(text) or self.token
        # What the page's <div id="log-panel" hx-trigger="load"> fetches right after.
        self._page(
            f"{LOG_URL}?account={pk}&source=account",
            LOG_FORM,
            expect='data-testid="log-form"',
            headers={"HX-Request": "true", "HX-Current-URL": f"{self.host}/customers/{pk}/"},
        )

    @task(2)
    def log_interaction(self):
        pk = random.choice(self.accounts)
        self.serial += 1
        occurred = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=5)
        body = {
            "account": pk,
            "source": "account",
            "kind": random.choice(["call", "meeting", "email", "note"]),
            "occurred_at": occurred.isoformat(),
            "summary": f"{RUN_TAG} · {self.username} #{self.serial}",
            "notes": "Walked through the renewal; they want the usage report first.",
            "tone": random.choice(["", "positive", "neutral", "negative"]),
            "next_steps": "",
            "follow_up_title": "",
            "follow_up_due": "",
        }
        account_url = f"{self.host}/customers/{pk}/"
        with self.client.post(
            LOG_URL,
            data=urlencode(body),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "HX-Request": "true",
                "HX-Current-URL": account_url,
                "X-CSRFToken": self.token or "",
                "Referer": account_url,
            },
            name=LOG,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif SAVED not in (response.text or ""):
                response.failure("not logged (the form came back without the notice)")
            else:
                STATE["logged"] += 1


def _figures(entry: StatsEntry, since: float | None = None) -> dict:
    """Counts and percentiles; requests per second over the browsing (from ``since``)."""
    start = since or entry.stats.start_time or 0
    window = (entry.stats.last_request_timestamp or 0) - start
    return {
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "rps": entry.num_requests / window if window > 0 else 0.0,
        "avg_ms": entry.avg_response_time,
        "p50_ms": entry.get_response_time_percentile(0.50) if entry.num_requests else 0,
        "p95_ms": entry.get_response_time_percentile(0.95) if entry.num_requests else 0,
        "p99_ms": entry.get_response_time_percentile(0.99) if entry.num_requests else 0,
        "max_ms": entry.max_response_time,
    }


@events.quitting.add_listener
def write_summary(environment, **_kwargs):
    """``{"pages": {name: figures}, "browsing": figures, "all": figures, "logged": n,
    "signed_in": n, "not_signed_in": n, "errors": [{"name", "error", "occurrences"}],
    "duration_s": s}`` to LOAD_SUMMARY_FILE; "browsing" merges the pages (not signing in),
    and rates and ``duration_s`` count from the moment everyone had signed in."""
    path = os.environ.get("LOAD_SUMMARY_FILE")
    if not path:
        return
    stats = environment.stats
    since = STATE["browsing_from"]
    pages = {}
    browsing = StatsEntry(stats, "browsing", "")
    for (name, _method), entry in stats.entries.items():
        pages[name] = _figures(entry, None if name in SIGN_IN else since)
        if name in BROWSING:
            browsing.extend(entry)
    errors = [
        {"name": e.name, "error": str(e.error), "occurrences": e.occurrences}
        for e in stats.errors.values()
    ]
    summary = {
        "pages": pages,
        "browsing": _figures(browsing, since),
        "all": _figures(stats.total),
        "logged": STATE["logged"],
        "signed_in": STATE["signed_in"],
        "not_signed_in": STATE["not_signed_in"],
        "errors": errors,
        "duration_s": max((stats.last_request_timestamp or 0) - (since or stats.start_time), 0),
    }
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(summary, handle, indent=2)
