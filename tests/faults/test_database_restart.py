"""PostgreSQL restarted while the web app runs: the next request still succeeds.

A real restart would pull the database from under every other test, so the test does what
a restart does to the app: the server ends the app's persistent connection
(``pg_terminate_backend``) between two requests. The requests go through Django's WSGI
handler as a server calls it (the test client turns off the per-request connection
handling this is about). With ``CONN_HEALTH_CHECKS`` the next request checks its reused
connection, finds it dead and opens a new one; without it that request is a 500 (shown too).
``bench/drill_faults.py`` restarts the real server under gunicorn."""

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import Client, RequestFactory

from .helpers import report

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def serve(path: str, cookie: str = "") -> int:
    """One request through the WSGI handler, closed as a server closes it; the status."""
    environ = RequestFactory()._base_environ(PATH_INFO=path, HTTP_COOKIE=cookie)
    statuses = []
    response = WSGIHandler()(
        environ, lambda status, headers, exc_info=None: statuses.append(status)
    )
    try:
        b"".join(response)
    finally:
        response.close()  # request_finished: Django's end-of-request connection handling
    return int(statuses[0].split()[0])


def backend_pid() -> int:
    return connection.connection.info.backend_pid


def restart_as_seen_by_the_app(pid: int) -> None:
    """End the app's server process, as a PostgreSQL restart does, and wait until it is gone."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
        for _ in range(100):
            gone = not admin.execute(
                "SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]
            ).fetchone()
            if gone:
                return
            admin.execute("SELECT pg_sleep(0.05)")
    raise AssertionError(f"backend {pid} still there")


@pytest.fixture
def signed_in(csm) -> str:
    client = Client()
    client.force_login(csm)
    return f"sessionid={client.cookies['sessionid'].value}"


def test_the_next_request_after_a_restart_succeeds(signed_in):
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    assert connection.settings_dict["CONN_MAX_AGE"] > 0
    assert serve("/customers/", signed_in) == 200
    first = backend_pid()
    assert serve("/customers/", signed_in) == 200
    assert backend_pid() == first  # a persistent connection: what a restart breaks
    restart_as_seen_by_the_app(first)
    statuses = [serve("/customers/", signed_in), serve("/healthz")]
    assert statuses == [200, 200]
    assert backend_pid() != first
    report(
        f"pg_terminate_backend({first}) of the web app's persistent connection between requests",
        f"the next requests answered {statuses} on a new connection ({backend_pid()})",
    )


def test_without_health_checks_the_first_request_after_a_restart_would_fail(signed_in, monkeypatch):
    # The counterfactual: what CONN_HEALTH_CHECKS saves.
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", False)
    connection.close()
    assert serve("/customers/", signed_in) == 200
    restart_as_seen_by_the_app(backend_pid())
    statuses = [serve("/customers/", signed_in), serve("/customers/", signed_in)]
    assert statuses == [500, 200]
    report(
        "the same restart with CONN_HEALTH_CHECKS off",
        f"{statuses}: the first request hit the dead connection (500), Django closed it after",
    )
