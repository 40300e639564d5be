"""Does onboarding work? Onboarding on time per CSM and segment, and the 12-month retention
of on-time against late onboardings (``retention.playbooks.report``)."""

import json

from django.core.management.base import BaseCommand

from retention.management.commands.score_accounts import _date
from retention.playbooks.report import onboarding_report


class Command(BaseCommand):
    help = "Onboarding completed on time per CSM and segment, and the retention that followed."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="as of this day (YYYY-MM-DD; default today)")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **options):
        day = _date(options["date"]) if options["date"] else None
        report = onboarding_report(today=day)
        if options["format"] == "json":
            self.stdout.write(json.dumps(report, indent=2))
            return
        self.stdout.write(
            f"Onboardings over: {report['onboardings']}, on time: {report['on_time']}"
        )
        for title, key in (("Per CSM", "by_csm"), ("Per segment", "by_segment")):
            self.stdout.write(title)
            for row in report[key]:
                rate = "n/a" if row["on_time_rate"] is None else f"{row['on_time_rate']:.2f} %"
                self.stdout.write(
                    f"  {row['name']:<30} {row['on_time']:>5} / {row['onboardings']:<5} {rate}"
                )
        for label, key in (("on time", "retention_on_time"), ("late", "retention_late")):
            value = report[key]
            shown = "n/a" if value is None else f"{value:.2f} %"
            self.stdout.write(f"12-month retention, onboarding {label}: {shown}")
