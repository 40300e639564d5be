"""Starting runs (retention.playbooks.services): the rules every start goes through."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from interactions.models import FollowUp
from retention.models import Playbook, PlaybookRun, PlaybookStep, RunStep, Trigger
from retention.playbooks import services

from ...factories import AccountFactory, SegmentFactory, make_customer


def make_playbook(name="Play", trigger=Trigger.MANUAL, steps=(("call", "Call", 3),), **fields):
    playbook = Playbook.objects.create(name=name, trigger=trigger, **fields)
    for position, (kind, title, offset, *assignee) in enumerate(steps):
        PlaybookStep.objects.create(
            playbook=playbook,
            position=position,
            kind=kind,
            title=title,
            offset_days=offset,
            assignee=assignee[0] if assignee else "owner",
        )
    services.save_version(playbook=playbook)
    return playbook


@pytest.fixture
def today(db):
    return timezone.localdate()


@pytest.fixture
def customer(csm, today):
    return make_customer(since=today - dt.timedelta(days=400), owner=csm)


def test_start_run_makes_tasks_due_on_trigger_day_plus_offset(customer, csm, today):
    playbook = make_playbook(steps=[("meeting", "Kickoff", 7), ("task", "Plan", 14)])
    run = services.start_run(account=customer, playbook=playbook, occurrence="x", day=today)
    tasks = list(FollowUp.objects.filter(playbook_step__run=run).order_by("due_on"))
    assert [(t.title, t.due_on, t.owner) for t in tasks] == [
        ("Kickoff", today + dt.timedelta(days=7), csm),
        ("Plan", today + dt.timedelta(days=14), csm),
    ]
    assert run.version.version == 1


def test_same_occurrence_starts_one_run(customer, today):
    playbook = make_playbook()
    first = services.start_run(account=customer, playbook=playbook, occurrence="x", day=today)
    again = services.start_run(account=customer, playbook=playbook, occurrence="x", day=today)
    assert first is not None and again is None
    assert PlaybookRun.objects.count() == 1
    assert FollowUp.objects.filter(playbook_step__isnull=False).count() == 1


def test_no_second_run_while_one_is_open(customer, today):
    playbook = make_playbook()
    services.start_run(account=customer, playbook=playbook, occurrence="a", day=today)
    assert (
        services.start_run(account=customer, playbook=playbook, occurrence="b", day=today) is None
    )


def test_never_for_a_non_customer_nor_outside_the_segment(csm, today):
    playbook = make_playbook(segment=SegmentFactory(name="Enterprise"))
    prospect = AccountFactory(owner=csm, segment=playbook.segment)
    smb = make_customer(owner=csm, segment=SegmentFactory(name="SMB"))
    for account in (prospect, smb):
        assert (
            services.start_run(account=account, playbook=playbook, occurrence="x", day=today)
            is None
        )
    assert not PlaybookRun.objects.exists()


def test_handover_play_starts_for_a_non_customer(csm, today):
    playbook = make_playbook(trigger=Trigger.TRANSFER)
    prospect = AccountFactory(owner=csm)
    assert services.start_run(account=prospect, playbook=playbook, occurrence="t", day=today)


def test_step_for_the_lead_goes_to_the_team_lead(customer, team_lead, today):
    playbook = make_playbook(steps=[("call", "Lead call", 1, "lead")])
    run = services.start_run(account=customer, playbook=playbook, occurrence="x", day=today)
    assert run.steps.get().follow_up.owner == team_lead


def test_run_keeps_its_version_after_an_edit(customer, today):
    playbook = make_playbook(steps=[("call", "Old title", 3)])
    run = services.start_run(account=customer, playbook=playbook, occurrence="x", day=today)
    step = playbook.steps.get()
    step.title, step.offset_days = "New title", 9
    step.save()
    services.save_version(playbook=playbook)
    playbook.refresh_from_db()
    run.refresh_from_db()
    assert playbook.version == 2
    assert run.version.version == 1
    assert run.version.steps[0]["title"] == "Old title"
    assert run.steps.get().follow_up.title == "Old title"


def test_saving_an_unchanged_playbook_keeps_its_version(today):
    playbook = make_playbook()
    services.save_version(playbook=playbook)
    assert playbook.versions.count() == 1


def test_run_completes_when_every_step_is_done_or_skipped(customer, today):
    playbook = make_playbook(steps=[("task", "A", 1), ("task", "B", 2)])
    run = services.start_run(account=customer, playbook=playbook, occurrence="x", day=today)
    first, second = run.steps.order_by("position")
    services.complete_step(step=first)
    run.refresh_from_db()
    assert run.status == PlaybookRun.Status.OPEN
    with pytest.raises(ValidationError):
        services.skip_step(step=second, reason="  ")
    services.skip_step(step=second, reason="Customer declined")
    run.refresh_from_db()
    assert run.status == PlaybookRun.Status.COMPLETE
    assert RunStep.objects.get(pk=second.pk).status == "skipped"


def test_cancel_closes_the_open_tasks(customer, today):
    playbook = make_playbook()
    run = services.start_run(account=customer, playbook=playbook, occurrence="x", day=today)
    services.cancel_run(run=run, comment="Customer churned")
    assert not FollowUp.objects.filter(playbook_step__run=run, done_at__isnull=True).exists()


def test_campaign_twice_on_a_day_starts_each_account_once(csm, today):
    playbook = make_playbook(name="Re-engage", trigger=Trigger.MANUAL)
    accounts = [make_customer(owner=csm) for _ in range(3)]
    ids = [a.pk for a in accounts]
    assert len(services.start_campaign(playbook=playbook, account_ids=ids, by=csm)) == 3
    assert services.start_campaign(playbook=playbook, account_ids=ids, by=csm) == []
    assert PlaybookRun.objects.filter(playbook=playbook).count() == 3


def test_campaign_with_a_fixed_number_of_queries(csm, today, django_assert_max_num_queries):
    playbook = make_playbook(trigger=Trigger.MANUAL, steps=[("call", "A", 1), ("task", "B", 2)])
    ids = [make_customer(owner=csm).pk for _ in range(12)]
    with django_assert_max_num_queries(12):
        services.start_campaign(playbook=playbook, account_ids=ids, by=csm)
    assert RunStep.objects.filter(run__playbook=playbook).count() == 24


@pytest.mark.parametrize(
    ("fields", "steps", "expected"),
    [
        ({"trigger": Trigger.MANUAL}, [], "at least one step"),
        ({"trigger": Trigger.MANUAL}, [{"offset_days": -1}], "negative offset"),
        ({"trigger": Trigger.RENEWAL_AHEAD}, [{"offset_days": 1}], "how many days ahead"),
        ({"trigger": Trigger.NO_CONTACT}, [{"offset_days": 1}], "without a meeting"),
    ],
)
def test_playbook_errors(db, fields, steps, expected):
    errors = services.playbook_errors(
        trigger_days=None, cadence_multiple=None, segment=None, steps=steps, **fields
    )
    assert any(expected in e for e in errors)


def test_step_for_a_lead_refused_where_a_team_has_none(csm):
    AccountFactory(owner=csm)
    errors = services.playbook_errors(
        trigger=Trigger.MANUAL,
        trigger_days=None,
        cadence_multiple=None,
        segment=None,
        steps=[{"offset_days": 1, "assignee": "lead"}],
    )
    assert any("Team A" in e for e in errors)


def test_starting_one_run_as_an_event_does_takes_seven_queries(
    customer, today, django_assert_num_queries
):
    """The version, the eligible accounts (marking the ones that may have run the occurrence
    before), the savepoint, the run, its tasks and steps: no separate look-up of the
    occurrences already run when none may have."""
    handover = Playbook.objects.get(trigger=Trigger.TRANSFER)
    with django_assert_num_queries(7):
        runs = services.start_runs(
            playbook=handover, starts=[services.Start(customer.pk, "transfer:1", today)]
        )
    assert len(runs) == 1


def test_another_accounts_occurrence_does_not_stop_a_start(csm, today, customer):
    """The first query marks an account that ran any of the call's occurrences; the second
    asks which it ran exactly, so a closed run of another occurrence does not count."""
    other = make_customer(since=today - dt.timedelta(days=400), owner=csm)
    playbook = make_playbook()
    ran = services.start_run(account=customer, playbook=playbook, occurrence="b", day=today)
    ran.status = PlaybookRun.Status.COMPLETE
    ran.save(update_fields=["status"])
    runs = services.start_runs(
        playbook=playbook,
        starts=[services.Start(customer.pk, "a", today), services.Start(other.pk, "b", today)],
    )
    assert sorted((r.account_id, r.occurrence) for r in runs) == [
        (customer.pk, "a"),
        (other.pk, "b"),
    ]
    # And the occurrence it did run does not start again once its run is closed.
    assert (
        services.start_runs(playbook=playbook, starts=[services.Start(customer.pk, "b", today)])
        == []
    )
