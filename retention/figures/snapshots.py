"""Things that write retention figures: the monthly snapshots that trend charts read instead of
recomputing history. (Health scores and risk flags live in ``retention.health``.)"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from crm.periods import closed_months, month_period
from customers.models import Segment

from ..models import MonthlySnapshot
from .metrics import RetentionError, retention_figures


def snapshot_month(*, month: dt.date, today: dt.date | None = None) -> list[MonthlySnapshot]:
    """Compute and store the figures of the closed month holding ``month``, overall and for
    every segment. Recomputing a month replaces its rows, so running it twice is harmless.

    Raises ``RetentionError`` for a month that is not over yet on ``today``."""
    today = today or timezone.localdate()
    period = month_period(month)
    if period.end >= today:
        raise RetentionError(f"{period.label} is not over yet; only closed months are stored.")
    now = timezone.now()
    snapshots = []
    with transaction.atomic():
        # A few segments, two queries each: the figures of one segment are set-based already.
        for segment in [None, *Segment.objects.order_by("name")]:
            figures = retention_figures(start=period.start, end=period.end, segment=segment)
            snapshot, _created = MonthlySnapshot.objects.update_or_create(
                month=period.start,
                segment=segment,
                defaults={
                    "start_customers": figures.start_customers,
                    "new_customers": figures.new_customers,
                    "end_customers": figures.end_customers,
                    "retained_customers": figures.retained_customers,
                    "churned_customers": figures.churned_customers,
                    "retention_rate": figures.retention_rate,
                    "cohort_retention_rate": figures.cohort_retention_rate,
                    "churn_rate": figures.churn_rate,
                    "grr": figures.grr,
                    "nrr": figures.nrr,
                    "mrr_start": figures.mrr_start,
                    "mrr_end": figures.mrr_end,
                    "computed_at": now,
                },
            )
            snapshots.append(snapshot)
    return snapshots


def snapshot_closed_months(*, months: int = 24, today: dt.date | None = None) -> dict[str, int]:
    """(Re)compute the snapshots of the ``months`` closed months before ``today``'s month, one
    transaction per month, so contract corrections reach the history. Returns a summary."""
    if months < 1:
        raise RetentionError("Snapshot at least one month.")
    today = today or timezone.localdate()
    written = 0
    for month in closed_months(today=today, count=months):
        written += len(snapshot_month(month=month, today=today))
    return {"months": months, "snapshots": written}
