"""Does the health model see churn coming? Scores of churned accounts before they left."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from retention.health import scoring


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD).") from exc


def _pct(part: int, whole: int) -> str:
    return f"{part / whole * 100:5.1f} %" if whole else "    n/a"


class Command(BaseCommand):
    help = (
        "For accounts that churned: their health score 90 and 180 days before they left (from "
        "the stored history, else scored as of that day) and how many had been flagged; "
        "today's customers for comparison. Writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="today, for the backtest (default: today)")
        parser.add_argument("--since", help="only churns on or after this day")
        parser.add_argument(
            "--offsets", type=int, nargs="+", default=[90, 180], help="days before leaving"
        )

    def handle(self, *args, **options):
        today = _date(options["date"]) if options["date"] else None
        since = _date(options["since"]) if options["since"] else None
        if any(o < 1 for o in options["offsets"]):
            raise CommandError("--offsets must be positive numbers of days.")
        r = scoring.backtest(today=today, since=since, offsets=options["offsets"])
        out = self.stdout.write
        out(f"Churns: {r['churns']:,} (an account's customer span that ended)")
        if not r["churns"]:
            out("Nothing to backtest: no account has churned.")
            return
        out("")
        out("                  scored  green          yellow         red            mean")
        rows = [(f"{o} days before", f) for o, f in r["offsets"].items()]
        rows.append(("today's customers", r["today"]))
        for label, f in rows:
            n = f["scored"]
            mean = "n/a" if f["mean_score"] is None else f"{f['mean_score']:.1f}"
            out(
                f"{label:<17} {n:>6}  {f['green']:>5} {_pct(f['green'], n)}  "
                f"{f['yellow']:>5} {_pct(f['yellow'], n)}  {f['red']:>5} {_pct(f['red'], n)}  "
                f"{mean:>5}"
            )
        for o, f in r["offsets"].items():
            out(
                f"  {o} days before: {f['from_history']:,} from stored scores, "
                f"{f['computed']:,} scored as of that day, {f['not_customers_yet']:,} were not "
                "customers yet"
            )
        out("")
        out(
            f"Flagged in the {r['flag_window']} days before leaving: {r['flagged']:,} of "
            f"{r['churns']:,} ({_pct(r['flagged'], r['churns']).strip()})"
        )
        for o, f in r["offsets"].items():
            share = _pct(f["would_flag"], f["computed"]).strip()
            out(
                f"A flag condition held {o} days before leaving: {f['would_flag']:,} of the "
                f"{f['computed']:,} scored as of that day ({share})"
            )
        for o, f in r["offsets"].items():
            n = f["scored"]
            not_green = f["yellow"] + f["red"]
            out(
                f"Not green {o} days before leaving: {not_green:,} of {n:,} "
                f"({_pct(not_green, n).strip()}); red: {_pct(f['red'], n).strip()}"
            )
