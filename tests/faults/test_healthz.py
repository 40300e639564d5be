"""/healthz, public, for load balancers: 200 "ok" when the database and the broker answer,
200 "degraded" when only the broker is down (pages keep working), 503 when the database is
down (this node cannot serve)."""

import pytest
from django.db import OperationalError, connection

from .helpers import DEAD_REDIS, REDIS_DB, celery_app_on, report

pytestmark = pytest.mark.django_db


@pytest.mark.celery
def test_both_up_is_200_ok_without_signing_in(client):
    with celery_app_on(REDIS_DB):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    report("anonymous GET /healthz, database and Redis up", f"200 {response.json()}")


def test_broker_down_is_200_degraded(client, caplog):
    with celery_app_on(DEAD_REDIS):
        response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["database"]) == ("degraded", "ok")
    # The answer is public: the kind of error only; the address goes to the log.
    assert body["broker"].startswith("error: ") and "127.0.0.1" not in body["broker"]
    assert "Connection refused" in caplog.text


@pytest.fixture
def database_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)


@pytest.mark.celery
def test_database_down_is_503(client, database_down):
    with celery_app_on(REDIS_DB):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "down",
        "database": "error: OperationalError",
        "broker": "ok",
    }
    report("GET /healthz with the database refusing", f"503 {response.json()}")


def test_both_down_is_503(client, database_down):
    with celery_app_on(DEAD_REDIS):
        response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "down"
    assert body["database"].startswith("error: ") and body["broker"].startswith("error: ")
