"""Things that change the documented relationship: interactions, follow-ups, problems,
feedback. Logging a meeting or call moves the account's ``last_interaction_at`` in the same
transaction."""

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import inbox
from customers.models import Account, Contact

from .calendar.reminders import DETRACTOR, FOLLOW_UP
from .models import Feedback, FollowUp, Interaction, OpenProblem

# Older moments are typing mistakes; year 1 local time is not even a valid UTC timestamp.
EARLIEST_INTERACTION = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)


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
    elif occurred_at < EARLIEST_INTERACTION:
        errors["occurred_at"] = _("An interaction cannot be before 1900.")
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
    inbox.settle(topics=[inbox.topic(FOLLOW_UP, follow_up.pk)])
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
    if feedback.category == "detractor" and account.owner_id is not None:
        inbox.post(
            user=account.owner,
            kind=inbox.Kind.DETRACTOR,
            message=DETRACTOR,
            topic=inbox.topic("feedback", feedback.pk),
            link=feedback.get_absolute_url(),
            params={"account": account.name, "kind": kind, "score": score},
        )
    return feedback


LAST_INTERACTION_CHUNK = 2000


def refresh_last_interaction(*, account_ids: Iterable[int]) -> int:
    """Recompute ``last_interaction_at`` of these accounts from their meetings and calls that
    are not deleted (moves it back as well as forward). Returns how many accounts it set."""
    ids = sorted(set(account_ids))
    latest = (
        Interaction.objects.contacts_made()
        .filter(account_id=OuterRef("pk"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    updated = 0
    for i in range(0, len(ids), LAST_INTERACTION_CHUNK):
        with transaction.atomic():
            updated += Account.objects.filter(pk__in=ids[i : i + LAST_INTERACTION_CHUNK]).update(
                last_interaction_at=Subquery(latest)
            )
    return updated


@transaction.atomic
def delete_interactions(*, interaction_ids: Iterable[int], at: dt.datetime | None = None) -> int:
    """Soft-delete these interactions (they stay, marked ``deleted_at``) and recompute the
    last meeting or call of their accounts. Already deleted ones keep their first date.
    Returns how many were deleted now."""
    alive = Interaction.objects.filter(pk__in=list(interaction_ids), deleted_at__isnull=True)
    account_ids = set(alive.select_for_update().values_list("account_id", flat=True))
    deleted = alive.update(deleted_at=at or timezone.now())
    refresh_last_interaction(account_ids=account_ids)
    return deleted


@transaction.atomic
def restore_interactions(*, interaction_ids: Iterable[int]) -> int:
    """Undo the soft delete of these interactions and recompute the last meeting or call of
    their accounts. Returns how many were restored."""
    gone = Interaction.objects.filter(pk__in=list(interaction_ids), deleted_at__isnull=False)
    account_ids = set(gone.select_for_update().values_list("account_id", flat=True))
    restored = gone.update(deleted_at=None)
    refresh_last_interaction(account_ids=account_ids)
    return restored


def delete_interaction(*, interaction: Interaction, at: dt.datetime | None = None) -> Interaction:
    """Soft-delete one interaction (see ``delete_interactions``); returns it refreshed."""
    delete_interactions(interaction_ids=[interaction.pk], at=at)
    interaction.refresh_from_db(fields=["deleted_at"])
    return interaction


def restore_interaction(*, interaction: Interaction) -> Interaction:
    """Undo the soft delete of one interaction; returns it refreshed."""
    restore_interactions(interaction_ids=[interaction.pk])
    interaction.refresh_from_db(fields=["deleted_at"])
    return interaction


@transaction.atomic
def complete_follow_ups(*, follow_up_ids: Iterable[int], at: dt.datetime | None = None) -> int:
    """Mark these follow-ups done in one statement; those already done keep their date.
    Returns how many were completed now."""
    ids = list(follow_up_ids)
    done = FollowUp.objects.filter(pk__in=ids, done_at__isnull=True).update(
        done_at=at or timezone.now()
    )
    inbox.settle(topics=[inbox.topic(FOLLOW_UP, pk) for pk in ids])
    return done


@transaction.atomic
def start_work_on_problems(*, problem_ids: Iterable[int]) -> int:
    """Move these problems from open to in progress. Resolved ones are left alone (reopening
    is a decision per problem: ``change_problem_status``). Returns how many moved."""
    return OpenProblem.objects.filter(
        pk__in=list(problem_ids), status=OpenProblem.Status.OPEN
    ).update(status=OpenProblem.Status.IN_PROGRESS)


# --- editing from the CSM's workspace ---

INTERACTION_FIELDS = ("kind", "occurred_at", "summary", "notes", "sentiment", "next_steps")


@transaction.atomic
def update_interaction(
    *, interaction: Interaction, contacts: Iterable[Contact] | None = None, **changes
) -> Interaction:
    """Change a logged interaction. ``updated_at`` records when, so the page can say
    "edited"; the account's last contact follows the change."""
    unknown = set(changes) - set(INTERACTION_FIELDS)
    if unknown:
        raise TypeError(f"Unknown interaction fields: {', '.join(sorted(unknown))}")
    interaction = Interaction.objects.select_for_update().get(pk=interaction.pk)
    errors = {}
    if "summary" in changes:
        changes["summary"] = changes["summary"].strip()
        if not changes["summary"]:
            errors["summary"] = _("Say in a line what happened.")
    occurred_at = changes.get("occurred_at")
    if occurred_at is not None and occurred_at > timezone.now() + dt.timedelta(minutes=5):
        errors["occurred_at"] = _("An interaction cannot be in the future.")
    elif occurred_at is not None and occurred_at < EARLIEST_INTERACTION:
        errors["occurred_at"] = _("An interaction cannot be before 1900.")
    contacts = None if contacts is None else list(contacts)
    if contacts is not None and any(c.account_id != interaction.account_id for c in contacts):
        errors["contacts"] = _("Only contacts of this account can be present.")
    if errors:
        raise ValidationError(errors)
    moves_contact = any(
        changes.get(f, getattr(interaction, f)) != getattr(interaction, f)
        for f in ("kind", "occurred_at")
    )
    for field, value in changes.items():
        setattr(interaction, field, value)
    interaction.full_clean()
    interaction.save()
    if contacts is not None:
        interaction.contacts.set(contacts)
    if moves_contact:
        Account.objects.select_for_update().filter(pk=interaction.account_id).first()
        refresh_last_interaction(account_ids=[interaction.account_id])
    return interaction


@transaction.atomic
def create_follow_up(
    *,
    account: Account,
    title: str,
    due_on: dt.date,
    owner,
    interaction: Interaction | None = None,
    today: dt.date | None = None,
) -> FollowUp:
    """Promise the customer something by a date; the owner is who keeps the promise."""
    today = today or timezone.localdate()
    errors = {}
    if not title.strip():
        errors["title"] = _("Say what you promised.")
    if due_on < today:
        errors["due_on"] = _("A new follow-up cannot be due in the past.")
    if interaction is not None and interaction.account_id != account.pk:
        errors["interaction"] = _("The interaction belongs to another account.")
    if errors:
        raise ValidationError(errors)
    follow_up = FollowUp(
        account=account, title=title.strip(), due_on=due_on, owner=owner, interaction=interaction
    )
    follow_up.full_clean()
    follow_up.save()
    return follow_up


@transaction.atomic
def update_follow_up(*, follow_up: FollowUp, title: str, due_on: dt.date, owner) -> FollowUp:
    """Change what was promised, by when, or who keeps the promise."""
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if not title.strip():
        raise ValidationError({"title": _("Say what you promised.")})
    follow_up.title, follow_up.due_on, follow_up.owner = title.strip(), due_on, owner
    follow_up.full_clean()
    follow_up.save()
    if due_on > timezone.localdate():  # no longer due: its inbox item has done its work
        inbox.settle(topics=[inbox.topic(FOLLOW_UP, follow_up.pk)])
    return follow_up


@transaction.atomic
def reopen_follow_up(*, follow_up: FollowUp) -> FollowUp:
    """Undo "done" (a click too many); twice is harmless."""
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if follow_up.done_at is not None:
        follow_up.done_at = None
        follow_up.save(update_fields=["done_at"])
    return follow_up


@transaction.atomic
def update_problem(
    *, problem: OpenProblem, title: str, severity: str, category: str, description: str = ""
) -> OpenProblem:
    """Change what a problem is about and how bad it is (its status moves with
    ``change_problem_status``)."""
    problem = OpenProblem.objects.select_for_update().get(pk=problem.pk)
    if not title.strip():
        raise ValidationError({"title": _("Give the problem a title.")})
    problem.title, problem.severity = title.strip(), severity
    problem.category, problem.description = category, description
    problem.full_clean()
    problem.save()
    return problem


@transaction.atomic
def update_feedback(
    *,
    feedback: Feedback,
    kind: str,
    score: int,
    received_on: dt.date,
    contact: Contact | None = None,
    comment: str = "",
) -> Feedback:
    """Correct a recorded NPS / CSAT answer (same rules as ``record_feedback``)."""
    feedback = Feedback.objects.select_for_update().get(pk=feedback.pk)
    if contact is not None and contact.account_id != feedback.account_id:
        raise ValidationError({"contact": _("The contact belongs to another account.")})
    low, high = (0, 10) if kind == Feedback.Kind.NPS else (1, 5)
    if not low <= score <= high:
        raise ValidationError(
            {
                "score": _("A %(kind)s score is between %(low)s and %(high)s.")
                % {"kind": kind.upper(), "low": low, "high": high}
            }
        )
    feedback.kind, feedback.score, feedback.received_on = kind, score, received_on
    feedback.contact, feedback.comment = contact, comment
    feedback.full_clean()
    feedback.save()
    return feedback
