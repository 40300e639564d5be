"""The playbooks in the admin: inline steps, refusals with a message, a new version per
save, the preview."""

import pytest
from django.urls import reverse

from retention.models import Playbook, PlaybookRun
from retention.playbooks import services

from ...factories import AccountFactory, make_customer


@pytest.fixture
def admin_client_(client, admin_user):
    client.force_login(admin_user)
    return client


def form(steps, **fields) -> dict:
    data = {
        "name": "Play",
        "description": "",
        "trigger": "manual",
        "trigger_days": "",
        "cadence_multiple": "",
        "flag_reason": "",
        "segment": "",
        "is_active": "on",
        "steps-TOTAL_FORMS": str(len(steps)),
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
    }
    for i, (kind, title, offset, assignee) in enumerate(steps):
        data.update(
            {
                f"steps-{i}-position": str(i),
                f"steps-{i}-kind": kind,
                f"steps-{i}-title": title,
                f"steps-{i}-offset_days": str(offset),
                f"steps-{i}-assignee": assignee,
            }
        )
    data.update(fields)
    return data


ADD = "admin:retention_playbook_add"


@pytest.mark.parametrize(
    ("steps", "fields", "message"),
    [
        ([], {}, "A playbook needs at least one step."),
        ([("call", "Call", -3, "owner")], {}, "cannot be due before the trigger day"),
        ([("call", "Call", 3, "owner")], {"trigger": "renewal_ahead"}, "how many days ahead"),
        ([("call", "Call", 3, "owner")], {"trigger": "no_contact"}, "without a meeting or call"),
        ([("call", "Call", 3, "lead")], {}, "these teams have none: Team A"),
    ],
)
def test_a_bad_playbook_is_refused_with_a_message(admin_client_, csm, steps, fields, message):
    AccountFactory(owner=csm)
    response = admin_client_.post(reverse(ADD), form(steps, **fields))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Playbook.objects.filter(name="Play").exists()


def test_saving_freezes_a_version_and_runs_keep_theirs(admin_client_, csm):
    response = admin_client_.post(reverse(ADD), form([("call", "First", 3, "owner")]))
    assert response.status_code == 302
    playbook = Playbook.objects.get(name="Play")
    assert playbook.version == 1
    account = make_customer(owner=csm)
    run = services.start_campaign(playbook=playbook, account_ids=[account.pk], by=csm)[0]
    step = playbook.steps.get()
    data = form([], trigger="manual")
    data.update(
        {
            "steps-TOTAL_FORMS": "1",
            "steps-INITIAL_FORMS": "1",
            "steps-0-id": str(step.pk),
            "steps-0-playbook": str(playbook.pk),
            "steps-0-position": "0",
            "steps-0-kind": "meeting",
            "steps-0-title": "Changed",
            "steps-0-offset_days": "5",
            "steps-0-assignee": "owner",
        }
    )
    url = reverse("admin:retention_playbook_change", args=[playbook.pk])
    assert admin_client_.post(url, data).status_code == 302
    playbook.refresh_from_db()
    assert playbook.version == 2
    run = PlaybookRun.objects.get(pk=run.pk)
    assert run.version.version == 1
    assert run.version.steps[0]["title"] == "First"


def test_the_editor_asks_which_survey_a_survey_step_sends(admin_client_, csm):
    AccountFactory(owner=csm)
    data = form([("survey", "Ask", 3, "owner")])
    response = admin_client_.post(reverse(ADD), data)
    assert "A survey step sends NPS or CSAT: choose which." in response.content.decode()
    assert not Playbook.objects.filter(name="Play").exists()
    data["steps-0-survey_kind"] = "csat"
    assert admin_client_.post(reverse(ADD), data).status_code == 302
    assert Playbook.objects.get(name="Play").steps.get().survey_kind == "csat"


def test_a_survey_kind_left_on_another_kind_of_step_is_dropped(admin_client_, csm):
    data = form([("call", "Call", 3, "owner")])
    data["steps-0-survey_kind"] = "nps"
    assert admin_client_.post(reverse(ADD), data).status_code == 302
    assert Playbook.objects.get(name="Play").steps.get().survey_kind == ""


def test_the_change_page_previews_the_tasks_for_an_example_account(admin_client_, csm):
    make_customer(owner=csm, name="Example AG")
    playbook = Playbook.objects.get(name="Re-engagement")
    response = admin_client_.get(reverse("admin:retention_playbook_change", args=[playbook.pk]))
    page = response.content.decode()
    assert "Example AG" in page
    assert "Re-engagement call" in page


def test_run_and_version_lists_render(admin_client_):
    for name in ("playbookrun", "playbookversion", "playbook"):
        assert admin_client_.get(reverse(f"admin:retention_{name}_changelist")).status_code == 200
