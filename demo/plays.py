"""The demo's plays in progress (DESIGN.md "Playbooks"): onboarding for the accounts that
became customers in the last 90 days, and what the time triggers start today (renewal
preparation, re-engagement). Steps due before today are done (on their due day or a little
late), some of the last week's are overdue, so a new user sees progress, overdue steps and complete
onboardings. Same seed, same plays."""

import datetime as dt
import random

from django.db.models import Max
from django.utils import timezone

from customers.models import CustomerSpan
from interactions.models import FollowUp
from retention.models import Playbook, PlaybookRun, RunStep, Trigger
from retention.models.playbooks import step_open
from retention.playbooks import services, triggers

from .activity import LATE_DAYS

ONBOARDING_DAYS = 90
DONE_SHARE = 0.6  # of the steps due in the last week (older ones are all done, as the
# demo's follow-ups are: nothing is more than LATE_DAYS overdue)
LATE_SHARE = 0.2  # of those done: a few days after they were due


def seed_plays(*, today: dt.date, rng: random.Random) -> int:
    """Start the demo's runs and settle their past steps; returns how many runs started."""
    started = 0
    recent = (
        CustomerSpan.objects.covering(today)
        .filter(start_date__gt=today - dt.timedelta(days=ONBOARDING_DAYS))
        .values("account_id")
        .annotate(first=Max("start_date"))
        .order_by("account_id")
    )
    starts = [
        services.Start(row["account_id"], f"span:{row['first']}", row["first"]) for row in recent
    ]
    for playbook in Playbook.objects.filter(trigger=Trigger.NEW_CUSTOMER, is_active=True):
        started += len(services.start_runs(playbook=playbook, starts=starts))
    started += triggers.run_playbooks(today=today)["started"]
    _settle_past_steps(today=today, rng=rng)
    return started


def _settle_past_steps(*, today: dt.date, rng: random.Random) -> None:
    tasks = (
        FollowUp.objects.filter(playbook_step__isnull=False, due_on__lt=today)
        .order_by("pk")
        .values_list("pk", "due_on")
    )
    done = []
    for pk, due_on in tasks:
        if due_on < today - dt.timedelta(days=LATE_DAYS) or rng.random() < DONE_SHARE:
            late = rng.randint(1, 6) if rng.random() < LATE_SHARE else -rng.randint(0, 3)
            day = min(today - dt.timedelta(days=1), due_on + dt.timedelta(days=late))
            at = timezone.make_aware(dt.datetime.combine(day, dt.time(15, 0)))
            done.append(FollowUp(pk=pk, done_at=at))
    FollowUp.objects.bulk_update(done, ["done_at"], batch_size=2000)
    open_steps = RunStep.objects.filter(step_open())
    runs = PlaybookRun.objects.filter(status=PlaybookRun.Status.OPEN).values_list("pk", flat=True)
    finished = set(runs) - set(open_steps.values_list("run_id", flat=True))
    services.close_finished_runs(run_ids=finished)
