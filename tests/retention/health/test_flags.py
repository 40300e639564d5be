"""Risk flags: raised once, kept current, resolved by themselves or by a person with a comment,
snoozed until a day, and emailed to their owner once."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.models import Contract
from retention.health.facts import day_start
from retention.health.flags import (
    acknowledge_flag,
    flag_conditions,
    resolve_flag,
    snooze_flag,
)
from retention.health.measures import Facts, Health
from retention.health.scoring import score_accounts
from retention.health.wording import word
from retention.models import COMMENT_MAX_LENGTH, RiskFlag, RiskFlagEvent, ScoringConfiguration
from tests.factories import (
    ContactFactory,
    HealthScoreFactory,
    OwnershipTransferFactory,
    RiskFlagFactory,
    SentimentReadingFactory,
    make_customer,
)

Reason, Status = RiskFlag.Reason, RiskFlag.Status
CONFIG = ScoringConfiguration()


def today() -> dt.date:
    return timezone.localdate()


def later(days: int) -> dt.date:
    return today() + dt.timedelta(days=days)


def ago(days: int) -> dt.datetime:
    return day_start(today() - dt.timedelta(days=days)) + dt.timedelta(hours=12)


def make_red(account):
    """Not met for 200 days and the CSM reads red: score 36."""
    account.last_meeting_or_call_at = ago(200)
    account.save()
    SentimentReadingFactory(account=account, sentiment="red", recorded_at=timezone.now())


def make_green(account):
    account.last_meeting_or_call_at = ago(1)
    account.save()
    SentimentReadingFactory(account=account, sentiment="green", recorded_at=timezone.now())


def make_yellow(account):
    """Met 45 days ago (cadence 30) and the CSM reads amber: score 74."""
    account.last_meeting_or_call_at = ago(45)
    account.save()
    SentimentReadingFactory(account=account, sentiment="amber", recorded_at=timezone.now())


@pytest.fixture
def account(csm):
    return make_customer(owner=csm)


def flags_of(account, reason=Reason.ENTERED_RED):
    return list(RiskFlag.objects.filter(account=account, reason=reason).order_by("pk"))


# --- raised, kept, resolved by the nightly run ---------------------------------------------


def test_an_account_in_red_gets_one_flag_that_says_why(account):
    make_red(account)
    score_accounts()
    (flag,) = flags_of(account)
    assert flag.status == Status.OPEN
    assert flag.measured_value == 36
    assert flag.threshold == 51
    assert flag.explanation_message == {
        "id": "entered_red",
        "score": 36,
        "yellow": 51,
        "reasons": [
            {"impact": -36, "message": {"id": "no_meeting", "days": 200, "cadence": 30}},
            {"impact": -29, "message": {"id": "sentiment_read", "sentiment": "red", "days": 0}},
        ],
    }
    assert flag.explanation == ""  # the text is worded when read, not stored
    assert flag.raised_on == today()
    (event,) = flag.events.all()
    assert (event.from_status, event.to_status, event.by) == ("", Status.OPEN, None)
    assert event.message == flag.explanation_message


def test_running_again_raises_no_second_flag_and_writes_no_event(account):
    make_red(account)
    score_accounts()
    score_accounts()
    score_accounts(today=later(1))
    assert len(flags_of(account)) == 1
    assert RiskFlagEvent.objects.count() == 1
    assert flags_of(account)[0].last_seen_on == later(1)


def test_a_flag_resolves_itself_when_its_condition_no_longer_holds(account):
    make_red(account)
    score_accounts()
    make_green(account)
    score_accounts(today=later(1))
    (flag,) = flags_of(account)
    assert flag.status == Status.RESOLVED
    assert flag.auto_resolved
    assert flag.resolved_by is None
    last = flag.events.last()
    assert (last.from_status, last.to_status, last.by) == (Status.OPEN, Status.RESOLVED, None)
    assert last.message == {
        "id": "resolved_itself",
        "state": {"id": "band_state", "band": "green", "score": 100},
    }
    assert flag.resolved_message == last.message
    assert flag.resolved_comment == ""


def test_flags_of_an_account_that_stopped_being_a_customer_resolve_themselves(account):
    make_red(account)
    score_accounts()
    Contract.objects.filter(account=account).update(end_date=today())
    from customers.services import refresh_ledger

    refresh_ledger(account_ids=[account.pk])
    score_accounts(today=later(1))
    (flag,) = flags_of(account)
    assert flag.status == Status.RESOLVED
    assert flag.resolved_message == {"id": "resolved_itself", "state": {"id": "no_longer_customer"}}


def test_the_same_reason_is_raised_again_after_it_resolved_itself(account):
    make_red(account)
    score_accounts()
    make_green(account)
    score_accounts(today=later(1))
    make_red(account)
    score_accounts(today=later(2))
    assert [f.status for f in flags_of(account)] == [Status.RESOLVED, Status.OPEN]


def test_a_flag_raised_before_messages_were_stored_gets_one_from_the_next_run(account):
    make_red(account)
    old = RiskFlagFactory(account=account, explanation="score 36 is red (below 51): -36: …")
    score_accounts()
    (flag,) = flags_of(account)
    assert flag.pk == old.pk
    assert (flag.explanation_message["id"], flag.explanation) == ("entered_red", "")
    assert flag.why == flag.explanation_message


def test_an_acknowledged_flag_stays_acknowledged_while_its_condition_holds(account, csm):
    make_red(account)
    score_accounts()
    acknowledge_flag(flag=flags_of(account)[0], by=csm, comment="Calling them tomorrow")
    score_accounts(today=later(1))
    (flag,) = flags_of(account)
    assert flag.status == Status.ACKNOWLEDGED
    assert flag.acknowledged_by == csm
    make_green(account)
    score_accounts(today=later(2))
    assert flags_of(account)[0].status == Status.RESOLVED


def test_a_score_drop_of_15_points_within_30_days_is_flagged(account):
    make_yellow(account)  # 74
    HealthScoreFactory(account=account, scored_on=today() - dt.timedelta(days=30), score=89)
    score_accounts()
    (flag,) = flags_of(account, Reason.SCORE_DROP)
    assert flag.measured_value == 15
    assert flag.threshold == 15
    assert flag.explanation_message == {
        "id": "score_drop",
        "drop": 15,
        "days": 30,
        "peak": 89,
        "now": 74,
    }


def test_a_drop_of_14_points_or_one_older_than_30_days_is_not(csm):
    near, old = make_customer(owner=csm), make_customer(owner=csm)
    for account in (near, old):
        make_yellow(account)
    HealthScoreFactory(account=near, scored_on=today() - dt.timedelta(days=5), score=88)
    HealthScoreFactory(account=old, scored_on=today() - dt.timedelta(days=31), score=95)
    score_accounts()
    assert not RiskFlag.objects.filter(reason=Reason.SCORE_DROP).exists()


def test_a_champion_who_left_without_a_successor_is_flagged(account):
    make_green(account)
    ContactFactory(account=account, is_champion=True, left_on=today() - dt.timedelta(days=4))
    score_accounts()
    (flag,) = flags_of(account, Reason.CHAMPION_LEFT)
    assert flag.measured_value == 4
    ContactFactory(account=account, is_champion=True)
    score_accounts(today=later(1))
    assert flags_of(account, Reason.CHAMPION_LEFT)[0].status == Status.RESOLVED


def test_a_renewal_within_90_days_is_flagged_unless_the_account_is_green(csm):
    yellow = make_customer(owner=csm, since=dt.date(2024, 1, 1), end_date=later(30))
    green = make_customer(owner=csm, since=dt.date(2024, 1, 1), end_date=later(30))
    make_yellow(yellow)
    make_green(green)
    score_accounts()
    (flag,) = flags_of(yellow, Reason.RENEWAL_AT_RISK)
    assert flag.measured_value == 30
    assert flag.explanation_message == {
        "id": "renewal_at_risk",
        "day": later(30).isoformat(),
        "days": 30,
        "state": {"id": "band_state", "band": "yellow", "score": 69},
    }
    assert not flags_of(green, Reason.RENEWAL_AT_RISK)


def test_an_owner_change_within_60_days_is_flagged_unless_green(csm, teammate):
    yellow, green = make_customer(owner=teammate), make_customer(owner=teammate)
    make_yellow(yellow)
    make_green(green)
    for account in (yellow, green):
        OwnershipTransferFactory(
            account=account, from_owner=csm, to_owner=teammate, transferred_at=ago(10)
        )
    score_accounts()
    (flag,) = flags_of(yellow, Reason.OWNER_CHANGED)
    assert flag.measured_value == 10
    assert not flags_of(green, Reason.OWNER_CHANGED)


def test_the_database_refuses_a_second_unresolved_flag_for_one_reason(account):
    RiskFlagFactory(account=account, status=Status.RESOLVED, resolved_at=timezone.now())
    RiskFlagFactory(account=account)
    with pytest.raises(IntegrityError), transaction.atomic():
        RiskFlagFactory(account=account, status=Status.ACKNOWLEDGED)


def test_flag_conditions_say_nothing_for_a_green_account():
    facts = Facts(account_id=1, renewal_on=later(10), last_transfer_on=today())
    health = Health(score=90, band="green", measures={})
    assert flag_conditions(facts=facts, health=health, day=today(), config=CONFIG) == {}


# --- what people do -------------------------------------------------------------------------


def test_resolving_needs_a_comment(account, csm):
    flag = RiskFlagFactory(account=account)
    with pytest.raises(ValidationError) as exc:
        resolve_flag(flag=flag, by=csm, comment="  ")
    assert "comment" in exc.value.message_dict
    flag.refresh_from_db()
    assert flag.status == Status.OPEN
    assert not flag.events.exists()


def test_a_person_resolves_a_flag_with_a_comment_in_its_history(account, team_lead):
    flag = resolve_flag(flag=RiskFlagFactory(account=account), by=team_lead, comment="Renewed")
    assert (flag.status, flag.resolved_by, flag.auto_resolved) == (
        Status.RESOLVED,
        team_lead,
        False,
    )
    (event,) = flag.events.all()
    assert (event.by, event.to_status, event.comment) == (team_lead, Status.RESOLVED, "Renewed")


@pytest.mark.parametrize("action", ["acknowledge", "resolve", "snooze"])
def test_a_comment_is_at_most_4000_characters(account, csm, action):
    def act(text):
        flag = RiskFlagFactory(account=account)
        if action == "snooze":
            return snooze_flag(flag=flag, by=csm, until=later(3), reason=text)
        service = acknowledge_flag if action == "acknowledge" else resolve_flag
        return service(flag=flag, by=csm, comment=text)

    with pytest.raises(ValidationError) as exc:
        act("x" * (COMMENT_MAX_LENGTH + 1))
    (field,) = exc.value.message_dict
    assert "4001" in exc.value.message_dict[field][0]
    assert RiskFlag.objects.get().status == Status.OPEN
    RiskFlag.objects.all().delete()
    # the spaces around a comment do not count
    flag = act(f"  {'x' * COMMENT_MAX_LENGTH}  ")
    assert flag.status != Status.OPEN
    assert "x" * COMMENT_MAX_LENGTH in word(flag.events.get().note)


def test_acknowledging_needs_a_comment(account, csm):
    with pytest.raises(ValidationError):
        acknowledge_flag(flag=RiskFlagFactory(account=account), by=csm, comment="")


def test_a_resolved_flag_cannot_be_resolved_again(account, csm):
    flag = resolve_flag(flag=RiskFlagFactory(account=account), by=csm, comment="Done")
    with pytest.raises(ValidationError):
        resolve_flag(flag=flag, by=csm, comment="Again")


def test_someone_who_may_not_change_the_account_cannot_act_on_its_flags(account, other_csm):
    flag = RiskFlagFactory(account=account)
    with pytest.raises(PermissionDenied):
        resolve_flag(flag=flag, by=other_csm, comment="Not mine")
    with pytest.raises(PermissionDenied):
        snooze_flag(flag=flag, by=other_csm, until=later(5), reason="Not mine")


def test_a_flag_a_person_resolved_is_not_raised_again_while_its_condition_holds(account, csm):
    make_red(account)
    score_accounts()
    resolve_flag(flag=flags_of(account)[0], by=csm, comment="Known: they are on holiday")
    score_accounts()
    score_accounts(today=later(1))
    assert [f.status for f in flags_of(account)] == [Status.RESOLVED]
    make_green(account)
    score_accounts(today=later(2))
    make_red(account)
    score_accounts(today=later(3))
    assert [f.status for f in flags_of(account)] == [Status.RESOLVED, Status.OPEN]


@pytest.mark.parametrize("days", [-1, 0])
def test_snoozing_until_today_or_a_past_day_is_refused(account, csm, days):
    flag = RiskFlagFactory(account=account)
    with pytest.raises(ValidationError) as exc:
        snooze_flag(flag=flag, by=csm, until=later(days), reason="Waiting for budget")
    assert "until" in exc.value.message_dict
    flag.refresh_from_db()
    assert flag.status == Status.OPEN


def test_snoozing_needs_a_reason(account, csm):
    with pytest.raises(ValidationError) as exc:
        snooze_flag(flag=RiskFlagFactory(account=account), by=csm, until=later(3), reason="")
    assert "reason" in exc.value.message_dict


def test_a_snoozed_flag_opens_again_once_its_day_has_passed(account, csm):
    make_red(account)
    score_accounts()
    snooze_flag(flag=flags_of(account)[0], by=csm, until=later(2), reason="Budget in March")
    score_accounts(today=later(2))
    assert flags_of(account)[0].status == Status.SNOOZED
    score_accounts(today=later(3))
    (flag,) = flags_of(account)
    assert flag.status == Status.OPEN
    last = flag.events.last()
    assert (last.from_status, last.to_status) == (Status.SNOOZED, Status.OPEN)
    assert last.message == {"id": "snooze_ended", "day": later(2).isoformat()}


def test_a_snoozed_flag_whose_condition_cleared_resolves_itself(account, csm):
    make_red(account)
    score_accounts()
    snooze_flag(flag=flags_of(account)[0], by=csm, until=later(10), reason="Holiday")
    make_green(account)
    score_accounts(today=later(1))
    assert flags_of(account)[0].status == Status.RESOLVED


@pytest.mark.django_db
def test_a_raised_flag_is_announced_once(csm, listen):
    from crm import events

    raised = listen(events.FlagRaised)
    account = make_customer(owner=csm)
    SentimentReadingFactory(account=account, sentiment="red", recorded_at=timezone.now())
    account.last_meeting_or_call_at = day_start(today() - dt.timedelta(days=200))
    account.save()
    score_accounts()
    score_accounts()
    assert raised == [events.FlagRaised(RiskFlag.objects.get(account=account).pk)]
