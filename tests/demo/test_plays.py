"""The demo runs the shipped playbooks: a new user sees plays in progress."""

import pytest
from django.core.management import call_command

from retention.models import PlaybookRun, RunStep

pytestmark = pytest.mark.django_db


def test_the_demo_has_plays_in_progress_and_completed():
    call_command("seed_demo", "--accounts", "120", "--seed", "3", verbosity=0)
    runs = PlaybookRun.objects.all()
    assert runs.filter(status="open").exists()
    names = set(runs.values_list("playbook__name", flat=True))
    assert {"Onboarding", "Renewal preparation", "Re-engagement"} <= names
    assert RunStep.objects.filter(follow_up__done_at__isnull=False).exists()
    assert RunStep.objects.filter(follow_up__done_at__isnull=True).exists()
    # Reseeding the same day changes nothing of the plays' count.
    count = runs.count()
    call_command("run_playbooks", verbosity=0)
    assert PlaybookRun.objects.count() == count
