"""Evaluate the playbooks' time triggers now, synchronously: what the daily beat task does."""

import time

from django.core.management.base import BaseCommand, CommandError

from retention.management.commands.score_accounts import _date
from retention.playbooks import triggers


class Command(BaseCommand):
    help = (
        "Start the playbook runs that today's (or --date's) time triggers call for (a renewal "
        "N days ahead, no meeting or call for N days). Running it twice starts nothing more."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="evaluate as of this day (YYYY-MM-DD; default today)")
        parser.add_argument("--chunk-size", type=int, default=2000, help="accounts per chunk")

    def handle(self, *args, **options):
        day = _date(options["date"]) if options["date"] else None
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1.")
        started = time.perf_counter()
        try:
            result = triggers.run_playbooks(today=day, chunk_size=options["chunk_size"])
        except triggers.PlaybooksLocked as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Playbooks for {result['day']}: {result['started']:,} run(s) started in "
            f"{result['chunks']} chunk(s), {result['surveys']:,} survey step(s) sent, "
            f"{elapsed:.1f} s."
        )
