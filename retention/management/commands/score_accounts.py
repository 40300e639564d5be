"""Score every customer account now, synchronously (no broker needed): the nightly task's code."""

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError

from retention.health import scoring


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--date {value!r} is not a date (YYYY-MM-DD).") from exc


class Command(BaseCommand):
    help = (
        "Compute today's (or --date's) health score of every customer account and raise, "
        "update or resolve risk flags. Running it twice on a day changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="score as of this day (YYYY-MM-DD; default today)")
        parser.add_argument("--chunk-size", type=int, default=2000, help="accounts per chunk")

    def handle(self, *args, **options):
        day = _date(options["date"]) if options["date"] else None
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1.")
        started = time.perf_counter()
        try:
            result = scoring.score_accounts(today=day, chunk_size=options["chunk_size"])
        except scoring.ScoringLocked as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Scored {result.get('accounts', 0):,} accounts for {result['day']} in "
            f"{result['chunks']} chunk(s), {elapsed:.1f} s "
            f"(configuration v{result['configuration']}). "
            f"Flags: {result.get('raised', 0)} raised, {result.get('updated', 0)} updated, "
            f"{result.get('resolved', 0)} resolved, {result.get('reopened', 0)} reopened after "
            "a snooze."
        )
