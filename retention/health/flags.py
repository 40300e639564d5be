"""Risk flags (DESIGN.md "Health and risk"): raised, updated and resolved by the nightly
scoring, acknowledged, snoozed and resolved by people, and emailed to owners once.

A flag is raised for an account and a reason when its condition holds and no flag for that
pair is unresolved (a partial unique constraint backs this up, so two overlapping runs can
never both insert one). While the condition holds, the nightly run keeps the flag's measured
value and explanation current; when it no longer holds, the flag resolves itself and says so
in its history. A flag a person resolved is not raised again while its condition holds
without a break (its ``last_seen_on`` keeps following the runs); it is raised again once the
condition clears and comes back.
"""

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import events as crm_events
from crm import inbox, scoping
from customers.models import Account

from ..models import Band, RiskFlag, RiskFlagEvent, comment_error
from .facts import in_range
from .measures import Facts, Health
from .wording import Message, message

Reason = RiskFlag.Reason
Status = RiskFlag.Status
NOT_GREEN = (Band.YELLOW.value, Band.RED.value)


@dataclass(frozen=True, slots=True)
class Condition:
    """Why a flag's condition holds: what was measured, against which threshold, and why
    (``message``: an id and its parameters, worded when read)."""

    measured_value: Decimal | int | None
    threshold: Decimal | int | None
    message: Message


def _band_state(health: Health) -> Message:
    return message("band_state", band=health.band, score=health.score)


def flag_conditions(*, facts: Facts, health: Health, day: dt.date, config) -> dict[str, Condition]:
    """The flag reasons whose condition holds for one scored account (pure)."""
    found: dict[str, Condition] = {}
    if health.band == Band.RED:
        costs = [
            {"impact": m["impact"], "message": m["message"]}
            for m in sorted(health.measures.values(), key=lambda m: m["impact"])[:2]
            if m["impact"] < 0
        ]
        said = message("entered_red", score=health.score, yellow=config.yellow_from, reasons=costs)
        found[Reason.ENTERED_RED] = Condition(health.score, config.yellow_from, said)
    if health.score is not None and facts.peak_score is not None:
        drop = facts.peak_score - health.score
        if drop >= config.flag_drop_points:
            said = message(
                "score_drop",
                drop=drop,
                days=config.trend_days,
                peak=facts.peak_score,
                now=health.score,
            )
            found[Reason.SCORE_DROP] = Condition(drop, config.flag_drop_points, said)
    if facts.champion_left_on is not None and not facts.champion_named:
        days = (day - facts.champion_left_on).days
        said = message("champion_left", day=facts.champion_left_on, days=days)
        found[Reason.CHAMPION_LEFT] = Condition(days, config.relationship_window_days, said)
    if facts.renewal_on is not None and health.band in NOT_GREEN:
        days = (facts.renewal_on - day).days
        if days <= config.renewal_window_days:
            said = message(
                "renewal_at_risk", day=facts.renewal_on, days=days, state=_band_state(health)
            )
            found[Reason.RENEWAL_AT_RISK] = Condition(days, config.renewal_window_days, said)
    if facts.last_transfer_on is not None and health.band in NOT_GREEN:
        days = (day - facts.last_transfer_on).days
        if days <= config.transfer_watch_days:
            said = message(
                "owner_changed", days=days, day=facts.last_transfer_on, state=_band_state(health)
            )
            found[Reason.OWNER_CHANGED] = Condition(days, config.transfer_watch_days, said)
    return found


def _event(flag: RiskFlag, *, at, to_status: str, from_status: str = "", said: Message):
    """A change the nightly run made, saying why."""
    return RiskFlagEvent(
        flag=flag, at=at, from_status=from_status, to_status=to_status, message=said
    )


