"""What starts a run (DESIGN.md "Playbooks"): the events of the lower apps, heard in the
writer's transaction (``crm.events``), and the time triggers the beat evaluates each day.

Event triggers: a new customer span (onboarding, a win-back too), a raised risk flag, an
ownership transfer (the handover play, also for an account that is not a customer) and a
detractor answer. Time triggers: a renewal N days ahead (``customers.selectors.renewals_due``)
and no meeting or call for N days (or N times the segment's cadence). ``run_playbooks`` walks
the book in the scoring run's chunks under a lease of its own (the scoring lock's table and
helpers): two overlapping beats start one run, a killed worker's chunk is simply evaluated
again the next time, and a rerun starts nothing (one run per account, playbook and
occurrence)."""

import datetime as dt
from collections import Counter

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import events
from customers import cadence
from customers.models import Account, CustomerSpan, OwnershipTransfer
from customers.selectors import renewals_due
from interactions.feedback import DETRACTOR, thresholds_in_force
from interactions.models import Feedback

from ..health import scoring
from ..models import Playbook, RiskFlag, Trigger
from ..models.playbooks import TIME_TRIGGERS
from .services import (
    Start,
    active_playbooks,
    close_finished_runs,
    complete_steps_by_interactions,
    run_ids_of_follow_ups,
    start_runs,
)
from .surveys import send_due_surveys

LOCK_NAME = "run_playbooks"


class PlaybooksLocked(Exception):
    """Another evaluation of the time triggers holds the lock."""


# --- event triggers -----------------------------------------------------------------------


def _start_all(trigger: str, start: Start, *, reason: str = "") -> int:
    """Start every active playbook of ``trigger`` for ``start``. One query when nothing
    starts (a span of long ago, as a rebuild or an import publishes by the thousand)."""
    started = 0
    today = timezone.localdate()
    for playbook in active_playbooks(trigger):
        if reason and playbook.flag_reason and playbook.flag_reason != reason:
            continue
        offsets = [s["offset_days"] for s in playbook.frozen_steps or ()]
        if offsets and start.day + dt.timedelta(days=max(offsets)) < today:
            continue  # every task would be overdue already: history, not a play
        started += len(start_runs(playbook=playbook, starts=[start]))
    return started


def on_customer_span_started(event: events.CustomerSpanStarted) -> None:
    _start_all(Trigger.NEW_CUSTOMER, Start(event.account_id, f"span:{event.day}", event.day))


def on_flag_raised(event: events.FlagRaised) -> None:
    flag = RiskFlag.objects.filter(pk=event.flag_id).values("account_id", "reason", "raised_on")
    flag = flag.first()
    if flag is None:
        return
    start = Start(flag["account_id"], f"flag:{event.flag_id}", flag["raised_on"])
    _start_all(Trigger.FLAG_RAISED, start, reason=flag["reason"])


def on_ownership_transferred(event: events.OwnershipTransferred) -> None:
    transfer = (
        OwnershipTransfer.objects.filter(pk=event.transfer_id)
        .values("account_id", "transferred_at")
        .first()
    )
    if transfer is None:
        return
    day = timezone.localdate(transfer["transferred_at"])
    start = Start(transfer["account_id"], f"transfer:{event.transfer_id}", day)
    _start_all(Trigger.TRANSFER, start)


def on_feedback_recorded(event: events.FeedbackRecorded) -> None:
    answer = (
        Feedback.objects.filter(pk=event.feedback_id)
        .values("account_id", "kind", "score", "received_on")
        .first()
    )
    if (
        answer is None
        or thresholds_in_force().category(answer["kind"], answer["score"]) != DETRACTOR
    ):
        return
    start = Start(answer["account_id"], f"feedback:{event.feedback_id}", answer["received_on"])
    _start_all(Trigger.DETRACTOR, start)


def on_account_changed(event: events.AccountChanged) -> None:
    """An interaction logged (or edited) on the account completes its meeting / call steps."""
    if event.what == events.What.INTERACTION:
        complete_steps_by_interactions(account_id=event.account_id)


def on_follow_ups_done(event: events.FollowUpsDone) -> None:
    """A run whose last task was done is complete."""
    if run_ids := run_ids_of_follow_ups(event.follow_up_ids):
        close_finished_runs(run_ids=run_ids)


def subscribe() -> None:
    """Called by ``RetentionConfig.ready``."""
    events.subscribe(events.CustomerSpanStarted, on_customer_span_started)
    events.subscribe(events.FlagRaised, on_flag_raised)
    events.subscribe(events.OwnershipTransferred, on_ownership_transferred)
    events.subscribe(events.FeedbackRecorded, on_feedback_recorded)
    events.subscribe(events.AccountChanged, on_account_changed)
    events.subscribe(events.FollowUpsDone, on_follow_ups_done)


