"""What the pages and the API read about playbooks and runs, scoped through ``crm.scoping``."""

import datetime as dt
from collections.abc import Collection

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from crm import scoping
from customers.models import Account
from interactions.models import follow_up_overdue

from ..models import Playbook, PlaybookRun, RunStep
from ..models.playbooks import step_open

OPEN_STEP = step_open("steps__")


def playbooks() -> QuerySet[Playbook]:
    """Active playbooks (what a lead may start by hand)."""
    return Playbook.objects.filter(is_active=True).order_by("name")


def runs_for(user) -> QuerySet[PlaybookRun]:
    """The runs on accounts ``user`` may read."""
    return scoping.visible(user, PlaybookRun.objects.all(), via="account").select_related(
        "playbook", "version", "account"
    )


def tasks_for(user) -> QuerySet[RunStep]:
    """The steps (tasks) of runs on accounts ``user`` may read."""
    qs = RunStep.objects.select_related("follow_up", "follow_up__owner", "run", "run__playbook")
    return scoping.visible(user, qs, via="run__account")


def editable_step_for(user, pk: int) -> RunStep:
    """A step ``user`` may act on (the account is theirs to edit, or the task is), or 404."""
    qs = RunStep.objects.select_related("follow_up", "run", "run__account")
    editable = scoping.editable(user, qs, via="run__account")
    return get_object_or_404(editable | qs.filter(follow_up__owner=user), pk=pk)


def editable_run_for(user, pk: int) -> PlaybookRun:
    """A run ``user`` may cancel (its account is theirs to edit), or 404."""
    qs = PlaybookRun.objects.select_related("playbook", "account")
    return get_object_or_404(scoping.editable(user, qs, via="account"), pk=pk)


def with_progress(runs: QuerySet[PlaybookRun]) -> QuerySet[PlaybookRun]:
    """Annotate how many steps a run has and how many are still open."""
    return runs.annotate(
        total_steps=Count("steps", distinct=True),
        open_steps=Count("steps", filter=OPEN_STEP, distinct=True),
    )


def open_runs_of(account: Account) -> list[PlaybookRun]:
    """The account's open runs with their progress and steps in order (``next_step``: the
    first open one). Two queries."""
    steps = RunStep.objects.select_related("follow_up", "follow_up__owner").order_by("position")
    runs = with_progress(
        account.playbook_runs.filter(status=PlaybookRun.Status.OPEN).select_related("playbook")
    ).prefetch_related(Prefetch("steps", queryset=steps))
    result = list(runs.order_by("started_at", "pk"))
    for run in result:
        run.done_steps = run.total_steps - run.open_steps
        run.next_step = next((s for s in run.steps.all() if s.status == "open"), None)
    return result


def current_plays(account_ids: Collection[int]) -> dict[int, str]:
    """The newest open run's playbook name per account (the portfolio's column). One query."""
    rows = (
        PlaybookRun.objects.filter(account_id__in=list(account_ids), status="open")
        .order_by("account_id", "started_at", "pk")
        .values_list("account_id", "playbook__name")
    )
    return dict(rows)


def overdue_runs_per_csm(user, *, today: dt.date | None = None) -> list[dict]:
    """Open runs with an overdue step on accounts ``user`` may read, per account owner:
    ``[{"user", "runs": [run, …], "overdue": n}]``, most overdue first."""
    today = today or timezone.localdate()
    overdue = step_open("steps__") & follow_up_overdue(today, "steps__follow_up__")
    runs = (
        runs_for(user)
        .filter(status=PlaybookRun.Status.OPEN)
        .annotate(overdue_steps=Count("steps", filter=overdue))
        .filter(overdue_steps__gt=0)
        .order_by("account__owner_id", "account__name")[:500]
    )
    groups: dict[int | None, dict] = {}
    for run in runs:
        group = groups.setdefault(run.account.owner_id, {"runs": [], "overdue": 0})
        group["runs"].append(run)
        group["overdue"] += run.overdue_steps
    people = get_user_model().objects.in_bulk([pk for pk in groups if pk])
    rows = [{"user": people.get(pk), **data} for pk, data in groups.items()]
    return sorted(rows, key=lambda r: (-r["overdue"], str(r["user"] or "")))
