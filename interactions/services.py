"""Things that change the documented relationship: interactions, follow-ups, problems,
feedback. Logging a meeting or call moves the account's ``last_meeting_or_call_at`` in the same
transaction."""

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import events, inbox
from customers.models import Account, Contact

from .calendar.reminders import DETRACTOR, FOLLOW_UP
from .feedback import SCALES
from .models import Feedback, FollowUp, Interaction, OpenProblem
from .selectors import follow_up_owner_choices

# Older moments are typing mistakes; year 1 local time is not even a valid UTC timestamp.
EARLIEST_INTERACTION = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
# A browser's clock may run a little ahead of the server's.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)

# --- the rules every path in obeys (pages, API, admin, importer). Each ``validate_*`` raises
# one ValidationError naming the fields; the services call them, and the admin's forms too,
# so a refusal there is a form error next to the field, not a 500.


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def validate_interaction(
    *, account_id: int, occurred_at: dt.datetime | None, contacts=None, summary: str | None = None
) -> None:
    """A summary when given, a moment between 1900 and (about) now, only the account's
    contacts present."""
    _raise(_interaction_errors(account_id, occurred_at, contacts, summary))


def _interaction_errors(account_id, occurred_at, contacts, summary) -> dict:
    errors = {}
    if summary is not None and not summary.strip():
        errors["summary"] = _("Say in a line what happened.")
    if occurred_at is not None and occurred_at > timezone.now() + FUTURE_TOLERANCE:
        errors["occurred_at"] = _("An interaction cannot be in the future.")
    elif occurred_at is not None and occurred_at < EARLIEST_INTERACTION:
        errors["occurred_at"] = _("An interaction cannot be before 1900.")
    if contacts is not None and any(c.account_id != account_id for c in contacts):
        errors["contacts"] = _("Only contacts of this account can be present.")
    return errors


def _due_errors(due_on: dt.date, *, today: dt.date | None, was: dt.date | None = None) -> dict:
    """A promise is not made (or moved) into the past; one already overdue may stay so."""
    today = today or timezone.localdate()
    if due_on < today and due_on != was:
        return {"due_on": _("A new follow-up cannot be due in the past.")}
    return {}


def validate_follow_up(
    *,
    account: Account,
    title: str,
    due_on: dt.date,
    owner,
    interaction: Interaction | None = None,
    editing: FollowUp | None = None,
    today: dt.date | None = None,
) -> None:
    """What was promised, a due date not in the past, an owner who is the account's owner or
    an active member of its team, an interaction of the account. When ``editing`` a
    follow-up, its due date and owner may stay as they are (overdue, or someone who left)."""
    errors = _due_errors(due_on, today=today, was=editing.due_on if editing else None)
    if not title.strip():
        errors["title"] = _("Say what you promised.")
    kept = editing is not None and owner is not None and owner.pk == editing.owner_id
    choices = follow_up_owner_choices(account)
    if owner is not None and not kept and not choices.filter(pk=owner.pk).exists():
        errors["owner"] = _("Only the account's owner or its team can keep this promise.")
    if interaction is not None and interaction.account_id != account.pk:
        errors["interaction"] = _("The interaction belongs to another account.")
    _raise(errors)


def validate_feedback(*, account_id: int, kind: str, score: int, contact=None) -> None:
    """A score on its kind's scale (NPS 0–10, CSAT 1–5), from a contact of the account."""
    errors = {}
    if contact is not None and contact.account_id != account_id:
        errors["contact"] = _("The contact belongs to another account.")
    low, high = SCALES.get(kind, SCALES["nps"])
    if score is not None and not low <= score <= high:
        errors["score"] = _("A %(kind)s score is between %(low)s and %(high)s.") % {
            "kind": kind.upper(),
            "low": low,
            "high": high,
        }
    _raise(errors)


def validate_problem_status(*, status: str, resolution: str) -> None:
    """A problem is resolved with a word on how."""
    if status == OpenProblem.Status.RESOLVED and not (resolution or "").strip():
        raise ValidationError({"resolution": _("Say how the problem was resolved.")})


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
    tone: str = "",
    next_steps: str = "",
    follow_up_title: str = "",
    follow_up_due: dt.date | None = None,
) -> Interaction:
    """Record a meeting, call, email or note; optionally promise a follow-up in the same step
    (kept by the author, due today or later)."""
    occurred_at = occurred_at or timezone.now()
    contacts = list(contacts)
    errors = _interaction_errors(account.pk, occurred_at, contacts, summary)
    if follow_up_due is None and follow_up_title.strip():
        errors["follow_up_due"] = _("When is it due?")
    if follow_up_due is not None:
        if not follow_up_title.strip():
            # what was promised defaults to the first line of the next steps
            follow_up_title = next_steps.strip().splitlines()[0][:200] if next_steps.strip() else ""
        if not follow_up_title:
            errors["follow_up_title"] = _("Say what you promised.")
        if late := _due_errors(follow_up_due, today=None):
            errors["follow_up_due"] = late["due_on"]
    _raise(errors)
    interaction = Interaction(
        account=account,
        author=author,
        kind=kind,
        occurred_at=occurred_at,
        summary=summary.strip(),
        notes=notes,
        tone=tone,
        next_steps=next_steps,
    )
    # The account and the author are rows the caller holds: not looked up again (two queries).
    interaction.full_clean(exclude=["account", "author"])
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
        account.last_meeting_or_call_at = locked.last_meeting_or_call_at
    events.publish(events.AccountChanged(account.pk, events.What.INTERACTION))
    return interaction


