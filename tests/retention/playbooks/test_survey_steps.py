"""A playbook's survey step (retention.playbooks.surveys): it names its survey, the version and
the run keep it, and on its day the run asks the account's decision makers and champions
through the surveys' own service and rules, records what that did and is done."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from interactions.models import SurveySend
from interactions.surveys import services as survey_services
from retention.models import Playbook, PlaybookRun, PlaybookStep, RunStep
from retention.playbooks import services, triggers
from retention.playbooks.surveys import GRACE_DAYS

from ...factories import ContactFactory, make_customer

LINK = re.compile(r"http://testserver(/s/[^/\s]+/)")


@pytest.fixture(autouse=True)
def _mail(settings, monkeypatch):
    settings.SITE_URL = "http://testserver"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # The worker's delivery where the sends are queued, as a Celery worker would after commit.
    monkeypatch.setattr(survey_services, "deliver_later", survey_services.deliver_here)


@pytest.fixture
def today(db):
    return timezone.localdate()


def survey_play(kind="nps", offset=10, name="Ask", call_after=5):
    playbook = Playbook.objects.create(name=name, trigger="manual")
    PlaybookStep.objects.create(
        playbook=playbook,
        position=0,
        kind="survey",
        survey_kind=kind,
        title="Survey",
        offset_days=offset,
    )
    PlaybookStep.objects.create(
        playbook=playbook, position=1, kind="call", title="Call", offset_days=offset + call_after
    )
    services.save_version(playbook=playbook)
    return playbook


def survey_step(run) -> RunStep:
    return run.steps.select_related("follow_up").get(kind="survey")


def test_the_survey_kind_is_frozen_in_the_version_and_copied_to_the_run(csm, today):
    playbook = survey_play("csat")
    assert playbook.versions.get().steps[0] == {
        "kind": "survey",
        "title": "Survey",
        "offset_days": 10,
        "assignee": "owner",
        "survey_kind": "csat",
    }
    assert "survey_kind" not in playbook.versions.get().steps[1]  # a call names no survey
    run = services.start_campaign(
        playbook=playbook, account_ids=[make_customer(owner=csm).pk], by=csm
    )[0]
    PlaybookStep.objects.filter(playbook=playbook, kind="survey").update(survey_kind="nps")
    assert services.save_version(playbook=playbook).version == 2  # a new version…
    assert survey_step(run).survey_kind == "csat"  # …and the run keeps its own


def test_the_shipped_onboarding_asks_csat_on_day_60(db):
    onboarding = Playbook.objects.get(name="Onboarding")
    step = onboarding.steps.get(kind="survey")
    assert (step.survey_kind, step.offset_days) == ("csat", 60)
    (frozen,) = [s for s in onboarding.versions.latest("version").steps if s["kind"] == "survey"]
    assert frozen["survey_kind"] == "csat"


def test_on_its_day_the_run_asks_decision_makers_and_champions_by_the_survey_rules(
    client, csm, today
):
    account = make_customer(owner=csm)
    boss = ContactFactory(account=account, is_decision_maker=True, language="de")
    fan = ContactFactory(account=account, is_champion=True)
    ContactFactory(account=account)  # neither: not asked
    ContactFactory(account=account, is_champion=True, email="")  # no email
    ContactFactory(account=account, is_decision_maker=True, left_on=today)  # left
    ContactFactory(account=account, is_champion=True, surveys_unsubscribed_at=timezone.now())
    asked = ContactFactory(account=account, is_decision_maker=True)
    survey_services.send_surveys(account=account, contacts=[asked], kind="csat")  # 90 days
    mail.outbox.clear()
    run = services.start_campaign(playbook=survey_play("nps"), account_ids=[account.pk], by=csm)[0]
    step = survey_step(run)

    assert triggers.run_playbooks(today=today)["surveys"] == 0  # not its day yet
    assert not SurveySend.objects.filter(kind="nps").exists()
    result = triggers.run_playbooks(today=step.follow_up.due_on)
    assert result["surveys"] == 1

    sends = SurveySend.objects.filter(kind="nps")
    assert {(s.contact, s.sender) for s in sends} == {(boss, csm), (fan, csm)}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([boss.email, fan.email])
    step.refresh_from_db()
    step.follow_up.refresh_from_db()
    assert step.follow_up.done_at is not None and step.skipped_at is None
    # Nobody left: a champion left the company is not preselected, so not counted as skipped.
    assert step.outcome == {
        "queued": 2,
        "skipped": {"no_email": 1, "unsubscribed": 1, "asked_recently": 1},
        "nobody": 0,
    }
    client.force_login(csm)
    panel = client.get(reverse("retention:account_plays", args=[account.pk])).content.decode()
    assert "Survey: Survey sent to 2 contact(s). Skipped 3:" in panel
    task = client.get(f"/api/v1/tasks/{step.pk}/").json()
    assert (task["status"], task["survey_kind"], task["outcome"]["queued"]) == ("done", "nps", 2)
    assert task["note"].startswith("Survey sent to 2 contact(s).")

    assert triggers.run_playbooks(today=step.follow_up.due_on)["surveys"] == 0  # rerun
    assert SurveySend.objects.filter(kind="nps").count() == 2


def test_when_nobody_can_be_asked_the_step_is_done_and_says_why(client, csm, today):
    quiet = make_customer(owner=csm)  # no decision maker or champion at all
    ContactFactory(account=quiet)
    recent = make_customer(owner=csm)
    contact = ContactFactory(account=recent, is_decision_maker=True)
    survey_services.send_surveys(account=recent, contacts=[contact], kind="nps")
    playbook = survey_play("nps", offset=0, name="Ask now")
    runs = services.start_campaign(playbook=playbook, account_ids=[quiet.pk, recent.pk], by=csm)
    assert len(runs) == 2
    notes = {}
    for run in runs:
        step = survey_step(run)
        assert step.follow_up.done_at is not None  # sent at the start: its day is today
        notes[run.account_id] = step.outcome
    assert notes == {
        quiet.pk: {"queued": 0, "skipped": {}, "nobody": 1},
        recent.pk: {"queued": 0, "skipped": {"asked_recently": 1}, "nobody": 0},
    }
    client.force_login(csm)
    panel = client.get(reverse("retention:account_plays", args=[quiet.pk])).content.decode()
    assert (
        "Survey sent to 0 contact(s). 1 account has no decision maker or champion to ask." in panel
    )
    run = PlaybookRun.objects.get(account=quiet)
    assert run.status == PlaybookRun.Status.OPEN  # the call is still to do


def test_the_last_step_sent_completes_the_run(csm, today):
    account = make_customer(owner=csm)
    ContactFactory(account=account, is_decision_maker=True)
    playbook = Playbook.objects.create(name="Only ask", trigger="manual")
    PlaybookStep.objects.create(
        playbook=playbook, position=0, kind="survey", survey_kind="csat", title="Ask", offset_days=0
    )
    run = services.start_campaign(playbook=playbook, account_ids=[account.pk], by=csm)[0]
    run.refresh_from_db()
    assert run.status == PlaybookRun.Status.COMPLETE
    assert SurveySend.objects.get().kind == "csat"


def test_a_step_missed_by_more_than_the_grace_days_stays_a_task(csm, today):
    account = make_customer(owner=csm)
    ContactFactory(account=account, is_decision_maker=True)
    playbook = survey_play("nps", offset=10, call_after=30)
    run = services.start_runs(
        playbook=playbook,
        starts=[services.Start(account.pk, "late", today - dt.timedelta(days=11 + GRACE_DAYS))],
    )[0]
    assert triggers.run_playbooks(today=today)["surveys"] == 0
    step = survey_step(run)
    assert step.follow_up.done_at is None and not step.outcome
    assert not SurveySend.objects.exists()


def test_an_answer_to_the_steps_survey_from_a_detractor_starts_the_recovery_play(
    client, csm, today
):
    account = make_customer(owner=csm)
    boss = ContactFactory(account=account, is_decision_maker=True)
    services.start_campaign(playbook=survey_play("nps", offset=0), account_ids=[account.pk], by=csm)
    (message,) = mail.outbox
    assert message.to == [boss.email]
    assert client.post(LINK.search(message.body).group(1), {"score": "3"}).status_code == 200
    run = PlaybookRun.objects.get(account=account, playbook__name="Detractor recovery")
    assert run.steps.count() == 3


# --- the API ---


def test_the_api_lists_the_steps_survey(client, csm):
    playbook = survey_play("csat")
    client.force_login(csm)
    steps = client.get(f"/api/v1/playbooks/{playbook.pk}/").json()["steps"]
    assert [(s["kind"], s["survey_kind"]) for s in steps] == [("survey", "csat"), ("call", "")]
