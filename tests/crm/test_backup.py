"""Backups restore (issue 8): the two documented paths of the README's "Backups" section.

1. ``pg_dump --format=custom`` and ``pg_restore`` into an empty PostgreSQL database;
2. ``manage.py dumpdata`` (portable JSON) and ``migrate`` + ``flush`` + ``loaddata`` into an empty
   database.

Both fill a book with the demo seed (accounts, contacts, contracts, interactions, audit history,
scores and flags), back it up, restore it into a new, empty database and compare the number of
rows of every table.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection

from crm.models import Role
from tests.figures import record

ROOT = Path(__file__).resolve().parents[2]

# What `dumpdata` leaves out, as the README says: rows that `migrate` recreates by itself
# (content types, permissions) and what is not worth restoring (sessions, the admin's log).
DUMPDATA_EXCLUDES = ["contenttypes", "auth.permission", "sessions", "admin.logentry"]


def seed_book() -> None:
    # An earlier transactional test may have emptied the tables, the roles' groups included.
    for role in Role.values:
        Group.objects.get_or_create(name=role)
    call_command("seed_demo", accounts=25, verbosity=0)
    call_command("score_accounts", verbosity=0)


def row_counts(cursor, tables) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
    return counts


def pg_args(settings_dict: dict) -> list[str]:
    args = [
        "-h",
        settings_dict.get("HOST") or "127.0.0.1",
        "-p",
        str(settings_dict.get("PORT") or 5432),
    ]
    if settings_dict.get("USER"):
        args += ["-U", settings_dict["USER"]]
    return args


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pg_dump_restores_into_an_empty_database_with_all_rows(tmp_path):
    for tool in ("pg_dump", "pg_restore", "createdb", "dropdb"):
        assert shutil.which(tool), f"{tool} is not installed (Debian: postgresql-client)"
    seed_book()
    source = connection.settings_dict
    tables = connection.introspection.table_names()
    with connection.cursor() as cursor:
        before = row_counts(cursor, tables)
    assert before["customers_account"] == 25 and before["interactions_interaction"] > 0

    dump = tmp_path / "treue.dump"
    env = {**os.environ, "PGPASSWORD": source.get("PASSWORD") or ""}
    subprocess.run(
        [
            "pg_dump",
            *pg_args(source),
            "--format=custom",
            "--no-owner",
            "-f",
            str(dump),
            source["NAME"],
        ],
        check=True,
        env=env,
        timeout=120,
    )
    target = f"{source['NAME']}_restore"
    subprocess.run(["dropdb", *pg_args(source), "--if-exists", target], check=True, env=env)
    subprocess.run(["createdb", *pg_args(source), target], check=True, env=env)
    try:
        subprocess.run(
            [
                "pg_restore",
                *pg_args(source),
                "--no-owner",
                "--exit-on-error",
                "-d",
                target,
                str(dump),
            ],
            check=True,
            env=env,
            timeout=120,
        )
        import psycopg

        with psycopg.connect(
            host=source.get("HOST") or "127.0.0.1",
            port=source.get("PORT") or 5432,
            user=source.get("USER") or None,
            password=source.get("PASSWORD") or None,
            dbname=target,
        ) as restored:
            after = row_counts(restored.cursor(), tables)
    finally:
        subprocess.run(["dropdb", *pg_args(source), "--if-exists", target], env=env, check=False)
    rows = sum(before.values())
    assert after == before
    record(
        "tests/crm/test_backup.py: pg_dump -> pg_restore into an empty database",
        f"  {dump.stat().st_size:,} bytes, {len(tables)} tables, {rows:,} rows, all restored",
    )


@pytest.mark.django_db(transaction=True)
def test_dumpdata_loads_into_an_empty_database_with_all_rows(tmp_path):
    seed_book()
    backup = tmp_path / "treue.json"
    call_command(
        "dumpdata",
        "--natural-foreign",
        "--natural-primary",
        *[f"--exclude={label}" for label in DUMPDATA_EXCLUDES],
        output=str(backup),
        verbosity=0,
    )
    excluded_tables = {
        *("django_content_type", "auth_permission", "django_session", "django_admin_log"),
        # django-celery-beat's "schedule changed" marker: written by a signal on every save of
        # a periodic task, so loaddata sets it; beat rereads the schedule, nothing is lost.
        "django_celery_beat_periodictasks",
    }
    tables = set(connection.introspection.table_names()) - excluded_tables
    with connection.cursor() as cursor:
        before = row_counts(cursor, tables)

    # Restore into a new, empty SQLite file: the portable path works across databases.
    target = tmp_path / "restored.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{target}",
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        # As the README says: the history is in the backup; loaddata must not add to it.
        "SIMPLE_HISTORY_ENABLED": "false",
    }

    def manage(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout

    manage("migrate", "--no-input", "-v", "0")
    # The backup holds every row, those the data migrations wrote included: start from none.
    manage("flush", "--no-input", "-v", "0")
    manage("loaddata", str(backup), "-v", "0")
    script = (
        "import json; from django.db import connection; c = connection.cursor(); "
        f"tables = {sorted(tables)!r}; out = {{}}\n"
        "for t in tables:\n"
        "    c.execute(f'SELECT count(*) FROM \"{t}\"'); out[t] = c.fetchone()[0]\n"
        "print(json.dumps(out))"
    )
    after = json.loads(manage("shell", "-c", script).strip().splitlines()[-1])
    rows = sum(before.values())
    assert after == before
    record(
        "tests/crm/test_backup.py: dumpdata -> migrate, flush, loaddata into an empty database",
        f"  {backup.stat().st_size:,} bytes, {len(tables)} tables, {rows:,} rows, all restored",
    )