@transaction.atomic
def complete_follow_up(*, follow_up: FollowUp, at: dt.datetime | None = None) -> FollowUp:
    """Mark a follow-up done (twice is harmless)."""
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if follow_up.done_at is None:
        follow_up.done_at = at or timezone.now()
        follow_up.save(update_fields=["done_at"])
        events.publish(events.FollowUpsDone([follow_up.pk]))
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
    status: str = OpenProblem.Status.OPEN,
    resolution: str = "",
) -> OpenProblem:
    """Record a complaint, escalation or blocker (already in progress or resolved, when
    ``status`` says so: in the same transaction, by ``change_problem_status``)."""
    validate_problem_status(status=status, resolution=resolution)
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
    if status != problem.status:  # which announces the account
        return change_problem_status(problem=problem, status=status, resolution=resolution)
    events.publish(events.AccountChanged(account.pk, events.What.PROBLEM))
    return problem


@transaction.atomic
def change_problem_status(
    *, problem: OpenProblem, status: str, resolution: str = "", at: dt.datetime | None = None
) -> OpenProblem:
    """Move a problem open → in progress → resolved (or reopen it)."""
    problem = OpenProblem.objects.select_for_update().get(pk=problem.pk)
    validate_problem_status(status=status, resolution=resolution)
    if status == OpenProblem.Status.RESOLVED:
        problem.resolved_at = at or timezone.now()
        problem.resolution = resolution.strip()
    else:
        problem.resolved_at = None
    problem.status = status
    problem.full_clean()
    problem.save()
    events.publish(events.AccountChanged(problem.account_id, events.What.PROBLEM))
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
    rescore_later: bool = False,
) -> Feedback:
    """Record an NPS (0–10) or CSAT (1–5) answer; the author defaults to the account's owner.
    The account is scored again at once, or by a worker after commit with ``rescore_later``
    (an answer on the public survey page, where nobody waits for the score)."""
    validate_feedback(account_id=account.pk, kind=kind, score=score, contact=contact)
    feedback = Feedback(
        account=account,
        kind=kind,
        score=score,
        received_on=received_on,
        contact=contact,
        author=author if author is not None else account.owner,
        comment=comment,
    )
    _check_feedback(feedback)
    feedback.save()
    events.publish(events.FeedbackRecorded(feedback.pk))
    _feedback_changed(account.pk, later=rescore_later)
    if feedback.category == "detractor":
        _notify_detractor(feedback, account)
    return feedback


def _check_feedback(feedback: Feedback) -> None:
    # The relations are rows the caller holds and the score's range is validate_feedback's:
    # asking the database again cost a survey answer six round trips (bench_surveys.py).
    feedback.full_clean(exclude=["account", "contact", "author"], validate_constraints=False)


def _feedback_changed(account_id: int, *, later: bool) -> None:
    if later:  # scored again by a worker after commit, as a bulk change is
        events.publish(events.AccountsChanged([account_id], events.What.FEEDBACK))
    else:
        events.publish(events.AccountChanged(account_id, events.What.FEEDBACK))


def _notify_detractor(feedback: Feedback, account: Account) -> None:
    """The owner hears of a detractor answer in their inbox (once per answer)."""
    if account.owner_id is None:
        return
    inbox.post(
        user=account.owner,
        kind=inbox.Kind.DETRACTOR,
        message=DETRACTOR,
        topic=inbox.topic("feedback", feedback.pk),
        link=feedback.get_absolute_url(),
        params={"account": account.name, "kind": feedback.kind, "score": feedback.score},
    )


LAST_INTERACTION_CHUNK = 2000


