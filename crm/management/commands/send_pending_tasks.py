"""Send again, now, the Celery tasks the broker refused while it was down (``crm.queue``)."""

from django.core.management.base import BaseCommand, CommandError

from crm.queue import send_pending_tasks


class Command(BaseCommand):
    help = "Send the tasks kept while the broker was down (oldest first)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="send at most this many")

    def handle(self, *args, limit=None, **options):
        summary = send_pending_tasks(limit=limit)
        self.stdout.write(f"sent {summary['sent']}, left {summary['left']}")
        if "error" in summary:
            raise CommandError(f"The broker refused: {summary['error']}")
