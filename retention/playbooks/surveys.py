"""A playbook's survey step (DESIGN.md "Playbooks", "Surveys"): on its day it asks the account's
decision makers and champions the step's survey (NPS or CSAT) through the same service as the
account page and a list's selection (``interactions.surveys.services.send_to_accounts``: the
same recipients, the same skip rules), keeps what that did on the step (``outcome``) and is
done. When nobody can be asked (no email, left, unsubscribed, asked within 90 days, or no
decision maker or champion at all) the step is done all the same and its outcome says why: a
survey that cannot go out is not a task anyone can do, and a run must not wait for it.

The morning run (``triggers.run_playbooks``) sends the steps whose day has come; a run started
on a step's day sends it at once. A step missed by more than ``GRACE_DAYS`` (a run started
late, the beat stopped for weeks) is history: it stays a task for its assignee instead of
asking a customer weeks late."""

import datetime as dt
from collections.abc import Collection

from django.db import transaction
from django.utils import timezone

from customers.models import Account
from interactions import services as interaction_services
from interactions.surveys import services as survey_services

from ..models import PlaybookRun, RunStep, StepKind
from ..models.playbooks import step_open

GRACE_DAYS = 7


def due_survey_steps(today: dt.date):
    """The open survey steps of open runs whose day has come, at most ``GRACE_DAYS`` ago."""
    return RunStep.objects.filter(
        step_open(),
        kind=StepKind.SURVEY,
        run__status=PlaybookRun.Status.OPEN,
        follow_up__due_on__lte=today,
        follow_up__due_on__gte=today - dt.timedelta(days=GRACE_DAYS),
    ).exclude(survey_kind="")


def send_due_surveys(
    *, today: dt.date | None = None, step_ids: Collection[int] | None = None
) -> dict[str, int]:
    """Send the survey of each due survey step (of ``step_ids`` only, when given), each in
    its own transaction: the step is locked, sent, given its outcome and done, so a second
    run at the same time skips it and a rerun sends nothing more. Returns how many steps were
    sent and how many contacts asked."""
    today = today or timezone.localdate()
    due = due_survey_steps(today)
    if step_ids is not None:
        due = due.filter(pk__in=list(step_ids))
    totals = {"steps": 0, "asked": 0}
    for pk in list(due.order_by("pk").values_list("pk", flat=True)):
        with transaction.atomic():
            step = (
                due.filter(pk=pk)
                .select_related("follow_up__owner", "run")
                .select_for_update(skip_locked=True, of=("self",))
                .first()
            )
            if step is None:  # done, skipped or taken meanwhile
                continue
            result = survey_services.send_to_accounts(
                accounts=Account.objects.filter(pk=step.run.account_id),
                kind=step.survey_kind,
                sender=step.follow_up.owner,
            )
            step.outcome = {
                "queued": len(result.queued_ids),
                "skipped": result.skipped_counts,
                "nobody": result.nobody,
            }
            step.save(update_fields=["outcome"])
            interaction_services.complete_follow_up(follow_up=step.follow_up)
        totals["steps"] += 1
        totals["asked"] += len(result.queued_ids)
    return totals


def outcome_text(step: RunStep) -> str:
    """What a survey step did, in the reader's language ("" before it was sent)."""
    if not step.outcome:
        return ""
    return survey_services.describe(**step.outcome)
