"""Playbooks: saving a version, starting runs, and what people do with their steps
(DESIGN.md "Playbooks").

Every way a run starts (an event, the beat's time triggers, a campaign, the shell) goes
through ``start_runs``: it keeps the rules in one place — only active playbooks, only
customers (the handover play excepted), only the playbook's segment, one run per account,
playbook and occurrence, no second open run — and writes a run's tasks as follow-ups, in
bulk, due on the trigger day plus each step's offset."""

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import scoping
from crm.models import Team
from customers.models import Account, CustomerSpan
from interactions import services as interaction_services
from interactions.models import FollowUp, Interaction

from ..models import (
    Assignee,
    Playbook,
    PlaybookRun,
    PlaybookStep,
    PlaybookVersion,
    RunStep,
    StepKind,
    Trigger,
    comment_error,
)
from ..models.playbooks import step_open
from .surveys import send_due_surveys

# --- versions -----------------------------------------------------------------------------


def snapshot_of(playbook: Playbook, steps: Iterable[PlaybookStep] | None = None) -> dict:
    """What a version freezes: the trigger and the steps in order."""
    steps = playbook.steps.order_by("position", "pk") if steps is None else steps
    return {
        "name": playbook.name,
        "trigger": playbook.trigger,
        "trigger_days": playbook.trigger_days,
        "cadence_multiple": playbook.cadence_multiple,
        "steps": [_frozen(s) for s in steps],
    }


def _frozen(step: PlaybookStep) -> dict:
    frozen = {
        "kind": step.kind,
        "title": step.title,
        "offset_days": step.offset_days,
        "assignee": step.assignee,
    }
    if step.kind == StepKind.SURVEY:  # only there: the versions of other playbooks stay equal
        frozen["survey_kind"] = step.survey_kind
    return frozen


@transaction.atomic
def save_version(*, playbook: Playbook, by=None) -> PlaybookVersion:
    """Freeze the playbook as it is now as its next version, unless the latest version already
    says the same. Runs keep the version they started with (the scoring configuration's
    rule: an edit is a new version, the old one stays)."""
    playbook = Playbook.objects.select_for_update().get(pk=playbook.pk)
    snapshot = snapshot_of(playbook)
    latest = playbook.versions.order_by("-version").first()
    if latest is not None and snapshot == {
        "name": latest.name,
        "trigger": latest.trigger,
        "trigger_days": latest.trigger_days,
        "cadence_multiple": latest.cadence_multiple,
        "steps": latest.steps,
    }:
        return latest
    number = (latest.version + 1) if latest else 1
    version = PlaybookVersion.objects.create(
        playbook=playbook, version=number, created_by=by, **snapshot
    )
    Playbook.objects.filter(pk=playbook.pk).update(version=number)
    return version


def current_version(playbook: Playbook) -> PlaybookVersion:
    """The version new runs start with (frozen now when the playbook has none yet)."""
    return playbook.versions.order_by("-version").first() or save_version(playbook=playbook)


# --- validation (the admin asks these) ----------------------------------------------------


def teams_without_lead(*, segment=None) -> QuerySet[Team]:
    """Teams that own accounts (of ``segment`` when given) but have no active team lead."""
    accounts = Account.objects.filter(team_id=OuterRef("pk"))
    if segment is not None:
        accounts = accounts.filter(segment=segment)
    leads = scoping.team_leads(get_user_model().objects.filter(team_id=OuterRef("pk")))
    return Team.objects.filter(Exists(accounts)).exclude(Exists(leads)).order_by("name")


def playbook_errors(
    *,
    trigger: str,
    trigger_days: int | None,
    cadence_multiple: int | None,
    segment,
    steps: list[dict],
) -> list[str]:
    """Why a playbook cannot be saved (empty when it can): no steps, a negative offset, a
    survey step that does not say which survey, a trigger without its N, a step for a team
    lead where a team has none."""
    errors = []
    if not steps:
        errors.append(_("A playbook needs at least one step."))
    if any((s.get("offset_days") or 0) < 0 for s in steps):
        errors.append(_("A step cannot be due before the trigger day (negative offset)."))
    if any(s.get("kind") == StepKind.SURVEY and not s.get("survey_kind") for s in steps):
        errors.append(_("A survey step sends NPS or CSAT: choose which."))
    if trigger == Trigger.RENEWAL_AHEAD and not trigger_days:
        errors.append(_("Say how many days ahead of the renewal the playbook starts (N)."))
    if trigger == Trigger.NO_CONTACT and not (trigger_days or cadence_multiple):
        errors.append(
            _(
                "Say after how many days without a meeting or call it starts (N, or a multiple "
                "of the cadence)."
            )
        )
    if trigger == Trigger.NO_CONTACT and trigger_days and cadence_multiple:
        errors.append(_("Give N in days or as a multiple of the cadence, not both."))
    if any(s.get("assignee") == Assignee.LEAD for s in steps):
        missing = list(teams_without_lead(segment=segment).values_list("name", flat=True)[:10])
        if missing:
            errors.append(
                _("A step is assigned to the team lead, but these teams have none: %(teams)s.")
                % {"teams": ", ".join(missing)}
            )
    return errors


