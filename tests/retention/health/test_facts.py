"""The set-based facts each measure reads from the database (retention/health/facts.py): one
section per measure, as of a day, in a number of queries that does not grow with the accounts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import Contract
from customers.services import refresh_ledger
from interactions.models import Interaction, OpenProblem
from retention.health.facts import day_start, gather_facts
from retention.health.measures import feedback_category, health_for
from retention.health.scoring import active_configuration
from retention.models import ScoringConfiguration
from tests.factories import (
    ContactFactory,
    ContractFactory,
    FeedbackFactory,
    HealthScoreFactory,
    InteractionFactory,
    OpenProblemFactory,
    OwnershipTransferFactory,
    SegmentFactory,
    SentimentReadingFactory,
    UserFactory,
    make_customer,
)

CONFIG = ScoringConfiguration()  # the defaults of DESIGN.md, unsaved


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return day_start(day) + dt.timedelta(hours=hour)


def ago(days: int, hour: int = 12) -> dt.datetime:
    return at(timezone.localdate() - dt.timedelta(days=days), hour)


def _facts(account, day=None):
    day = day or timezone.localdate()
    return gather_facts(start_id=0, end_id=None, day=day, config=active_configuration()).get(
        account.pk
    )


@pytest.mark.django_db
def test_only_accounts_that_are_customers_on_the_day_are_scored():
    today = timezone.localdate()
    customer = make_customer(since=today - dt.timedelta(days=10))
    former = make_customer(since=dt.date(2024, 1, 1), end_date=today - dt.timedelta(days=1))
    future = make_customer(since=today + dt.timedelta(days=5))
    facts = gather_facts(start_id=0, end_id=None, day=today, config=active_configuration())
    assert customer.pk in facts
    assert former.pk not in facts
    assert future.pk not in facts
    assert facts[customer.pk].customer_since == today - dt.timedelta(days=10)


@pytest.mark.django_db
def test_chunks_take_only_their_id_range():
    a, b = make_customer(), make_customer()
    config = active_configuration()
    facts = gather_facts(start_id=a.pk, end_id=b.pk, day=timezone.localdate(), config=config)
    assert list(facts) == [a.pk]


@pytest.mark.django_db
def test_engagement_reads_the_cached_last_contact_today_and_history_in_the_past():
    segment = SegmentFactory(name="Enterprise", expected_cadence_days=14)
    account = make_customer(segment=segment)
    InteractionFactory(account=account, kind="call", occurred_at=ago(40))
    InteractionFactory(account=account, kind="email", occurred_at=ago(2))  # not a contact
    account.last_meeting_or_call_at = ago(3)  # as kept by log_interaction
    account.save()
    today = timezone.localdate()
    assert _facts(account).last_contact_on == today - dt.timedelta(days=3)
    assert _facts(account).cadence_days == 14
    past = today - dt.timedelta(days=20)
    assert _facts(account, past).last_contact_on == today - dt.timedelta(days=40)


@pytest.mark.django_db
def test_sentiment_takes_the_latest_of_reading_and_logged_interaction():
    account = make_customer()
    SentimentReadingFactory(account=account, sentiment="amber", recorded_at=ago(10))
    InteractionFactory(account=account, tone="negative", occurred_at=ago(4))
    facts = _facts(account)
    assert (facts.sentiment, facts.sentiment_source) == ("red", "interaction")
    SentimentReadingFactory(account=account, sentiment="green", recorded_at=ago(1))
    facts = _facts(account)
    assert (facts.sentiment, facts.sentiment_source) == ("green", "reading")


@pytest.mark.django_db
def test_sentiment_older_than_45_days_is_not_read():
    account = make_customer()
    SentimentReadingFactory(account=account, sentiment="red", recorded_at=ago(46))
    assert _facts(account).sentiment is None


@pytest.mark.django_db
def test_open_problems_count_severity_and_age_as_of_the_day():
    account = make_customer()
    OpenProblemFactory(account=account, severity="low", opened_at=ago(30, hour=1))
    OpenProblemFactory(account=account, severity="medium", opened_at=ago(2))
    OpenProblemFactory(
        account=account,
        severity="high",
        opened_at=ago(5),
        status=OpenProblem.Status.RESOLVED,
        resolved_at=ago(1),
    )
    facts = _facts(account)
    assert (facts.problems_open, facts.problems_high, facts.problems_old) == (2, 0, 0)
    assert health_for(facts, day=timezone.localdate(), config=CONFIG).measures["problems"][
        "rating"
    ] == ("average")
    OpenProblemFactory(account=account, severity="low", opened_at=ago(31, hour=23))
    assert _facts(account).problems_old == 1
    # Three days ago the resolved high-severity problem was still open.
    assert _facts(account, timezone.localdate() - dt.timedelta(days=3)).problems_high == 1


@pytest.mark.django_db
def test_relationship_reads_who_was_met_within_90_days_and_by_how_many_of_us():
    account = make_customer()
    champion = ContactFactory(account=account, is_champion=True)
    boss = ContactFactory(account=account, is_decision_maker=True)
    colleague = UserFactory()
    met = InteractionFactory(account=account, kind="meeting", occurred_at=ago(90, hour=1))
    met.contacts.set([champion])
    old = InteractionFactory(account=account, kind="meeting", occurred_at=ago(91))
    old.contacts.set([boss])
    InteractionFactory(account=account, kind="email", author=colleague, occurred_at=ago(5))
    facts = _facts(account)
    assert facts.has_contacts and facts.champion_named and facts.decision_maker_named
    assert facts.champion_met and not facts.decision_maker_met
    assert facts.colleagues == 2


@pytest.mark.django_db
def test_a_contact_met_only_by_email_is_not_met():
    account = make_customer()
    champion = ContactFactory(account=account, is_champion=True)
    mail = InteractionFactory(account=account, kind="email", occurred_at=ago(3))
    mail.contacts.set([champion])
    assert not _facts(account).champion_met


@pytest.mark.django_db
def test_a_champion_who_left_is_seen_and_no_longer_named():
    today = timezone.localdate()
    account = make_customer()
    ContactFactory(account=account, is_champion=True, left_on=today - dt.timedelta(days=10))
    facts = _facts(account)
    assert facts.champion_left_on == today - dt.timedelta(days=10)
    assert not facts.champion_named
    # Before they left, they were the champion.
    assert _facts(account, today - dt.timedelta(days=11)).champion_named


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "score", "category"),
    [
        ("nps", 9, "promoter"),
        ("nps", 8, "passive"),
        ("nps", 6, "detractor"),
        ("csat", 4, "passive"),
    ],
)
def test_the_latest_feedback_is_categorised_in_sql_like_in_python(kind, score, category):
    account = make_customer()
    today = timezone.localdate()
    FeedbackFactory(account=account, kind="nps", score=0, received_on=today - dt.timedelta(days=9))
    FeedbackFactory(account=account, kind=kind, score=score, received_on=today)
    facts = _facts(account)
    assert facts.feedback_category == category
    assert facts.feedback_category == feedback_category(kind=kind, score=score, config=CONFIG)


@pytest.mark.django_db
def test_feedback_older_than_180_days_is_not_read():
    account = make_customer()
    FeedbackFactory(account=account, received_on=timezone.localdate() - dt.timedelta(days=181))
    assert _facts(account).feedback_category is None


@pytest.mark.django_db
def test_commercial_reads_unconfirmed_renewals_notice_and_downgrades():
    today = timezone.localdate()
    due = make_customer(since=dt.date(2024, 1, 1), end_date=today + dt.timedelta(days=90))
    confirmed = make_customer(since=dt.date(2024, 1, 1), end_date=today + dt.timedelta(days=30))
    Contract.objects.filter(account=confirmed).update(renewal_confirmed=True)
    noticed = make_customer(since=dt.date(2024, 1, 1))
    Contract.objects.filter(account=noticed).update(notice_given_on=today - dt.timedelta(days=1))
    downgraded = make_customer(
        since=dt.date(2024, 1, 1),
        end_date=today - dt.timedelta(days=10),
        monthly_value=Decimal("2000"),
    )
    ContractFactory(
        account=downgraded,
        start_date=today - dt.timedelta(days=9),
        monthly_value=Decimal("1500"),
    )
    refresh_ledger(account_ids=[downgraded.pk])
    assert _facts(due).renewal_on == today + dt.timedelta(days=90)
    assert _facts(confirmed).renewal_on is None
    assert _facts(noticed).notice_on == today - dt.timedelta(days=1)
    down = _facts(downgraded)
    assert (down.mrr_now, down.mrr_then) == (Decimal("1500"), Decimal("2000"))


@pytest.mark.django_db
def test_a_scheduled_cancellation_is_notice_today_but_not_seen_by_a_past_day():
    today = timezone.localdate()
    account = make_customer(since=dt.date(2024, 1, 1))
    Contract.objects.filter(account=account).update(cancelled_on=today + dt.timedelta(days=20))
    assert _facts(account).cancelled_from == today + dt.timedelta(days=20)
    assert _facts(account, today - dt.timedelta(days=30)).cancelled_from is None


@pytest.mark.django_db
def test_transfers_within_the_watch_window_are_seen():
    today = timezone.localdate()
    account = make_customer()
    OwnershipTransferFactory(account=account, transferred_at=ago(60, hour=1))
    assert _facts(account).last_transfer_on == today - dt.timedelta(days=60)


@pytest.mark.django_db
def test_previous_score_and_peak_come_from_the_history():
    today = timezone.localdate()
    account = make_customer()
    HealthScoreFactory(account=account, scored_on=today - dt.timedelta(days=33), score=60)
    HealthScoreFactory(account=account, scored_on=today - dt.timedelta(days=30), score=70)
    HealthScoreFactory(account=account, scored_on=today - dt.timedelta(days=12), score=91)
    facts = _facts(account)
    assert facts.previous_score == 70
    assert facts.peak_score == 91


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_number_of_accounts():
    config = active_configuration()
    today = timezone.localdate()

    def queries_for(n: int) -> int:
        for _ in range(n):
            account = make_customer()
            InteractionFactory(account=account, kind="call")
            ContactFactory(account=account, is_champion=True)
            FeedbackFactory(account=account)
        with CaptureQueriesContext(connection) as ctx:
            facts = gather_facts(start_id=0, end_id=None, day=today, config=config)
        assert len(facts) >= n
        return len(ctx.captured_queries)

    assert queries_for(2) == queries_for(10) <= 9


@pytest.mark.django_db
def test_deleted_interactions_do_not_count_as_contact_in_the_past():
    account = make_customer()
    call = InteractionFactory(account=account, kind="call", occurred_at=ago(12))
    Interaction.objects.filter(pk=call.pk).update(deleted_at=timezone.now())
    assert _facts(account, timezone.localdate() - dt.timedelta(days=1)).last_contact_on is None
