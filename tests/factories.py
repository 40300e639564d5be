"""factory-boy factories for every app's models. Each builds the smallest valid row."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from crm.models import InboxItem, Role, Team, User
from customers.models import (
    Account,
    ChurnReason,
    ChurnRecord,
    Contact,
    Contract,
    CustomerSpan,
    HandoverRequest,
    MrrSpan,
    OwnershipTransfer,
    Segment,
)
from interactions.models import Feedback, FollowUp, Interaction, OpenProblem, PlannedMeeting
from retention.models import HealthScore, MonthlySnapshot, RiskFlag, SentimentReading


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@treue.example")
    password = factory.django.Password("treue-test-pass")
    team = factory.SubFactory(TeamFactory)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            role = Role(extracted)
            self.groups.add(Group.objects.get_or_create(name=role.value)[0])
            if role == Role.ADMIN:
                self.is_staff = True
                self.save(update_fields=["is_staff"])


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment
        django_get_or_create = ["name"]

    name = factory.Iterator(["SMB", "Mid-market", "Enterprise"])


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Account {n} GmbH")
    external_id = factory.Sequence(lambda n: f"EXT-{n:06d}")
    segment = factory.SubFactory(SegmentFactory)
    industry = "Software"
    employees = 120
    owner = factory.SubFactory(UserFactory)
    team = factory.LazyAttribute(lambda a: a.owner.team if a.owner else None)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"contact{n}@customer.example")
    title = "Head of Operations"


class ContractFactory(factory.django.DjangoModelFactory):
    """A contract written straight to the table; call ``customers.services.refresh_ledger``
    (or use the services) when a test needs the derived spans and status."""

    class Meta:
        model = Contract

    account = factory.SubFactory(AccountFactory)
    reference = factory.Sequence(lambda n: f"C-{n:06d}")
    start_date = dt.date(2025, 1, 1)
    end_date = None
    cancelled_on = None
    monthly_value = Decimal("1000.00")


class OwnershipTransferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OwnershipTransfer

    account = factory.SubFactory(AccountFactory)
    from_owner = factory.LazyAttribute(lambda t: t.account.owner)
    to_owner = factory.SubFactory(UserFactory)
    transferred_at = factory.LazyFunction(timezone.now)
    reason = "CSM left the company"


class HandoverRequestFactory(factory.django.DjangoModelFactory):
    """A request written straight to the table (``customers.handovers`` checks who asks)."""

    class Meta:
        model = HandoverRequest

    account = factory.SubFactory(AccountFactory)
    requested_by = factory.LazyAttribute(lambda r: r.account.owner or UserFactory())
    requested_at = factory.LazyFunction(timezone.now)
    proposed_owner = factory.SubFactory(UserFactory)
    reason = "Parental leave"


class ChurnReasonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChurnReason
        django_get_or_create = ["name"]

    name = "Price"


class ChurnRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChurnRecord

    account = factory.SubFactory(AccountFactory)
    churned_on = dt.date(2025, 6, 1)
    reason = factory.SubFactory(ChurnReasonFactory)


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    account = factory.SubFactory(AccountFactory)
    kind = Interaction.Kind.CALL
    occurred_at = factory.LazyFunction(timezone.now)
    author = factory.LazyAttribute(lambda i: i.account.owner or UserFactory())
    summary = "Quarterly check-in"


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUp

    account = factory.SubFactory(AccountFactory)
    title = "Send the onboarding plan"
    due_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=7))
    owner = factory.LazyAttribute(lambda f: f.account.owner or UserFactory())


class PlannedMeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlannedMeeting

    account = factory.SubFactory(AccountFactory)
    kind = "meeting"
    planned_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=3))
    summary = "Renewal talk"
    owner = factory.LazyAttribute(lambda p: p.account.owner or UserFactory())


class InboxItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InboxItem

    user = factory.SubFactory(UserFactory)
    kind = InboxItem.Kind.TASK_DUE
    message = "follow_up_due"
    params = factory.LazyFunction(dict)
    link = "/"
    topic = factory.Sequence(lambda n: f"test:{n}")


class OpenProblemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OpenProblem

    account = factory.SubFactory(AccountFactory)
    title = "Export is slow"
    severity = OpenProblem.Severity.MEDIUM


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feedback

    account = factory.SubFactory(AccountFactory)
    kind = Feedback.Kind.NPS
    score = 9
    received_on = factory.LazyFunction(timezone.localdate)


class CustomerSpanFactory(factory.django.DjangoModelFactory):
    """A span written straight to the table (normally ``refresh_ledger`` derives it)."""

    class Meta:
        model = CustomerSpan

    account = factory.SubFactory(AccountFactory)
    start_date = dt.date(2025, 1, 1)
    end_date = None


class MrrSpanFactory(factory.django.DjangoModelFactory):
    """An MRR span written straight to the table (normally ``refresh_ledger`` derives it)."""

    class Meta:
        model = MrrSpan

    account = factory.SubFactory(AccountFactory)
    start_date = dt.date(2025, 1, 1)
    end_date = None
    mrr = Decimal("100.00")


# --- health scores and risk flags ---


def make_customer(
    *,
    since: dt.date = dt.date(2025, 1, 1),
    monthly_value: Decimal = Decimal("1000.00"),
    end_date: dt.date | None = None,
    **account_fields,
) -> Account:
    """An account that is a customer from ``since`` (one contract, ledger refreshed)."""
    from customers.services import refresh_ledger

    account = AccountFactory(**account_fields)
    ContractFactory(
        account=account, start_date=since, end_date=end_date, monthly_value=monthly_value
    )
    refresh_ledger(account_ids=[account.pk])
    account.refresh_from_db()
    return account


def renewing_on(account: Account, day: dt.date) -> Contract:
    """Give ``account`` a contract, running for a year, that is up for renewal on ``day``
    (the ledger refreshed, so ``next_renewal_on`` follows)."""
    from customers.services import refresh_ledger

    contract = ContractFactory(
        account=account, start_date=day - dt.timedelta(days=365), end_date=day
    )
    refresh_ledger(account_ids=[account.pk])
    return contract


def _active_configuration():
    from retention.health.scoring import active_configuration

    return active_configuration()


class SentimentReadingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SentimentReading

    account = factory.SubFactory(AccountFactory)
    author = factory.LazyAttribute(lambda r: r.account.owner or UserFactory())
    sentiment = SentimentReading.Sentiment.GREEN
    comment = "Happy with the rollout"
    recorded_at = factory.LazyFunction(timezone.now)


class HealthScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HealthScore
        skip_postgeneration_save = True

    account = factory.SubFactory(AccountFactory)
    scored_on = factory.LazyFunction(timezone.localdate)
    configuration = factory.LazyFunction(lambda: _active_configuration())
    score = 80
    band = "green"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # A score made by hand is that day's score: it replaces the one a write made when
        # it scored the account again (retention.follow).
        model_class.objects.filter(
            account=kwargs["account"], scored_on=kwargs["scored_on"]
        ).delete()
        return super()._create(model_class, *args, **kwargs)

    @factory.post_generation
    def current_health(obj, create, extracted, **kwargs):
        """The account's current health follows its newest score, as after a scoring run."""
        if create:
            from retention.health.scoring import rebuild_current_health

            rebuild_current_health(account_ids=[obj.account_id])


class RiskFlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RiskFlag

    account = factory.SubFactory(AccountFactory)
    reason = RiskFlag.Reason.ENTERED_RED
    status = RiskFlag.Status.OPEN
    raised_on = factory.LazyFunction(timezone.localdate)
    last_seen_on = factory.LazyAttribute(lambda f: f.raised_on)
    measured_value = Decimal("42")
    threshold = Decimal("51")
    # Given an ``explanation``, a flag as raised before messages were stored (text only).
    explanation = ""
    explanation_message = factory.LazyAttribute(
        lambda f: (
            None
            if f.explanation
            else {
                "id": "entered_red",
                "score": 42,
                "yellow": 51,
                "reasons": [
                    {"impact": -30, "message": {"id": "no_meeting", "days": 70, "cadence": 30}}
                ],
            }
        )
    )


# --- retention figures ---


class MonthlySnapshotFactory(factory.django.DjangoModelFactory):
    """A stored month of retention figures (normally ``retention.figures.snapshots.snapshot_month``
    writes them): 100 customers at the start, 5 new, 4 lost."""

    class Meta:
        model = MonthlySnapshot

    month = dt.date(2026, 1, 1)
    segment = None
    start_customers = 100
    new_customers = 5
    end_customers = 101
    retained_customers = 96
    churned_customers = 4
    retention_rate = Decimal("96.00")
    cohort_retention_rate = Decimal("96.00")
    churn_rate = Decimal("4.00")
    grr = Decimal("95.00")
    nrr = Decimal("102.00")
    mrr_start = Decimal("100000.00")
    mrr_end = Decimal("102000.00")
    computed_at = factory.LazyFunction(timezone.now)
