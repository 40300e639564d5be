"""Does onboarding work? (DESIGN.md "Playbooks", Report): onboarding completed on time per
CSM and segment, and the retention over the following 12 months of accounts whose onboarding
was on time against those whose was not.

An onboarding is a run of a playbook triggered by a new customer span. It counts once it is
over: complete, cancelled, or its last step's due day has passed. It was **on time** when
it is complete and every step was done by its due day or skipped with a reason. Its account
is **retained** when it is still a customer 365 days after the trigger day (only runs at
least that old count)."""

import datetime as dt
from collections import defaultdict

from django.db.models import Count, F, Max, Q, QuerySet
from django.utils import timezone

from customers.models import CustomerSpan

from ..models import PlaybookRun, Trigger
from ..models.playbooks import step_open

YEAR = dt.timedelta(days=365)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole * 100, 2) if whole else None


def _covered(spans: list[tuple[dt.date, dt.date | None]], day: dt.date) -> bool:
    return any(start <= day and (end is None or day <= end) for start, end in spans)


def onboarding_report(*, runs: QuerySet[PlaybookRun] | None = None, today=None) -> dict:
    """The report over ``runs`` (default: all; pass a scoped queryset for a person). Rates in
    percent, two decimals, null where nothing counts."""
    today = today or timezone.localdate()
    runs = PlaybookRun.objects.all() if runs is None else runs
    late = step_open("steps__") | (
        Q(steps__skipped_at__isnull=True)
        & Q(steps__follow_up__done_at__date__gt=F("steps__follow_up__due_on"))
    )
    rows = list(
        runs.filter(playbook__trigger=Trigger.NEW_CUSTOMER)
        .annotate(late_steps=Count("steps", filter=late), last_due=Max("steps__follow_up__due_on"))
        .filter(Q(status__in=["complete", "cancelled"]) | Q(last_due__lt=today))
        .values(
            "account_id",
            "account__owner__username",
            "account__owner__first_name",
            "account__owner__last_name",
            "account__segment__name",
            "trigger_day",
            "status",
            "late_steps",
        )
        .order_by()
    )
    spans: dict[int, list] = defaultdict(list)
    old = {r["account_id"] for r in rows if r["trigger_day"] + YEAR <= today}
    for account_id, start, end in CustomerSpan.objects.filter(account_id__in=old).values_list(
        "account_id", "start_date", "end_date"
    ):
        spans[account_id].append((start, end))
    by_csm: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_segment: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    retention = {True: [0, 0], False: [0, 0]}  # on time → [retained, counted]
    for r in rows:
        on_time = r["status"] == "complete" and r["late_steps"] == 0
        owner = (
            f"{r['account__owner__first_name']} {r['account__owner__last_name']}".strip()
            or r["account__owner__username"]
            or "–"
        )
        for key, table in ((owner, by_csm), (r["account__segment__name"] or "–", by_segment)):
            table[key][0] += on_time
            table[key][1] += 1
        if r["account_id"] in old:
            retention[on_time][0] += _covered(spans[r["account_id"]], r["trigger_day"] + YEAR)
            retention[on_time][1] += 1

    def table(counts: dict) -> list[dict]:
        return [
            {"name": k, "on_time": on, "onboardings": n, "on_time_rate": _rate(on, n)}
            for k, (on, n) in sorted(counts.items())
        ]

    return {
        "onboardings": len(rows),
        "on_time": sum(on for on, _n in by_csm.values()),
        "by_csm": table(by_csm),
        "by_segment": table(by_segment),
        "retention_on_time": _rate(*retention[True]),
        "retention_late": _rate(*retention[False]),
        "retention_counted": {"on_time": retention[True][1], "late": retention[False][1]},
    }
