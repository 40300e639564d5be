"""Store the retention figures of the last closed months (what the monthly beat task does)."""

from django.core.management.base import BaseCommand, CommandError

from retention.figures import snapshots


class Command(BaseCommand):
    help = "Compute and store the monthly retention snapshots of the last N closed months."

    def add_arguments(self, parser):
        parser.add_argument("--months", type=int, default=24, help="How many closed months.")

    def handle(self, *args, months: int, **options):
        if months < 1:
            raise CommandError("--months must be at least 1", returncode=2)
        summary = snapshots.snapshot_closed_months(months=months)
        self.stdout.write(", ".join(f"{key}: {value}" for key, value in summary.items()))
