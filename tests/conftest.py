"""Personas and service markers shared by all tests.

Tests marked ``postgres``, ``celery`` or ``browser`` need a real service. Outside CI they skip
with the reason; with ``CI=true`` a missing service fails the run instead, so nothing is
silently skipped in CI.
"""

import os
import shutil
import socket

import pytest
from django.db import connection
from hypothesis import settings

from crm.models import Role

from .factories import TeamFactory, UserFactory

# The PostgreSQL the README's quickstart names for the full run.
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/treue"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# Randomised tests (hypothesis, schemathesis) cannot flake: in CI and in `make test` they draw
# the same examples on every run and keep no examples database. `make fuzz`
# (HYPOTHESIS_PROFILE=fuzz) draws fresh ones, many more (tests/fuzzing.py), and remembers
# failures in .hypothesis/ (not in the repository) to replay them.
settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("fuzz", derandomize=False, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "ci")


def _redis_up() -> bool:
    from django.conf import settings
    from kombu.utils.url import url_to_parts

    parts = url_to_parts(settings.CELERY_BROKER_URL)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 1):
            return True
    except OSError:
        return False


def _missing(marker: str) -> str | None:
    if marker == "postgres" and connection.vendor != "postgresql":
        return f"needs PostgreSQL: run with DATABASE_URL={POSTGRES_URL} (README)"
    if marker == "celery" and not _redis_up():
        return "needs Redis at CELERY_BROKER_URL for a real Celery worker"
    if marker == "browser" and not shutil.which("chromium"):
        return "needs Debian's chromium (apt-get install chromium)"
    return None


def pytest_runtest_setup(item):
    for marker in ("postgres", "celery", "browser"):
        if item.get_closest_marker(marker) and (reason := _missing(marker)):
            if IN_CI:
                pytest.fail(f"CI=true but {reason}")
            pytest.skip(reason)


def pytest_terminal_summary(terminalreporter):
    """What the fault, load and backup tests tried and what held (tests/figures.py)."""
    from .figures import RECORDED

    if RECORDED:
        terminalreporter.section("reliability: what was tried and what held")
        for title, text in RECORDED:
            terminalreporter.write_line(title)
            terminalreporter.write_line(text)


@pytest.fixture(autouse=True)
def _fresh_local_cache():
    # Per-process memory holds the API's rate-limit counts per user id; ids repeat from test to
    # test, so each test starts from none (a shared cache, e.g. Redis, is left alone).
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # Every persona hashes a password; the production hasher would dominate the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def team_a(db):
    return TeamFactory(name="Team A")


@pytest.fixture
def team_b(db):
    return TeamFactory(name="Team B")


@pytest.fixture
def csm(team_a):
    return UserFactory(
        username="carla", first_name="Carla", last_name="CSM", team=team_a, role=Role.CSM
    )


@pytest.fixture
def teammate(team_a):
    return UserFactory(
        username="tom", first_name="Tom", last_name="Teammate", team=team_a, role=Role.CSM
    )


@pytest.fixture
def team_lead(team_a):
    return UserFactory(
        username="lena", first_name="Lena", last_name="Lead", team=team_a, role=Role.TEAM_LEAD
    )


@pytest.fixture
def other_csm(team_b):
    return UserFactory(
        username="otto", first_name="Otto", last_name="Other", team=team_b, role=Role.CSM
    )


@pytest.fixture
def admin_user(db):
    user = UserFactory(
        username="ada", first_name="Ada", last_name="Admin", team=None, role=Role.ADMIN
    )
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    return user


@pytest.fixture
def book(csm, teammate, other_csm):
    """One account each for the CSM, their teammate and a CSM of another team."""
    from .factories import AccountFactory

    return {
        "mine": AccountFactory(name="Mine AG", owner=csm),
        "teammates": AccountFactory(name="Teammate AG", owner=teammate),
        "other": AccountFactory(name="Other AG", owner=other_csm),
    }


@pytest.fixture
def health_waits_for_the_night(monkeypatch):
    """Writes do not rescore their account (no ``crm.events`` handler listens): for tests of
    the nightly run from a book without scores, and of pages over scores and flags made by
    hand with factories (a score for today made by a factory would meet the one the
    handler wrote)."""
    from collections import defaultdict

    from crm import events

    monkeypatch.setattr(events, "_handlers", defaultdict(list))


@pytest.fixture
def listen(monkeypatch):
    """``listen(EventType)`` returns the list of the events of that type published while the
    test runs (``crm.events``), beside the handlers the apps subscribed."""
    from collections import defaultdict

    from crm import events

    handlers = defaultdict(list, {kind: list(hs) for kind, hs in events._handlers.items()})
    monkeypatch.setattr(events, "_handlers", handlers)

    def listen(event_type) -> list:
        heard: list = []
        events.subscribe(event_type, heard.append)
        return heard

    return listen