# --- time triggers ------------------------------------------------------------------------


def _in_range(qs, start_id: int, end_id: int | None, field: str = "pk"):
    qs = qs.filter(**{f"{field}__gte": start_id})
    return qs.filter(**{f"{field}__lt": end_id}) if end_id is not None else qs


def renewal_starts(
    playbook: Playbook, *, day: dt.date, start_id: int = 0, end_id: int | None = None
) -> list[Start]:
    """A renewal ``trigger_days`` ahead: one start per account (its earliest renewal), the
    occurrence being the contract and its end date, so each term starts one run."""
    contracts = _in_range(
        renewals_due(day, playbook.trigger_days or 0), start_id, end_id, "account_id"
    )
    if playbook.segment_id:
        contracts = contracts.filter(account__segment_id=playbook.segment_id)
    rows = contracts.order_by("account_id", "end_date", "pk").values_list(
        "account_id", "pk", "end_date"
    )
    starts: dict[int, Start] = {}
    for account_id, contract_id, end_date in rows:
        starts.setdefault(account_id, Start(account_id, f"renewal:{contract_id}:{end_date}", day))
    return list(starts.values())


def absence_starts(
    playbook: Playbook, *, day: dt.date, start_id: int = 0, end_id: int | None = None
) -> list[Start]:
    """No meeting or call for N days (N fixed, or a multiple of each account's expected
    cadence) among the customers of the range; never met counts from the customer span's
    first day. The occurrence is the last contact's day: a new absence after a meeting is a
    new occurrence."""
    accounts = _in_range(Account.objects.all(), start_id, end_id)
    accounts = accounts.filter(pk__in=CustomerSpan.objects.covering(day).values("account_id"))
    if playbook.segment_id:
        accounts = accounts.filter(segment_id=playbook.segment_id)
    rows = accounts.annotate(cadence_days=cadence.expected_cadence()).values_list(
        "pk", "last_meeting_or_call_at", "customer_since", "cadence_days"
    )
    starts = []
    for pk, last, since, cadence_days in rows.order_by("pk"):
        n = playbook.trigger_days or (playbook.cadence_multiple or 0) * cadence_days
        if not n:
            continue
        if last is not None:
            last_day, key = timezone.localdate(last), timezone.localdate(last).isoformat()
        else:
            last_day, key = since, f"never:{since}"
        if last_day is not None and (day - last_day).days >= n:
            starts.append(Start(pk, f"absent:{key}", day))
    return starts


STARTS = {Trigger.RENEWAL_AHEAD: renewal_starts, Trigger.NO_CONTACT: absence_starts}


def evaluate_chunk(
    *, start_id: int, end_id: int | None, day: dt.date, playbooks: list[Playbook] | None = None
) -> dict[str, int]:
    """Start the runs the time triggers call for among accounts ``[start_id, end_id)`` on
    ``day``, in one transaction. Idempotent; a fixed number of queries per playbook."""
    if playbooks is None:
        playbooks = list(Playbook.objects.filter(trigger__in=TIME_TRIGGERS, is_active=True))
    started = 0
    with transaction.atomic():
        for playbook in playbooks:
            starts = STARTS[playbook.trigger](playbook, day=day, start_id=start_id, end_id=end_id)
            started += len(start_runs(playbook=playbook, starts=starts))
    return {"started": started}


def run_playbooks(*, today: dt.date | None = None, chunk_size: int = 2000) -> dict:
    """Evaluate the time triggers of every active playbook on ``today`` (default today), chunk
    by chunk under the lock, then send the survey steps whose day has come; raises
    ``PlaybooksLocked`` while another evaluation runs."""
    day = today or timezone.localdate()
    token = scoring.acquire_scoring_lock(name=LOCK_NAME)
    if token is None:
        raise PlaybooksLocked(_("Another evaluation of the playbooks is under way."))
    try:
        playbooks = list(Playbook.objects.filter(trigger__in=TIME_TRIGGERS, is_active=True))
        ranges = scoring.chunk_ranges(day=day, chunk_size=chunk_size) if playbooks else []
        totals: Counter = Counter()
        for start_id, end_id in ranges:
            totals.update(
                evaluate_chunk(start_id=start_id, end_id=end_id, day=day, playbooks=playbooks)
            )
        surveys = send_due_surveys(today=day)  # the survey steps whose day has come
        return {
            "day": day.isoformat(),
            "chunks": len(ranges),
            "started": totals["started"],
            "surveys": surveys["steps"],
        }
    finally:
        scoring.release_scoring_lock(token=token, name=LOCK_NAME)