# --- starting runs ------------------------------------------------------------------------


@dataclass(frozen=True)
class Start:
    """One run to start: on which account, for which occurrence of the trigger, from when."""

    account_id: int
    occurrence: str
    day: dt.date


def leads_of(team_ids: Collection[int]) -> dict[int, int]:
    """Each team's lead (the first active one by id), as team id → user id. One query."""
    users = get_user_model().objects.filter(team_id__in=[t for t in team_ids if t])
    rows = scoping.team_leads(users).order_by("-pk").values_list("team_id", "pk")
    return dict(rows)  # the last written wins: the lowest id


def eligible(playbook: Playbook, accounts: QuerySet[Account], day: dt.date) -> QuerySet:
    """The accounts a run of ``playbook`` may start on for ``day``: customers on that day
    (any account for the handover play), in the playbook's segment, without an open run of
    it."""
    if playbook.segment_id:
        accounts = accounts.filter(segment_id=playbook.segment_id)
    if playbook.trigger != Trigger.TRANSFER:
        spans = CustomerSpan.objects.covering(day).filter(account_id=OuterRef("pk"))
        accounts = accounts.filter(Exists(spans))
    open_runs = PlaybookRun.objects.filter(
        account_id=OuterRef("pk"), playbook=playbook, status=PlaybookRun.Status.OPEN
    )
    return accounts.exclude(Exists(open_runs))


def start_runs(
    *,
    playbook: Playbook,
    starts: Collection[Start],
    by=None,
    version: PlaybookVersion | None = None,
) -> list[PlaybookRun]:
    """Start ``playbook`` for each of ``starts`` that is allowed (``eligible``, and whose
    occurrence has not started a run before); returns the runs started. A fixed number of
    queries however many. Idempotent: starting the same again starts nothing.

    Runs inside a savepoint: when a concurrent writer started one of them first (the unique
    constraints), nothing of this call stays and what was started meanwhile counts."""
    if not playbook.is_active or not starts:
        return []
    by_account = {}
    for start in starts:
        by_account.setdefault(start.account_id, start)  # one run per account and call
    version = version or current_version(playbook)
    # A start whose every task would be overdue already (a span, a flag or a transfer of
    # long ago, imported or backfilled) is history, not a play: it starts nothing.
    last_offset = max((s["offset_days"] for s in version.steps), default=0)
    today = timezone.localdate()
    by_account = {
        aid: s for aid, s in by_account.items() if s.day + dt.timedelta(days=last_offset) >= today
    }
    rows = _eligible_rows(playbook, by_account) if by_account else []
    if not rows:
        return []
    try:
        with transaction.atomic():
            return _create_runs(playbook, version, rows, by)
    except IntegrityError:
        return []


def _eligible_rows(playbook: Playbook, by_account: dict[int, Start]) -> list[tuple]:
    """(start, owner id, team id) of the starts allowed: one query per trigger day, which also
    marks the accounts that may have run one of the day's occurrences before; only when one
    is so marked, one more for the occurrences those accounts really ran."""
    days: dict[dt.date, list[int]] = {}
    for start in by_account.values():
        days.setdefault(start.day, []).append(start.account_id)
    allowed: dict[int, tuple[int | None, int | None]] = {}
    maybe_ran: list[int] = []
    for day, ids in days.items():
        occurrences = {by_account[aid].occurrence[:64] for aid in ids}  # as stored
        ran = PlaybookRun.objects.filter(
            account_id=OuterRef("pk"), playbook=playbook, occurrence__in=occurrences
        )
        qs = eligible(playbook, Account.objects.filter(pk__in=ids), day).annotate(ran=Exists(ran))
        for pk, owner_id, team_id, has_run in qs.values_list("pk", "owner_id", "team_id", "ran"):
            allowed[pk] = (owner_id, team_id)
            if has_run:
                maybe_ran.append(pk)
    done = set()
    if maybe_ran:  # one of the occurrences, perhaps another account's: ask exactly
        done = set(
            PlaybookRun.objects.filter(playbook=playbook, account_id__in=maybe_ran)
            .order_by()
            .values_list("account_id", "occurrence")
        )
    return [
        (start, *allowed[aid])
        for aid, start in sorted(by_account.items())
        if aid in allowed and (aid, start.occurrence[:64]) not in done
    ]