def sync_flags(
    *,
    day: dt.date,
    start_id: int,
    end_id: int | None,
    wanted: dict[int, dict[str, Condition]],
    scored: dict[int, Health],
    previous_run_day: dt.date | None,
    only: Collection[int] | None = None,
) -> dict[str, int]:
    """Bring the flags of the accounts in ``[start_id, end_id)`` (of them, ``only`` these when
    given) in line with the conditions that hold on ``day`` (``wanted``: account id → reason
    → condition; ``scored``: the accounts scored in the range). Ended snoozes reopen first.
    Call inside the chunk's transaction; a constant number of queries."""
    now = timezone.now()
    ids = in_range("account_id", start_id, end_id)
    if only is not None:
        ids &= Q(account_id__in=list(only))
    counts = {"raised": 0, "updated": 0, "resolved": 0, "reopened": 0}
    events: list[RiskFlagEvent] = []
    changed: dict[int, RiskFlag] = {}

    unresolved = {
        (f.account_id, f.reason): f
        for f in RiskFlag.objects.select_for_update().filter(ids).exclude(status=Status.RESOLVED)
    }
    for flag in unresolved.values():
        if flag.status == Status.SNOOZED and flag.snoozed_until < day:
            flag.status = Status.OPEN
            changed[flag.pk] = flag
            counts["reopened"] += 1
            said = message("snooze_ended", day=flag.snoozed_until)
            events.append(
                _event(flag, at=now, from_status=Status.SNOOZED, to_status=Status.OPEN, said=said)
            )

    # Flags a person resolved while the condition held at the previous run keep it quiet.
    since = previous_run_day or day
    quiet = {
        (f.account_id, f.reason): f
        for f in RiskFlag.objects.filter(
            ids, status=Status.RESOLVED, auto_resolved=False, last_seen_on__gte=since
        ).order_by("resolved_at")
    }

    new: list[RiskFlag] = []
    for account_id, conditions in wanted.items():
        for reason, c in conditions.items():
            flag = unresolved.get((account_id, reason)) or quiet.get((account_id, reason))
            if flag is None:
                new.append(
                    RiskFlag(
                        account_id=account_id,
                        reason=reason,
                        status=Status.OPEN,
                        raised_at=now,
                        raised_on=day,
                        last_seen_on=day,
                        measured_value=c.measured_value,
                        threshold=c.threshold,
                        explanation_message=c.message,
                    )
                )
                continue
            current = (
                flag.measured_value,
                flag.threshold,
                flag.explanation_message,
                flag.last_seen_on,
            )
            if current != (c.measured_value, c.threshold, c.message, max(day, flag.last_seen_on)):
                flag.measured_value, flag.threshold = c.measured_value, c.threshold
                # the text of a flag raised before messages were stored gives way to one
                flag.explanation_message, flag.explanation = c.message, ""
                flag.last_seen_on = max(day, flag.last_seen_on)
                changed[flag.pk] = flag
                counts["updated"] += 1

    for key, flag in unresolved.items():
        account_id, reason = key
        if reason in wanted.get(account_id, {}):
            continue
        health = scored.get(account_id)
        if health is None:
            state = message("no_longer_customer")
        elif health.score is None:
            state = message("no_score")
        else:
            state = _band_state(health)
        said = message("resolved_itself", state=state)
        events.append(
            _event(flag, at=now, from_status=flag.status, to_status=Status.RESOLVED, said=said)
        )
        flag.status, flag.resolved_at, flag.auto_resolved = Status.RESOLVED, now, True
        flag.resolved_message = said
        changed[flag.pk] = flag
        counts["resolved"] += 1

    if changed:
        RiskFlag.objects.bulk_update(
            list(changed.values()),
            [
                "status",
                "resolved_at",
                "auto_resolved",
                "resolved_message",
                "measured_value",
                "threshold",
                "explanation_message",
                "explanation",
                "last_seen_on",
            ],
        )
    if new:
        # The partial unique constraint stops a second insert for the same account and
        # reason; the chunk then rolls back and its retry sees the flag that won.
        RiskFlag.objects.bulk_create(new)
        events.extend(
            _event(f, at=now, to_status=Status.OPEN, said=f.explanation_message) for f in new
        )
        counts["raised"] = len(new)
        tell_owners(new)
    settled = [f.pk for f in changed.values() if f.status == Status.RESOLVED]
    inbox.settle(topics=[inbox.topic("flag", pk) for pk in settled])
    if events:
        RiskFlagEvent.objects.bulk_create(events)
    for flag in new:
        crm_events.publish(crm_events.FlagRaised(flag.pk))
    return counts


FLAG_RAISED = "flag_raised"


def tell_owners(flags: list[RiskFlag]) -> None:
    """Put each newly raised flag in its account owner's inbox (one query for the owners)."""
    owners = dict(
        Account.objects.filter(
            pk__in={f.account_id for f in flags}, owner__is_active=True
        ).values_list("pk", "owner_id")
    )
    names = dict(Account.objects.filter(pk__in=owners).values_list("pk", "name"))
    inbox.post_many(
        inbox.item(
            user=owners[flag.account_id],
            kind=inbox.Kind.FLAG_RAISED,
            message=FLAG_RAISED,
            topic=inbox.topic("flag", flag.pk),
            link=reverse("customers:account_detail", args=[flag.account_id]) + "#health",
            params={"account": names[flag.account_id], "reason": flag.reason},
        )
        for flag in flags
        if owners.get(flag.account_id)
    )


