"""Check that the services Treue needs answer, and say the fix in one line when one does not.

``--broker-env`` (``make run``) also picks the Celery broker and prints it as
``CELERY_BROKER_URL=...`` for the shell to export to web, worker and beat alike: the one
``CELERY_BROKER_URL`` names, else Redis on 127.0.0.1:6379, else a broker in files under
``var/broker/`` when nothing answers there (``crm.broker``), said in one line.
"""

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.utils import OperationalError
from kombu.utils.url import url_to_parts

from crm import broker


class Command(BaseCommand):
    help = "Check the database and the Celery broker before starting Treue."

    def add_arguments(self, parser):
        parser.add_argument(
            "--broker-env",
            action="store_true",
            help="pick the broker (Redis, or files when Redis does not answer and "
            "CELERY_BROKER_URL is not set) and print CELERY_BROKER_URL=... for the shell",
        )

    def handle(self, *args, **options):
        problems = []
        try:
            connection.ensure_connection()
        except OperationalError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            problems.append(
                f"The database at DATABASE_URL does not answer ({first}); start it or unset "
                "DATABASE_URL to use the local SQLite file."
            )
        if options["broker_env"]:
            url, in_files = broker.choose_broker(os.environ)
        else:
            url, in_files = settings.CELERY_BROKER_URL, False
        if in_files:
            why = (
                "CELERY_BROKER_URL says so"
                if os.environ.get("CELERY_BROKER_URL")
                else "Redis does not answer at 127.0.0.1:6379 (start it or set CELERY_BROKER_URL "
                "to use Redis)"
            )
            self.stderr.write(f"Celery runs on a broker in files under {broker_folder()}: {why}.")
        else:
            parts = url_to_parts(url)
            host, port = parts.hostname or "127.0.0.1", parts.port or 6379
            if not broker.redis_answers(host, port, timeout=2):
                problems.append(
                    f"Redis does not answer at {host}:{port}; start it with "
                    "`redis-server --daemonize yes` (or set CELERY_BROKER_URL)."
                )
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            sys.exit(1)
        if options["broker_env"]:
            self.stdout.write(f"CELERY_BROKER_URL={url}")
        else:
            self.stdout.write("Database and Redis answer.")


def broker_folder() -> str:
    """The broker's folder as a person finds it: relative to here when it is below."""
    folder = os.path.abspath(settings.CELERY_BROKER_FOLDER)
    relative = os.path.relpath(folder)
    return (folder if relative.startswith("..") else relative) + "/"