def _assignee(step: dict, owner_id: int | None, lead_id: int | None) -> int | None:
    if step["assignee"] == Assignee.LEAD:
        return lead_id or owner_id
    return owner_id or lead_id


def _create_runs(
    playbook: Playbook, version: PlaybookVersion, rows: list[tuple], by
) -> list[PlaybookRun]:
    steps = version.steps
    leads = {}
    if any(s["assignee"] == Assignee.LEAD for s in steps) or any(o is None for _s, o, _t in rows):
        leads = leads_of({team_id for _s, _o, team_id in rows})
    now = timezone.now()
    runs, tasks = [], []
    today = timezone.localdate()
    for start, owner_id, team_id in rows:
        people = [_assignee(s, owner_id, leads.get(team_id)) for s in steps]
        if None in people:
            continue  # nobody to do it: an account without owner in a team without lead
        run = PlaybookRun(
            account_id=start.account_id,
            playbook=playbook,
            version=version,
            occurrence=start.occurrence[:64],
            trigger_day=start.day,
            started_at=now,
            started_by=by,
        )
        runs.append(run)
        for position, (step, person) in enumerate(zip(steps, people, strict=True)):
            tasks.append(
                (
                    run,
                    position,
                    step,
                    FollowUp(
                        account_id=start.account_id,
                        title=step["title"][:200],
                        due_on=start.day + dt.timedelta(days=step["offset_days"]),
                        owner_id=person,
                    ),
                )
            )
    if not runs:
        return []
    PlaybookRun.objects.bulk_create(runs)
    FollowUp.objects.bulk_create([task for _r, _p, _k, task in tasks])
    steps = RunStep.objects.bulk_create(
        [
            RunStep(
                run=run,
                position=position,
                kind=step["kind"],
                survey_kind=step.get("survey_kind", "") if step["kind"] == StepKind.SURVEY else "",
                follow_up=task,
            )
            for run, position, step, task in tasks
        ]
    )
    # A survey step whose day has come already (offset 0, or a start dated back) sends now.
    due = [s.pk for s in steps if s.survey_kind and s.follow_up.due_on <= today]
    if due:
        send_due_surveys(step_ids=due, today=today)
    return runs


def start_run(
    *, account: Account, playbook: Playbook, occurrence: str, day: dt.date, by=None
) -> PlaybookRun | None:
    """Start ``playbook`` on ``account`` for ``occurrence`` of its trigger on ``day``; None
    when it may not start (not a customer, another segment, one open, this occurrence ran)."""
    runs = start_runs(playbook=playbook, starts=[Start(account.pk, occurrence, day)], by=by)
    return runs[0] if runs else None


def start_campaign(
    *, playbook: Playbook, account_ids: Collection[int], by, day: dt.date | None = None
) -> list[PlaybookRun]:
    """Start ``playbook`` by hand on a selection of accounts (a campaign, e.g. the
    re-engagement play for every account without a meeting for 60 days). The occurrence is
    the day: twice on one day starts nothing more."""
    day = day or timezone.localdate()
    if not playbook.is_active:
        raise ValidationError(_("This playbook is not active."))
    starts = [Start(pk, f"campaign:{day.isoformat()}", day) for pk in account_ids]
    return start_runs(playbook=playbook, starts=starts, by=by)


def active_playbooks(trigger: str) -> list[Playbook]:
    """The active playbooks of ``trigger``, each with the steps of its current version
    (``frozen_steps``; None before its first version). One query."""
    latest = PlaybookVersion.objects.filter(playbook=OuterRef("pk")).order_by("-version")
    return list(
        Playbook.objects.filter(trigger=trigger, is_active=True).annotate(
            frozen_steps=Subquery(latest.values("steps")[:1])
        )
    )


# --- people at work on a run --------------------------------------------------------------


def close_finished_runs(*, run_ids: Collection[int]) -> int:
    """Mark the open runs among ``run_ids`` whose every step is done or skipped complete."""
    open_steps = RunStep.objects.filter(step_open(), run_id=OuterRef("pk"))
    return (
        PlaybookRun.objects.filter(pk__in=list(run_ids), status=PlaybookRun.Status.OPEN)
        .exclude(Exists(open_steps))
        .update(status=PlaybookRun.Status.COMPLETE, completed_at=timezone.now())
    )