def register_inbox_messages() -> None:
    reasons = dict(RiskFlag.Reason.choices)
    inbox.register(
        FLAG_RAISED,
        gettext_lazy("New risk flag on %(account)s: %(reason)s"),
        word=lambda p: {**p, "reason": reasons.get(p.get("reason"), p.get("reason"))},
    )


# --- what people do -----------------------------------------------------------------------


def _locked(flag: RiskFlag, by) -> RiskFlag:
    flag = RiskFlag.objects.select_for_update().select_related("account").get(pk=flag.pk)
    if not scoping.can_edit(by, flag.account):
        raise PermissionDenied(_("You cannot change the flags of this account."))
    return flag


@transaction.atomic
def acknowledge_flag(*, flag: RiskFlag, by, comment: str) -> RiskFlag:
    """A person says they have seen the flag and are on it (with a comment)."""
    flag = _locked(flag, by)
    comment = comment.strip()
    if error := comment_error(comment, missing=_("Say what you are doing about it.")):
        raise ValidationError({"comment": error})
    if flag.status == Status.RESOLVED:
        raise ValidationError(_("This flag is resolved already."))
    now = timezone.now()
    RiskFlagEvent.objects.create(
        flag=flag,
        at=now,
        by=by,
        from_status=flag.status,
        to_status=Status.ACKNOWLEDGED,
        comment=comment,
    )
    flag.status = Status.ACKNOWLEDGED
    flag.acknowledged_by, flag.acknowledged_at = by, now
    flag.acknowledged_comment = comment
    flag.save(
        update_fields=["status", "acknowledged_by", "acknowledged_at", "acknowledged_comment"]
    )
    inbox.settle(topics=[inbox.topic("flag", flag.pk)])
    return flag


@transaction.atomic
def resolve_flag(*, flag: RiskFlag, by, comment: str) -> RiskFlag:
    """A person closes the flag, saying how it was dealt with (the comment is required). It
    is not raised again while its condition holds without a break."""
    flag = _locked(flag, by)
    comment = comment.strip()
    if error := comment_error(comment, missing=_("Say how the risk was dealt with.")):
        raise ValidationError({"comment": error})
    if flag.status == Status.RESOLVED:
        raise ValidationError(_("This flag is resolved already."))
    now = timezone.now()
    RiskFlagEvent.objects.create(
        flag=flag,
        at=now,
        by=by,
        from_status=flag.status,
        to_status=Status.RESOLVED,
        comment=comment,
    )
    flag.status, flag.resolved_at, flag.resolved_by = Status.RESOLVED, now, by
    flag.resolved_comment, flag.auto_resolved = comment, False
    flag.save(
        update_fields=["status", "resolved_at", "resolved_by", "resolved_comment", "auto_resolved"]
    )
    inbox.settle(topics=[inbox.topic("flag", flag.pk)])
    return flag


@transaction.atomic
def snooze_flag(
    *, flag: RiskFlag, by, until: dt.date, reason: str, today: dt.date | None = None
) -> RiskFlag:
    """Put the flag aside until a day after today, with a reason; the nightly run opens it
    again once that day has passed (if its condition still holds)."""
    flag = _locked(flag, by)
    today = today or timezone.localdate()
    reason = reason.strip()
    errors = {}
    if until is None or until <= today:
        errors["until"] = _("Snooze until a day after today.")
    if error := comment_error(reason, missing=_("Say why the flag can wait.")):
        errors["reason"] = error
    if errors:
        raise ValidationError(errors)
    if flag.status == Status.RESOLVED:
        raise ValidationError(_("This flag is resolved already."))
    RiskFlagEvent.objects.create(
        flag=flag,
        at=timezone.now(),
        by=by,
        from_status=flag.status,
        to_status=Status.SNOOZED,
        message=message("snoozed", day=until, reason=reason),
    )
    flag.status, flag.snoozed_until, flag.snooze_reason = Status.SNOOZED, until, reason
    flag.save(update_fields=["status", "snoozed_until", "snooze_reason"])
    return flag
