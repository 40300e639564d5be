"""Rebuild every account's derived fields from the source of truth (what the nightly task does)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from customers import services


class Command(BaseCommand):
    help = (
        "Recompute customer spans, customer since, churned on, MRR, next renewal and last "
        "meeting or call of every account from contracts and interactions."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Compute the status as of this day (YYYY-MM-DD).")

    def handle(self, *args, date: str | None, **options):
        try:
            today = dt.date.fromisoformat(date) if date else None
        except ValueError:
            raise CommandError(
                f"--date {date!r} is not a date (YYYY-MM-DD)", returncode=2
            ) from None
        summary = services.rebuild_derived(today=today)
        self.stdout.write(f"Rebuilt the derived fields of {summary['accounts']} accounts.")
