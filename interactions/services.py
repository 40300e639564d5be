"""Things that change the documented relationship: interactions, follow-ups, problems,
feedback. Logging a meeting or call moves the account's ``last_interaction_at`` in the same
transaction."""

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Account, Contact

from .models import Feedback, FollowUp, Interaction, OpenProblem


@transaction.atomic
def log_interaction(
    *,
    account: Account,
    author,
    kind: str,
    summary: str,
    occurred_at: dt.datetime | None = None,
    contacts: Iterable[Contact] = (),
    notes: str = "",
    sentiment: str = "",
    next_steps: str = "",
    follow_up_title: str = "",
    follow_up_due: dt.date | None = None,
) -> Interaction:
    """Record a meeting, call, email or note; optionally promise a follow-up in the same step."""
    occurred_at = occurred_at or timezone.now()
    contacts = list(contacts)
    errors = {}
    if not summary.strip():
        errors["summary"] = _("Say in a line what happened.")
    if occurred_at > timezone.now() + dt.timedelta(minutes=5):
        errors["occurred_at"] = _("An interaction cannot be in the future.")
    if any(c.account_id != account.pk for c in contacts):
        errors["contacts"] = _("Only contacts of this account can be present.")
    if follow_up_due is not None and not follow_up_title.strip():
        follow_up_title = next_steps.strip().splitlines()[0][:200] if next_steps.strip() else ""
        if not follow_up_title:
            errors["follow_up_title"] = _("Say what you promised.")
    if errors:
        raise ValidationError(errors)
    interaction = Interaction(
        account=account,
        author=author,
        kind=kind,
        occurred_at=occurred_at,
        summary=summary.strip(),
        notes=notes,
        sentiment=sentiment,
        next_steps=next_steps,
    )
    interaction.full_clean()
    interaction.save()
    if contacts:
        interaction.contacts.set(contacts)
    if follow_up_due is not None:
        FollowUp.objects.create(
            account=account,
            interaction=interaction,
            title=follow_up_title.strip(),
            due_on=follow_up_due,
            owner=author,
        )
    if kind in Interaction.CONTACT_KINDS:
        locked = Account.objects.select_for_update().get(pk=account.pk)
        locked.mark_contacted(occurred_at)
        account.last_interaction_at = locked.last_interaction_at
    return interaction


@transaction.atomic
def complete_follow_up(*, follow_up: FollowUp, at: dt.datetime | None = None) -> FollowUp:
    """Mark a follow-up done (twice is harmless)."""
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if follow_up.done_at is None:
        follow_up.done_at = at or timezone.now()
        follow_up.save(update_fields=["done_at"])
    return follow_up


@transaction.atomic
def open_problem(
    *,
    account: Account,
    title: str,
    severity: str,
    by=None,
    description: str = "",
    category: str = OpenProblem.Category.COMPLAINT,
    opened_at: dt.datetime | None = None,
) -> OpenProblem:
    """Record a complaint, escalation or blocker."""
    problem = OpenProblem(
        account=account,
        title=title.strip(),
        severity=severity,
        opened_by=by,
        description=description,
        category=category,
        opened_at=opened_at or timezone.now(),
    )
    problem.full_clean()
    problem.save()
    return problem


@transaction.atomic
def change_problem_status(
    *, problem: OpenProblem, status: str, resolution: str = "", at: dt.datetime | None = None
) -> OpenProblem:
    """Move a problem open → in progress → resolved (or reopen it)."""
    problem = OpenProblem.objects.select_for_update().get(pk=problem.pk)
    if status == OpenProblem.Status.RESOLVED:
        if not resolution.strip():
            raise ValidationError({"resolution": _("Say how the problem was resolved.")})
        problem.resolved_at = at or timezone.now()
        problem.resolution = resolution.strip()
    else:
        problem.resolved_at = None
    problem.status = status
    problem.full_clean()
    problem.save()
    return problem


@transaction.atomic
def record_feedback(
    *,
    account: Account,
    kind: str,
    score: int,
    received_on: dt.date,
    contact: Contact | None = None,
    author=None,
    comment: str = "",
) -> Feedback:
    """Record an NPS (0–10) or CSAT (1–5) answer; the author defaults to the account's owner."""
    if contact is not None and contact.account_id != account.pk:
        raise ValidationError({"contact": _("The contact belongs to another account.")})
    low, high = (0, 10) if kind == Feedback.Kind.NPS else (1, 5)
    if not low <= score <= high:
        raise ValidationError(
            {
                "score": _("A %(kind)s score is between %(low)s and %(high)s.")
                % {"kind": kind.upper(), "low": low, "high": high}
            }
        )
    feedback = Feedback(
        account=account,
        kind=kind,
        score=score,
        received_on=received_on,
        contact=contact,
        author=author if author is not None else account.owner,
        comment=comment,
    )
    feedback.full_clean()
    feedback.save()
    return feedback
