"""Check that the services Treue needs answer, and say the fix in one line when one does not."""

import socket
import sys

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.utils import OperationalError
from kombu.utils.url import url_to_parts


class Command(BaseCommand):
    help = "Check the database and the Redis broker before starting Treue."

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
        parts = url_to_parts(settings.CELERY_BROKER_URL)
        host, port = parts.hostname or "127.0.0.1", parts.port or 6379
        try:
            socket.create_connection((host, port), timeout=2).close()
        except OSError:
            problems.append(
                f"Redis does not answer at {host}:{port}; start it with "
                "`redis-server --daemonize yes` (or set CELERY_BROKER_URL)."
            )
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            sys.exit(1)
        self.stdout.write("Database and Redis answer.")
