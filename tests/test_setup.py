"""The suite's own setup and the build: what a newcomer's `make test` and `pip install` see."""

import os
import re
import tomllib
from pathlib import Path

from django.db import connection
from hypothesis import settings

from . import conftest

ROOT = Path(__file__).resolve().parent.parent


def test_the_postgres_skip_reason_names_the_readmes_database_url(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")

    reason = conftest._missing("postgres")

    url = re.search(r"DATABASE_URL=(\S+)", reason).group(1)
    assert f"DATABASE_URL={url} make test" in (ROOT / "README.md").read_text()


def test_the_license_is_an_spdx_expression_the_build_backend_reads():
    """setuptools 77+ reads ``license`` as an SPDX expression; the older table form warns."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert isinstance(project["project"]["license"], str)
    setuptools = next(r for r in project["build-system"]["requires"] if r.startswith("setuptools"))
    assert tuple(map(int, re.search(r">=([\d.]+)", setuptools).group(1).split("."))) >= (77,)


def test_randomised_tests_draw_the_same_examples_unless_fuzzing():
    ci = settings.get_profile("ci")
    assert ci.derandomize and ci.database is None
    fuzz = settings.get_profile("fuzz")
    assert not fuzz.derandomize
    if not os.environ.get("HYPOTHESIS_PROFILE"):
        assert settings.get_current_profile_name() == "ci"
        assert settings.default.derandomize


def test_no_randomised_test_overrides_the_profiles_randomness():
    """A test's own ``derandomize=`` or ``database=`` would escape the ci/fuzz profiles."""
    overriding = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "tests").rglob("*.py")
        if path.name not in {"conftest.py", "test_setup.py"}
        and re.search(r"\b(derandomize|database)\s*=", path.read_text())
    ]
    assert not overriding


def test_tests_flush_and_run_workers_on_the_runs_own_redis_database():
    """Several runs on one Redis server (CI beside a developer's run) keep apart: a run's
    tests use the database its CELERY_BROKER_URL names, and no test names another."""
    from .faults.helpers import _own_redis_database

    assert _own_redis_database({"CELERY_BROKER_URL": "redis://h:1/13"}) == "redis://h:1/13"
    assert _own_redis_database({}) == "redis://127.0.0.1:6379/5"  # not make run's db 0
    assert _own_redis_database({"CELERY_BROKER_URL": "filesystem://"}).endswith("/5")
    named = [
        f"{path.relative_to(ROOT)}: {database}"
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if path.name not in {"helpers.py", "test_broker.py", "test_setup.py"}
        for database in re.findall(r"redis://[\w.]+:6379/\d+", path.read_text())
    ]
    assert named == []
