"""Fill an empty database with a reproducible demo book of business (see the demo app)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from demo import DemoError, writer
from demo.staff import demo_logins


def worker_answers() -> bool:
    """Whether a Celery worker answers a ping within a second (it is up, its banner shown)."""
    from crm.celery import app

    try:
        return bool(app.control.ping(timeout=1))
    except Exception:  # the broker not reachable yet: no answer either
        return False


def wait_for_worker(seconds: float, *, pause: float = 1) -> bool:
    """Ask until a worker answers or ``seconds`` have passed; whether one answered."""
    deadline = time.monotonic() + seconds
    while not worker_answers():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(pause, left))
    return True


class Command(BaseCommand):
    help = (
        "Create demo teams, users, accounts, contracts and their history. Same --seed, same "
        "data. Refuses to touch a database that holds accounts unless --flush is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=300, help="how many accounts")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--language",
            choices=[code for code, _ in settings.LANGUAGES],
            help=f"language of names and texts (default {settings.LANGUAGE_CODE}: LANGUAGE_CODE)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when any account exists but print the demo users (for `make run`)",
        )
        parser.add_argument(
            "--users",
            action="store_true",
            help="only print the demo users and their passwords (e.g. after the worker's banner)",
        )
        parser.add_argument(
            "--after-worker",
            type=float,
            default=0,
            metavar="SECONDS",
            help="with --users: first wait up to SECONDS for a Celery worker to answer (`make "
            "run` prints the users once the worker's banner is on the screen)",
        )
        parser.add_argument(
            "--flush",
            action="store_true",
            help="first delete all accounts, everything recorded on them, and the demo users",
        )

    def handle(self, *args, **options):
        if options["users"]:
            if options["after_worker"] > 0 and not wait_for_worker(options["after_worker"]):
                self.stdout.write(f"No Celery worker answered in {options['after_worker']:g} s.")
            self._print_logins(demo_logins())
            return
        accounts = options["accounts"]
        if accounts < 1:
            raise CommandError("--accounts must be at least 1.")
        if not writer.book_is_empty():
            if options["if_empty"]:
                self.stdout.write("Accounts exist already: demo data not seeded.")
                self._print_logins(demo_logins())
                return
            if not options["flush"]:
                raise CommandError(
                    "The database holds accounts. Use --flush to delete them (with everything "
                    "recorded on them, and the demo users) and seed anew, or --if-empty to skip."
                )
        started = time.perf_counter()
        progress = self._progress if options["verbosity"] >= 1 and accounts > 5000 else None
        try:
            # Flush and seed together: a failed seed keeps the old data.
            with transaction.atomic():
                if options["flush"]:
                    flushed = writer.flush_demo()
                    self.stdout.write(
                        f"Deleted {flushed['accounts']:,} accounts and "
                        f"{flushed['users']:,} demo users."
                    )
                result = writer.seed_demo(
                    accounts=accounts,
                    seed=options["seed"],
                    language=options["language"],
                    progress=progress,
                )
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        self._report(result, elapsed)

    def _progress(self, done: int, total: int) -> None:
        self.stdout.write(f"  {done:,} / {total:,} accounts written")

    def _report(self, result: writer.SeedResult, elapsed: float) -> None:
        out = self.stdout
        out.write(self.style.SUCCESS(f"Demo data seeded in {elapsed:.1f} s."))
        width = max(len(label) for label in result.counts)
        for label, count in sorted(result.counts.items()):
            out.write(f"  {label:<{width}}  {count:>10,}")
        out.write(
            f"  (generate {result.seconds_generate:.1f} s, insert {result.seconds_insert:.1f} s, "
            f"derived fields {result.seconds_derive:.1f} s, "
            f"score history {result.seconds_history:.1f} s)"
        )
        self._print_logins(result.logins)

    def _print_logins(self, logins: list[tuple[str, str, str]]) -> None:
        """The table of demo users, last, so it is what `make run` leaves on the screen."""
        out = self.stdout
        if not logins:
            out.write("No demo users: seed the demo to make them.")
            return
        out.write("")
        out.write(self.style.SUCCESS("Demo users and their passwords:"))
        rows = [("Role", "Username", "Password"), *logins]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for i, row in enumerate(rows):
            cells = (cell.ljust(w) for cell, w in zip(row, widths, strict=True))
            out.write(("  " + "  ".join(cells)).rstrip())
            if i == 0:
                out.write("  " + "  ".join("-" * w for w in widths))
