"""What starts a run (retention.playbooks.triggers): each trigger starts exactly one run, a
rerun starts nothing, two overlapping evaluations start one."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from crm import events
from customers import services as customer_services
from interactions import services as interaction_services
from interactions.models import Interaction
from retention.health import scoring
from retention.models import Playbook, PlaybookRun, Trigger
from retention.playbooks import triggers

from ...factories import (
    AccountFactory,
    ContractFactory,
    RiskFlagFactory,
    SegmentFactory,
    make_customer,
)
from .test_services import make_playbook


@pytest.fixture
def today(db):
    return timezone.localdate()


def runs_of(name: str):
    return PlaybookRun.objects.filter(playbook__name=name)


def test_a_new_customer_starts_onboarding_once(csm, today):
    account = AccountFactory(owner=csm)
    customer_services.create_contract(
        account=account, reference="C-1", start_date=today, monthly_value=Decimal("100")
    )
    customer_services.refresh_ledger(account_ids=[account.pk])
    run = runs_of("Onboarding").get(account=account)
    assert run.trigger_day == today
    assert [s.follow_up.due_on - today for s in run.steps.order_by("position")] == [
        dt.timedelta(days=d) for d in (7, 14, 30, 45, 60, 90)
    ]


def test_a_span_of_long_ago_starts_nothing(csm):
    make_customer(owner=csm, since=dt.date(2020, 1, 1))
    assert not runs_of("Onboarding").exists()


def test_a_raised_flag_starts_its_play_once(csm, today):
    make_playbook(name="Red", trigger=Trigger.FLAG_RAISED, flag_reason="entered_red")
    account = make_customer(owner=csm)
    flag = RiskFlagFactory(account=account, raised_on=today)
    events.publish(events.FlagRaised(flag.pk))
    events.publish(events.FlagRaised(flag.pk))
    other = RiskFlagFactory(account=make_customer(owner=csm), reason="score_drop")
    events.publish(events.FlagRaised(other.pk))
    assert list(runs_of("Red").values_list("account_id", flat=True)) == [account.pk]


def test_a_transfer_starts_the_handover_play_for_the_new_owner(csm, teammate, team_lead):
    account = AccountFactory(owner=csm)  # not a customer: the handover play starts anyway
    customer_services.transfer_ownership(
        account=account, to_owner=teammate, by=team_lead, reason="Leaving"
    )
    run = runs_of("New-owner handover").get(account=account)
    assert {s.follow_up.owner for s in run.steps.all()} == {teammate}
    assert runs_of("New-owner handover").count() == 1


def test_a_detractor_answer_starts_recovery_once(csm, today):
    account = make_customer(owner=csm)
    interaction_services.record_feedback(account=account, kind="nps", score=9, received_on=today)
    assert not runs_of("Detractor recovery").exists()
    interaction_services.record_feedback(account=account, kind="nps", score=2, received_on=today)
    interaction_services.record_feedback(account=account, kind="nps", score=1, received_on=today)
    assert runs_of("Detractor recovery").count() == 1  # the second waits for the open run


def test_an_answer_corrected_into_a_detractor_starts_recovery(csm, today):
    account = make_customer(owner=csm)
    answer = interaction_services.record_feedback(
        account=account, kind="nps", score=8, received_on=today
    )
    assert not runs_of("Detractor recovery").exists()
    interaction_services.update_feedback(feedback=answer, kind="nps", score=2, received_on=today)
    assert runs_of("Detractor recovery").count() == 1


def test_renewal_ahead_starts_once_and_a_rerun_changes_nothing(csm, today):
    account = make_customer(owner=csm, since=today - dt.timedelta(days=300))
    ContractFactory(
        account=account,
        start_date=today - dt.timedelta(days=300),
        end_date=today + dt.timedelta(days=60),
    )
    customer_services.refresh_ledger(account_ids=[account.pk])
    far = make_customer(owner=csm, end_date=today + dt.timedelta(days=200))
    assert triggers.run_playbooks(today=today)["started"] >= 1
    assert list(runs_of("Renewal preparation").values_list("account_id", flat=True)) == [account.pk]
    assert triggers.run_playbooks(today=today)["started"] == 0
    assert not runs_of("Renewal preparation").filter(account=far).exists()


def test_no_contact_for_twice_the_cadence_starts_re_engagement(csm, today):
    segment = SegmentFactory(name="SMB")
    segment.expected_cadence_days = 30
    segment.save()
    absent = make_customer(owner=csm, segment=segment)
    recent = make_customer(owner=csm, segment=segment)
    for account, days in ((absent, 61), (recent, 40)):
        account.last_meeting_or_call_at = timezone.now() - dt.timedelta(days=days)
        account.save(update_fields=["last_meeting_or_call_at"])
    call_command("run_playbooks", "--date", today.isoformat())
    call_command("run_playbooks", "--date", today.isoformat())
    assert list(runs_of("Re-engagement").values_list("account_id", flat=True)) == [absent.pk]


def test_two_overlapping_evaluations_start_one_run(csm, today):
    make_customer(owner=csm, end_date=today + dt.timedelta(days=30))
    token = scoring.acquire_scoring_lock(name=triggers.LOCK_NAME)
    with pytest.raises(triggers.PlaybooksLocked):
        triggers.run_playbooks(today=today)
    assert not PlaybookRun.objects.exists()
    scoring.release_scoring_lock(token=token, name=triggers.LOCK_NAME)
    # the scoring run's own lock is another lease
    assert scoring.acquire_scoring_lock() is not None
    triggers.run_playbooks(today=today)
    assert runs_of("Renewal preparation").count() == 1


def test_an_interrupted_chunk_is_evaluated_again(csm, today):
    make_customer(owner=csm, end_date=today + dt.timedelta(days=30))
    make_customer(owner=csm, end_date=today + dt.timedelta(days=30))
    playbooks = list(Playbook.objects.filter(trigger=Trigger.RENEWAL_AHEAD))
    ranges = scoring.chunk_ranges(day=today, chunk_size=1)
    triggers.evaluate_chunk(
        start_id=ranges[0][0], end_id=ranges[0][1], day=today, playbooks=playbooks
    )
    assert runs_of("Renewal preparation").count() == 1
    triggers.run_playbooks(today=today, chunk_size=1)
    assert runs_of("Renewal preparation").count() == 2


def test_logging_a_call_completes_the_call_step(csm, today):
    playbook = make_playbook(name="Call play", steps=[("call", "Call them", 3), ("task", "T", 4)])
    account = make_customer(owner=csm)
    run = triggers.start_runs(playbook=playbook, starts=[triggers.Start(account.pk, "x", today)])[0]
    interaction_services.log_interaction(
        account=account, author=csm, kind=Interaction.Kind.EMAIL, summary="Mail"
    )
    assert run.steps.get(position=0).status == "open"
    interaction_services.log_interaction(
        account=account, author=csm, kind=Interaction.Kind.CALL, summary="Called"
    )
    assert run.steps.get(position=0).status == "done"
    assert run.steps.get(position=1).status == "open"
