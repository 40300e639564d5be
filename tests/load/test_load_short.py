"""The load test's short form (issue 8; the full one is ``bench/bench_load.py``): a few CSMs
sign in through the login form of a real gunicorn, browse their portfolio and account pages
and log interactions for a few seconds. No request may fail and every interaction the server
confirmed must be in the database afterwards. Timings are printed, never asserted."""

import importlib.util
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from crm.models import Role
from interactions.models import Interaction
from tests.factories import AccountFactory, ContactFactory, InteractionFactory, UserFactory
from tests.figures import record

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "treue-test-pass"  # tests.factories.UserFactory's
USERS, SECONDS = 10, 10


def _bench():
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "bench_load.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _database_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return f"postgres://{auth}@{host}/{s['NAME']}"


def _small_book(team) -> list[dict]:
    """Three CSMs with four accounts each (contacts and some history), as the locustfile
    wants them: username, password and the accounts they own."""
    people = []
    for i in range(3):
        csm = UserFactory(username=f"load{i}", team=team, role=Role.CSM)
        accounts = AccountFactory.create_batch(4, owner=csm)
        for account in accounts:
            ContactFactory(account=account)
            InteractionFactory.create_batch(2, account=account, author=csm)
        people.append(
            {"username": csm.username, "password": PASSWORD, "accounts": [a.pk for a in accounts]}
        )
    return people


@pytest.mark.postgres
def test_signed_in_users_browse_and_log_without_errors_or_lost_interactions(
    transactional_db, team_a
):
    bench = _bench()
    people = _small_book(team_a)
    tag = f"load test {uuid.uuid4().hex[:8]}"
    before = Interaction.objects.count()
    env = bench.server_environment(
        _database_url(), DJANGO_SETTINGS_MODULE="tests.load.server_settings"
    )

    # Bounded: sign-in may take 60 s, locust stops 150 s after that at the latest, gunicorn
    # is stopped when the block ends and would stop by itself a little later.
    with bench.serve(env, workers=2, lifetime=SECONDS + 60 + 240) as server:
        summary = bench.run_locust(
            server.url,
            people,
            users=USERS,
            spawn_rate=5,
            duration=SECONDS,
            wait="0.5,1",
            tag=tag,
            sign_in_timeout=60,
        )

    # Figures only: no timing is asserted.
    record("tests/load: 10 users, 10 s against gunicorn", bench.report(summary, target_ms=None))
    logged = summary["logged"]
    assert bench.errors_of(summary) == 0, summary["errors"]
    assert summary["signed_in"] == USERS
    assert logged > 0
    assert summary["pages"]["log interaction"]["requests"] == logged
    assert before + logged == Interaction.objects.count()
    assert Interaction.objects.filter(summary__startswith=tag).count() == logged
    record(
        "tests/load: every logged interaction is there",
        f"  {before:,} before + {logged} logged = {Interaction.objects.count():,} after; "
        f"errors: {bench.errors_of(summary)}",
    )