def refresh_last_meeting_or_call(*, account_ids: Iterable[int]) -> int:
    """Recompute ``last_meeting_or_call_at`` of these accounts from their meetings and calls that
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
                last_meeting_or_call_at=Subquery(latest)
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
    refresh_last_meeting_or_call(account_ids=account_ids)
    events.announce(account_ids, events.What.INTERACTION)
    return deleted


@transaction.atomic
def restore_interactions(*, interaction_ids: Iterable[int]) -> int:
    """Undo the soft delete of these interactions and recompute the last meeting or call of
    their accounts. Returns how many were restored."""
    gone = Interaction.objects.filter(pk__in=list(interaction_ids), deleted_at__isnull=False)
    account_ids = set(gone.select_for_update().values_list("account_id", flat=True))
    restored = gone.update(deleted_at=None)
    refresh_last_meeting_or_call(account_ids=account_ids)
    events.announce(account_ids, events.What.INTERACTION)
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
    done = FollowUp.objects.open().filter(pk__in=ids).update(done_at=at or timezone.now())
    inbox.settle(topics=[inbox.topic(FOLLOW_UP, pk) for pk in ids])
    if done:
        events.publish(events.FollowUpsDone(ids))
    return done


@transaction.atomic
def start_work_on_problems(*, problem_ids: Iterable[int]) -> int:
    """Move these problems from open to in progress. Resolved ones are left alone (reopening
    is a decision per problem: ``change_problem_status``). Returns how many moved."""
    return OpenProblem.objects.filter(
        pk__in=list(problem_ids), status=OpenProblem.Status.OPEN
    ).update(status=OpenProblem.Status.IN_PROGRESS)


# --- editing from the CSM's workspace ---

INTERACTION_FIELDS = ("kind", "occurred_at", "summary", "notes", "tone", "next_steps")


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
    if "summary" in changes:
        changes["summary"] = changes["summary"].strip()
    contacts = None if contacts is None else list(contacts)
    validate_interaction(
        account_id=interaction.account_id,
        occurred_at=changes.get("occurred_at"),
        contacts=contacts,
        summary=changes.get("summary"),
    )
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
        refresh_last_meeting_or_call(account_ids=[interaction.account_id])
    # Its kind, time, tone, author and who was present are all measured.
    events.publish(events.AccountChanged(interaction.account_id, events.What.INTERACTION))
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
    """Promise the customer something by a date; the owner (the account's owner or one of
    its team) is who keeps the promise."""
    validate_follow_up(
        account=account,
        title=title,
        due_on=due_on,
        owner=owner,
        interaction=interaction,
        today=today,
    )
    follow_up = FollowUp(
        account=account, title=title.strip(), due_on=due_on, owner=owner, interaction=interaction
    )
    follow_up.full_clean()
    follow_up.save()
    return follow_up


@transaction.atomic
def update_follow_up(
    *, follow_up: FollowUp, title: str, due_on: dt.date, owner, today: dt.date | None = None
) -> FollowUp:
    """Change what was promised, by when (not into the past), or who keeps the promise."""
    follow_up = FollowUp.objects.select_for_update().select_related("account").get(pk=follow_up.pk)
    validate_follow_up(
        account=follow_up.account,
        title=title,
        due_on=due_on,
        owner=owner,
        editing=follow_up,
        today=today,
    )
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
    events.publish(events.AccountChanged(problem.account_id, events.What.PROBLEM))
    return problem


@transaction.atomic
def edit_problem(
    *,
    problem: OpenProblem,
    title: str,
    severity: str,
    category: str,
    description: str = "",
    status: str,
    resolution: str = "",
) -> OpenProblem:
    """Change a problem and move its status in one step: a refused status change (a
    resolution missing) leaves nothing half-saved."""
    validate_problem_status(status=status, resolution=resolution)
    problem = update_problem(
        problem=problem, title=title, severity=severity, category=category, description=description
    )
    if status != problem.status or resolution != problem.resolution:
        problem = change_problem_status(problem=problem, status=status, resolution=resolution)
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
    rescore_later: bool = False,
) -> Feedback:
    """Correct a recorded NPS / CSAT answer (same rules as ``record_feedback``). An answer
    changed into a detractor is treated as a new detractor answer: the owner hears of it and
    ``FeedbackRecorded`` starts the detractor play; one that stays a detractor is not."""
    feedback = Feedback.objects.select_for_update().select_related("account").get(pk=feedback.pk)
    validate_feedback(account_id=feedback.account_id, kind=kind, score=score, contact=contact)
    was_detractor = feedback.category == "detractor"
    feedback.kind, feedback.score, feedback.received_on = kind, score, received_on
    feedback.contact, feedback.comment = contact, comment
    _check_feedback(feedback)
    feedback.save()
    _feedback_changed(feedback.account_id, later=rescore_later)
    if not was_detractor and feedback.category == "detractor":
        events.publish(events.FeedbackRecorded(feedback.pk))
        _notify_detractor(feedback, feedback.account)
    return feedback