@transaction.atomic
def skip_step(*, step: RunStep, reason: str, at: dt.datetime | None = None) -> RunStep:
    """Skip a step of a run, always with a reason; its task leaves the list."""
    reason = reason.strip()
    if error := comment_error(reason, missing=_("Say why the step is skipped.")):
        raise ValidationError({"reason": error})
    step = RunStep.objects.select_for_update().select_related("follow_up").get(pk=step.pk)
    if step.follow_up.done_at is not None:
        raise ValidationError(_("This step is done already."))
    if step.skipped_at is None:
        step.skipped_at = at or timezone.now()
        step.skip_reason = reason
        step.save(update_fields=["skipped_at", "skip_reason"])
        interaction_services.complete_follow_up(follow_up=step.follow_up, at=step.skipped_at)
    return step


def complete_step(*, step: RunStep, at: dt.datetime | None = None) -> RunStep:
    """Mark a step's task done (the run completes with its last step)."""
    interaction_services.complete_follow_up(follow_up=step.follow_up, at=at)
    step.follow_up.refresh_from_db(fields=["done_at"])
    return step


def reassign_step(*, step: RunStep, owner) -> RunStep:
    """Give a step's task to someone else (who may hold the account's follow-ups)."""
    task = step.follow_up
    interaction_services.update_follow_up(
        follow_up=task, title=task.title, due_on=task.due_on, owner=owner, today=task.due_on
    )
    step.follow_up.refresh_from_db()
    return step


@transaction.atomic
def cancel_run(*, run: PlaybookRun, comment: str) -> PlaybookRun:
    """Cancel an open run with a comment; its open tasks leave the list."""
    comment = comment.strip()
    if error := comment_error(comment, missing=_("Say why the run is cancelled.")):
        raise ValidationError({"comment": error})
    run = PlaybookRun.objects.select_for_update().get(pk=run.pk)
    if run.status != PlaybookRun.Status.OPEN:
        raise ValidationError(_("Only an open run can be cancelled."))
    run.status, run.cancel_comment, run.completed_at = (
        PlaybookRun.Status.CANCELLED,
        comment,
        timezone.now(),
    )
    run.save(update_fields=["status", "cancel_comment", "completed_at"])
    FollowUp.objects.open().filter(playbook_step__run=run).update(done_at=run.completed_at)
    return run


def complete_steps_by_interactions(*, account_id: int) -> int:
    """Mark done the open meeting and call steps of the account's runs for which an
    interaction of that kind has been logged since the task was created. One query when
    nothing matches."""
    logged = Interaction.objects.alive().filter(
        account_id=account_id,
        kind=OuterRef("kind"),
        created_at__gte=OuterRef("follow_up__created_at"),
    )
    steps = RunStep.objects.filter(
        run__account_id=account_id,
        run__status=PlaybookRun.Status.OPEN,
        kind__in=[Interaction.Kind.MEETING, Interaction.Kind.CALL],
    ).filter(step_open(), Exists(logged))
    ids = list(steps.values_list("follow_up_id", flat=True))
    if ids:
        interaction_services.complete_follow_ups(follow_up_ids=ids)
    return len(ids)


def run_ids_of_follow_ups(follow_up_ids: Collection[int]) -> list[int]:
    return list(
        RunStep.objects.filter(follow_up_id__in=list(follow_up_ids))
        .filter(Q(run__status=PlaybookRun.Status.OPEN))
        .values_list("run_id", flat=True)
        .distinct()
    )


# --- the admin's preview ------------------------------------------------------------------


def example_account(playbook: Playbook, *, day: dt.date | None = None) -> Account | None:
    """An account a run of ``playbook`` could start on today (for the admin's preview)."""
    day = day or timezone.localdate()
    accounts = eligible(playbook, Account.objects.select_related("owner", "team"), day)
    return accounts.order_by("name").first()


def preview(*, playbook: Playbook, account: Account, day: dt.date | None = None) -> list[dict]:
    """The tasks a run of ``playbook`` as it is now would create for ``account`` started on
    ``day``: each step's kind, title, due date and who gets it. Writes nothing."""
    day = day or timezone.localdate()
    lead_id = leads_of([account.team_id]).get(account.team_id)
    people = get_user_model().objects.in_bulk([p for p in (account.owner_id, lead_id) if p])
    rows = []
    for step in snapshot_of(playbook)["steps"]:
        person = _assignee(step, account.owner_id, lead_id)
        rows.append(
            {
                **step,
                "due_on": day + dt.timedelta(days=step["offset_days"]),
                "person": people.get(person),
            }
        )
    return rows
