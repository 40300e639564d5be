"""What the tests of Celery and Redis share: a Celery app on the run's own Redis database, a
dead broker URL, and ``report`` (each test prints what it tried and what held; see them with
``-s``)."""

import os
from contextlib import contextmanager

from django.db import OperationalError

from tests.figures import record


def _own_redis_database(environ=os.environ) -> str:
    """The Redis database a run's tests flush and run workers on: the one CELERY_BROKER_URL
    names (CI's db 15, or each run's own where several share one server: fixed numbers let
    one run's worker take another's messages), else db 5, never `make run`'s db 0."""
    url = environ.get("CELERY_BROKER_URL", "")
    return url if url.startswith("redis://") else "redis://127.0.0.1:6379/5"


REDIS_DB = _own_redis_database()
# Nothing listens on port 1: a broker or cache that is down.
DEAD_REDIS = "redis://127.0.0.1:1/0"


def report(tried: str, held: str) -> None:
    record(_current_test(), f"  tried: {tried}\n  held:  {held}")


def _current_test() -> str:
    # "tests/faults/test_x.py::test_y (call)" -> "tests/faults/test_x.py::test_y"
    return os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0]


@contextmanager
def celery_app_on(url: str):
    """A Celery app on ``url``, current and default while the block runs (the shared tasks
    resolve to it)."""
    from celery.contrib.testing.app import TestApp, setup_default_app

    # Celery reads CELERY_BROKER_URL from the environment before its own configuration, so
    # the variable (set in CI) must follow the app for the block.
    saved = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = url
    try:
        app = TestApp(set_as_current=False, broker=url, backend=url)
        with setup_default_app(app):
            app.set_default()
            app.set_current()
            yield app
    finally:
        if saved is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved


def queued(redis_url: str = REDIS_DB) -> list[str]:
    """The task names waiting in the default queue of ``redis_url``."""
    import json

    import redis

    client = redis.Redis.from_url(redis_url)
    return [json.loads(raw)["headers"]["task"] for raw in client.lrange("celery", 0, -1)]


def flush(redis_url: str = REDIS_DB) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()


def flaky(monkeypatch, module, name: str, *, failures: int) -> list:
    """Make ``module.name`` raise a DatabaseError on its first ``failures`` calls, then do its
    work; returns the list of calls made."""
    real, attempts = getattr(module, name), []

    def call(**kwargs):
        attempts.append(kwargs)
        if len(attempts) <= failures:
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(module, name, call)
    return attempts
