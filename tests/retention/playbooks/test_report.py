"""Does onboarding work? The report of onboarding on time and the retention that followed."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from interactions.models import FollowUp
from retention.models import PlaybookRun
from retention.playbooks.report import onboarding_report

from ...factories import SegmentFactory, make_customer


@pytest.fixture
def today(db):
    return timezone.localdate()


def finish(account, *, late_days: int):
    run = PlaybookRun.objects.get(account=account, playbook__name="Onboarding")
    for task in FollowUp.objects.filter(playbook_step__run=run):
        day = task.due_on + dt.timedelta(days=late_days)
        task.done_at = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
        task.save(update_fields=["done_at"])
    PlaybookRun.objects.filter(pk=run.pk).update(status="complete")


def test_on_time_per_csm_and_segment_and_the_retention_that_followed(csm, teammate, today):
    since = today - dt.timedelta(days=10)
    smb = SegmentFactory(name="SMB")
    kept = make_customer(owner=csm, since=since, segment=smb)
    lost = make_customer(
        owner=teammate, since=since, segment=smb, end_date=today + dt.timedelta(days=100)
    )
    finish(kept, late_days=0)
    finish(lost, late_days=3)
    report = onboarding_report(today=today + dt.timedelta(days=400))
    assert report["onboardings"] == 2 and report["on_time"] == 1
    assert {r["name"]: r["on_time_rate"] for r in report["by_csm"]} == {
        "Carla CSM": 100.0,
        "Tom Teammate": 0.0,
    }
    assert report["by_segment"] == [
        {"name": "SMB", "on_time": 1, "onboardings": 2, "on_time_rate": 50.0}
    ]
    assert report["retention_on_time"] == 100.0
    assert report["retention_late"] == 0.0


def test_an_onboarding_under_way_does_not_count_yet(csm, today):
    make_customer(owner=csm, since=today - dt.timedelta(days=5))
    report = onboarding_report(today=today)
    assert report["onboardings"] == 0 and report["retention_on_time"] is None
    call_command("onboarding_report", "--format", "json", verbosity=0)
