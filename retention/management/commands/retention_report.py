"""``manage.py retention_report``: the retention figures of a period, as JSON or a table.

    manage.py retention_report --start 2026-01-01 --end 2026-03-31 [--segment SMB] [--format json]
    manage.py retention_report --period 2026-Q1          # also 2026-03 (a month) or 2026 (a year)

Bad input (a malformed date or period, a period ending before it starts, an unknown segment)
stops with a one-line message and exit status 2.
"""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from crm.periods import read_period
from retention.figures.metrics import RetentionError, RetentionFigures, retention_figures

USAGE_ERROR = 2


def _rate(value) -> str:
    return "n/a" if value is None else f"{value} %"


def render_table(figures: RetentionFigures, label: str) -> str:
    """The figures as aligned plain text, with the note on why CRR and cohort retention
    differ when they do."""
    rows = [
        ("Customers at the start (S)", str(figures.start_customers)),
        ("New customers (N)", str(figures.new_customers)),
        ("Customers at the end (E)", str(figures.end_customers)),
        ("Retained (in S and E)", str(figures.retained_customers)),
        ("Churned (in S, not in E)", str(figures.churned_customers)),
        None,
        ("Customer retention rate (CRR)", _rate(figures.retention_rate)),
        ("Cohort retention rate", _rate(figures.cohort_retention_rate)),
        ("Churn rate", _rate(figures.churn_rate)),
        ("Gross revenue retention (GRR)", _rate(figures.grr)),
        ("Net revenue retention (NRR)", _rate(figures.nrr)),
    ]
    width = max(len(row[0]) for row in rows if row)
    value_width = max(len(row[1]) for row in rows if row)
    lines = [f"Retention {label} · {figures.segment or 'all segments'}", ""]
    lines += [f"  {row[0]:<{width}}  {row[1]:>{value_width}}" if row else "" for row in rows]
    if note := figures.difference_note():
        lines += ["", f"Note: {note}"]
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Print the retention figures (S, N, E, CRR, cohort retention, churn, GRR, NRR)."

    def add_arguments(self, parser):
        parser.add_argument("--start", help="First day of the period, YYYY-MM-DD.")
        parser.add_argument("--end", help="Last day of the period (inclusive), YYYY-MM-DD.")
        parser.add_argument(
            "--period", help="Instead of --start/--end: 2026 (a year), 2026-03, 2026-Q1."
        )
        parser.add_argument("--segment", help="Only this segment (its name).")
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args, **options):
        try:
            period = read_period(
                period=options["period"], start=options["start"], end=options["end"]
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages), returncode=USAGE_ERROR) from None
        try:
            figures = retention_figures(
                start=period.start, end=period.end, segment=options["segment"]
            )
        except RetentionError as error:
            raise CommandError(str(error), returncode=USAGE_ERROR) from None
        if options["format"] == "json":
            self.stdout.write(json.dumps(figures.as_dict(), indent=2))
        else:
            self.stdout.write(render_table(figures, period.label))
