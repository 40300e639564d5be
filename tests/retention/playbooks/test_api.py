"""The playbooks' REST API: playbooks, runs and tasks, scoped; tasks marked done or skipped."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from retention.models import Playbook, PlaybookRun
from retention.playbooks import services

from ...api_clients import client_for, ids
from ...factories import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()


@pytest.fixture
def runs(csm, other_csm):
    playbook = Playbook.objects.get(name="Re-engagement")
    mine, theirs = make_customer(owner=csm), make_customer(owner=other_csm)
    started = services.start_campaign(playbook=playbook, account_ids=[mine.pk, theirs.pk], by=csm)
    return {run.account_id: run for run in started}, mine, theirs


def test_playbooks_are_listed_with_their_steps(csm):
    response = client_for(csm).get("/api/v1/playbooks/")
    names = {row["name"]: row for row in response.json()["results"]}
    assert len(names["Onboarding"]["steps"]) == 6


def test_runs_are_scoped_and_filtered_by_account(csm, runs):
    by_account, mine, theirs = runs
    api = client_for(csm)
    assert ids(api.get("/api/v1/playbook-runs/")) == {by_account[mine.pk].pk}
    assert ids(api.get(f"/api/v1/playbook-runs/?account={theirs.pk}")) == set()
    row = api.get(f"/api/v1/playbook-runs/?account={mine.pk}").json()["results"][0]
    assert row["version_number"] == 1 and len(row["steps"]) == 2


def test_tasks_due_before_and_marked_done_or_skipped(csm, runs):
    _by_account, mine, _theirs = runs
    api = client_for(csm)
    today = timezone.localdate()
    soon = (today + dt.timedelta(days=5)).isoformat()
    tasks = api.get(f"/api/v1/tasks/?account={mine.pk}&due_before={soon}").json()["results"]
    assert [t["title"] for t in tasks] == ["Re-engagement call"]
    assert api.post(f"/api/v1/tasks/{tasks[0]['id']}/done/").json()["status"] == "done"
    later = api.get(f"/api/v1/tasks/?account={mine.pk}&open=true").json()["results"][0]
    assert api.post(f"/api/v1/tasks/{later['id']}/skip/", {"reason": ""}).status_code == 400
    answer = api.post(f"/api/v1/tasks/{later['id']}/skip/", {"reason": "Met at a fair"})
    assert answer.json()["status"] == "skipped"
    assert PlaybookRun.objects.get(account=mine).status == "complete"


def test_another_teams_task_is_404(csm, runs):
    by_account, _mine, theirs = runs
    step = by_account[theirs.pk].steps.first()
    api = client_for(csm)
    assert api.get(f"/api/v1/tasks/{step.pk}/").status_code == 404
    assert api.post(f"/api/v1/tasks/{step.pk}/done/").status_code == 404
    assert api.get(f"/api/v1/playbook-runs/{by_account[theirs.pk].pk}/").status_code == 404


def test_a_run_is_cancelled_with_a_comment_and_only_in_scope(csm, runs):
    by_account, mine, theirs = runs
    api = client_for(csm)
    run = by_account[mine.pk]
    assert api.post(f"/api/v1/playbook-runs/{run.pk}/cancel/", {"comment": ""}).status_code == 400
    answer = api.post(f"/api/v1/playbook-runs/{run.pk}/cancel/", {"comment": "Churned"})
    assert answer.status_code == 200
    assert answer.json()["status"] == "cancelled"
    assert answer.json()["cancel_comment"] == "Churned"
    again = api.post(f"/api/v1/playbook-runs/{run.pk}/cancel/", {"comment": "Twice"})
    assert again.status_code == 400
    other = by_account[theirs.pk]
    assert (
        api.post(f"/api/v1/playbook-runs/{other.pk}/cancel/", {"comment": "x"}).status_code == 404
    )
    assert PlaybookRun.objects.get(pk=other.pk).status == "open"
