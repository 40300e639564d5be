"""The next planned touch of an account, and the meetings planned ahead.

Rule (DESIGN.md): an account's next planned touch is its earliest open planned meeting; without
one, its last meeting or call plus its expected cadence (``customers.cadence``); a customer
never met is due from the day it became a customer. Accounts that are not customers have no
touch by cadence (a meeting planned with a prospect still counts). Written once, as an
annotation, and read by the portfolio, the account page, the calendar and the feed.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, DateField, F, OuterRef, QuerySet, Subquery, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.db import AddDays
from customers.cadence import expected_cadence
from customers.models import Account, account_status

from ..models import Interaction, PlannedMeeting
from ..services import log_interaction


def with_next_touch(accounts: QuerySet[Account], *, default_cadence: int | None = None):
    """Annotate ``planned_touch_at`` (the earliest open planned meeting), ``cadence_days``,
    ``cadence_touch_on`` (last meeting or call + cadence; customers only) and
    ``next_touch_on`` (the planned meeting's day, else the cadence's)."""
    planned = (
        PlannedMeeting.objects.open()
        .filter(account_id=OuterRef("pk"))
        .order_by("planned_at")
        .values("planned_at")[:1]
    )
    by_cadence = Case(
        When(~account_status("customer"), then=None),
        When(last_meeting_or_call_at__isnull=True, then=F("customer_since")),
        default=AddDays(TruncDate("last_meeting_or_call_at"), F("cadence_days")),
        output_field=DateField(),
    )
    return (
        accounts.annotate(
            planned_touch_at=Subquery(planned),
            cadence_days=expected_cadence(default=default_cadence),
        )
        .annotate(cadence_touch_on=by_cadence)
        .annotate(next_touch_on=Coalesce(TruncDate("planned_touch_at"), F("cadence_touch_on")))
    )


def next_touch_of(account: Account) -> dict:
    """The next planned touch of one account: ``on`` (a date or None), ``meetings`` (its open
    planned meetings, soonest first), ``planned`` (the first of them, or None),
    ``cadence_days`` and ``overdue``."""
    # By its key, unordered (first() would sort the one row by name).
    rows = list(
        with_next_touch(Account.objects.filter(pk=account.pk))
        .values("next_touch_on", "cadence_days")
        .order_by()[:1]
    )
    row = rows[0] if rows else None
    meetings = list(open_planned_meetings_of(account))
    on = row["next_touch_on"] if row else None
    today = timezone.localdate()
    return {
        "on": on,
        "meetings": meetings,
        "planned": meetings[0] if meetings else None,
        "cadence_days": row["cadence_days"] if row else None,
        "overdue": on is not None and on < today,
        "today": today,
    }


def open_planned_meetings_of(account: Account) -> QuerySet[PlannedMeeting]:
    return PlannedMeeting.objects.open().filter(account=account).select_related("owner")


# --- planned meetings -----------------------------------------------------------------------


def _check_plan(*, kind: str, summary: str, planned_at: dt.datetime, now: dt.datetime) -> dict:
    errors = {}
    if kind not in Interaction.CONTACT_KINDS:
        errors["kind"] = _("Plan a meeting or a call.")
    if not summary.strip():
        errors["summary"] = _("Say what it is about.")
    if planned_at is None or planned_at < now - dt.timedelta(minutes=5):
        errors["planned_at"] = _("A planned meeting is ahead: log one that has happened.")
    elif planned_at > now + dt.timedelta(days=3 * 365):
        errors["planned_at"] = _("Plan at most three years ahead.")
    return errors


@transaction.atomic
def plan_meeting(
    *, account: Account, owner, kind: str, planned_at: dt.datetime, summary: str
) -> PlannedMeeting:
    """Put a meeting or call with ``account`` in the calendar; until it is held it is the
    account's next planned touch."""
    errors = _check_plan(kind=kind, summary=summary, planned_at=planned_at, now=timezone.now())
    if errors:
        raise ValidationError(errors)
    planned = PlannedMeeting(
        account=account, owner=owner, kind=kind, planned_at=planned_at, summary=summary.strip()
    )
    planned.full_clean()
    planned.save()
    return planned


def _locked_open(planned: PlannedMeeting) -> PlannedMeeting:
    planned = PlannedMeeting.objects.select_for_update().get(pk=planned.pk)
    if not planned.is_open:
        raise ValidationError(_("This meeting was held or cancelled already."))
    return planned


@transaction.atomic
def reschedule_meeting(
    *, planned: PlannedMeeting, owner, kind: str, planned_at: dt.datetime, summary: str
) -> PlannedMeeting:
    """Move a planned meeting, change what it is about or who holds it."""
    planned = _locked_open(planned)
    errors = _check_plan(kind=kind, summary=summary, planned_at=planned_at, now=timezone.now())
    if errors:
        raise ValidationError(errors)
    planned.owner, planned.kind, planned.planned_at = owner, kind, planned_at
    planned.summary = summary.strip()
    planned.full_clean()
    planned.save()
    return planned


@transaction.atomic
def cancel_meeting(*, planned: PlannedMeeting, at: dt.datetime | None = None) -> PlannedMeeting:
    """The meeting will not happen; the account's next touch falls back to its cadence."""
    planned = _locked_open(planned)
    planned.cancelled_at = at or timezone.now()
    planned.save(update_fields=["cancelled_at"])
    return planned


@transaction.atomic
def hold_meeting(*, planned: PlannedMeeting, author, **logged) -> Interaction:
    """The planned meeting has happened: log it (``log_interaction``'s arguments) and mark
    the plan held by that interaction, in one transaction."""
    planned = _locked_open(planned)
    interaction = log_interaction(account=planned.account, author=author, **logged)
    planned.completed_at, planned.interaction = timezone.now(), interaction
    planned.save(update_fields=["completed_at", "interaction"])
    return interaction
