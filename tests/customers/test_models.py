"""customers.models: the database refuses bad rows; names and links people recognise."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers import ledger
from customers.admin import ContractStateFilter, CustomerStatusFilter, LastContactFilter
from customers.models import (
    Account,
    Contact,
    Contract,
    CustomerSpan,
    MrrSpan,
    account_status,
    contract_active_on,
    no_contact_since,
    span_covers,
)

from ..factories import (
    AccountFactory,
    ChurnReasonFactory,
    ChurnRecordFactory,
    ContactFactory,
    ContractFactory,
    CustomerSpanFactory,
    OwnershipTransferFactory,
    SegmentFactory,
    UserFactory,
    make_customer,
)
from ..source import copies

D = dt.date
pytestmark = pytest.mark.django_db


def refused(make) -> bool:
    """Whether the database refuses the row that ``make`` writes."""
    try:
        with transaction.atomic():
            make()
    except IntegrityError:
        return True
    return False


# ---------------------------------------------------------------------------------------------
# Constraints


def test_contract_ending_before_it_starts_is_refused_by_the_database():
    account = AccountFactory()
    assert refused(
        lambda: ContractFactory(account=account, start_date=D(2025, 2, 1), end_date=D(2025, 1, 31))
    )
    # Ending on its first day is a one-day contract, not an error.
    assert not refused(
        lambda: ContractFactory(account=account, start_date=D(2025, 2, 1), end_date=D(2025, 2, 1))
    )


def test_contract_cancelled_before_it_starts_is_refused_by_the_database():
    account = AccountFactory()
    assert refused(
        lambda: ContractFactory(
            account=account, start_date=D(2025, 2, 1), cancelled_on=D(2025, 1, 31)
        )
    )
    assert not refused(
        lambda: ContractFactory(
            account=account, start_date=D(2025, 2, 1), cancelled_on=D(2025, 2, 1)
        )
    )


def test_contract_with_a_negative_value_is_refused_by_the_database():
    account = AccountFactory()
    assert refused(lambda: ContractFactory(account=account, monthly_value=Decimal("-0.01")))
    assert not refused(lambda: ContractFactory(account=account, monthly_value=Decimal("0")))


def test_contract_reference_is_unique_across_accounts():
    ContractFactory(reference="C-1")
    assert refused(lambda: ContractFactory(reference="C-1"))


def test_account_external_id_is_unique_but_may_be_left_empty_many_times():
    AccountFactory(external_id="ERP-1")
    assert refused(lambda: AccountFactory(external_id="ERP-1"))
    AccountFactory(external_id=None)
    assert not refused(lambda: AccountFactory(external_id=None))


def test_account_names_are_unique():
    AccountFactory(name="Hafenbräu AG")
    assert refused(lambda: AccountFactory(name="Hafenbräu AG"))


def test_account_mrr_cannot_be_negative():
    account = AccountFactory()
    assert refused(lambda: Account.objects.filter(pk=account.pk).update(mrr=Decimal("-1")))


def test_contact_email_is_unique_per_account_only():
    first, second = AccountFactory(), AccountFactory()
    ContactFactory(account=first, email="anna@customer.example")

    assert refused(lambda: ContactFactory(account=first, email="anna@customer.example"))
    assert not refused(lambda: ContactFactory(account=second, email="anna@customer.example"))


def test_contacts_without_email_do_not_collide():
    account = AccountFactory()
    ContactFactory(account=account, email="")
    assert not refused(lambda: ContactFactory(account=account, email=""))


def test_span_ending_before_it_starts_is_refused_by_the_database():
    account = AccountFactory()
    assert refused(
        lambda: CustomerSpanFactory(
            account=account, start_date=D(2025, 3, 1), end_date=D(2025, 2, 28)
        )
    )
    assert not refused(
        lambda: CustomerSpanFactory(account=account, start_date=D(2025, 3, 1), end_date=None)
    )


def test_two_spans_of_an_account_cannot_start_on_the_same_day():
    span = CustomerSpanFactory(start_date=D(2025, 1, 1))
    assert refused(lambda: CustomerSpanFactory(account=span.account, start_date=D(2025, 1, 1)))


def test_transfer_to_the_same_owner_is_refused_by_the_database():
    owner = UserFactory()
    account = AccountFactory(owner=owner)
    assert refused(
        lambda: OwnershipTransferFactory(account=account, from_owner=owner, to_owner=owner)
    )
    # A first assignment has no previous owner.
    assert not refused(
        lambda: OwnershipTransferFactory(account=account, from_owner=None, to_owner=owner)
    )


def test_segment_cadence_must_be_positive_and_benchmark_a_percentage():
    assert refused(lambda: SegmentFactory(name="Zero", expected_cadence_days=0))
    assert refused(lambda: SegmentFactory(name="Over", benchmark_retention_rate=Decimal("100.01")))
    assert refused(lambda: SegmentFactory(name="Under", benchmark_retention_rate=Decimal("-1")))
    assert not refused(lambda: SegmentFactory(name="Fine", benchmark_retention_rate=Decimal("100")))


def test_churn_is_recorded_once_per_account_and_day():
    record = ChurnRecordFactory(churned_on=D(2025, 6, 1))
    assert refused(lambda: ChurnRecordFactory(account=record.account, churned_on=D(2025, 6, 1)))


# ---------------------------------------------------------------------------------------------
# Names and links


def test_names_people_recognise():
    owner = UserFactory(first_name="Carla", last_name="Berger")
    new_owner = UserFactory(first_name="Tom", last_name="Kurz")
    account = AccountFactory(name="Hafenbräu AG", owner=owner)
    reason = ChurnReasonFactory(name="Price")

    assert str(SegmentFactory(name="Enterprise")) == "Enterprise"
    assert str(account) == "Hafenbräu AG"
    assert str(ContactFactory(account=account, name="Anna Roth")) == "Anna Roth (Hafenbräu AG)"
    assert str(ContractFactory(account=account, reference="C-42")) == "C-42"
    assert str(reason) == "Price"
    assert (
        str(ChurnRecordFactory(account=account, churned_on=D(2025, 6, 1), reason=reason))
        == "Hafenbräu AG — 2025-06-01 (Price)"
    )
    transfer = OwnershipTransferFactory(account=account, from_owner=owner, to_owner=new_owner)
    assert str(transfer) == "Hafenbräu AG: Carla Berger → Tom Kurz"
    first = OwnershipTransferFactory(account=account, from_owner=None, to_owner=owner)
    assert str(first) == "Hafenbräu AG: — → Carla Berger"
    span = CustomerSpanFactory(account=account, start_date=D(2025, 1, 1), end_date=None)
    assert str(span) == f"{account.pk}: 2025-01-01 – …"
    span.end_date = D(2025, 12, 31)
    assert str(span) == f"{account.pk}: 2025-01-01 – 2025-12-31"


def test_links_lead_to_the_account_page_and_its_sections():
    account = AccountFactory()
    contact = ContactFactory(account=account)
    page = f"/customers/{account.pk}/"

    assert account.get_absolute_url() == page
    assert contact.get_absolute_url() == f"/customers/contacts/{contact.pk}/"
    assert ContractFactory(account=account).get_absolute_url() == page + "#contracts"
    assert OwnershipTransferFactory(account=account).get_absolute_url() == page + "#transfers"


# ---------------------------------------------------------------------------------------------
# Behaviour of one row


def contract(start, end=None, cancelled=None) -> Contract:
    return Contract(start_date=start, end_date=end, cancelled_on=cancelled, monthly_value=1)


def test_contract_counts_from_its_start_day_through_its_end_day():
    c = contract(D(2025, 1, 1), end=D(2025, 12, 31))
    assert not c.is_active_on(D(2024, 12, 31))
    assert c.is_active_on(D(2025, 1, 1))
    assert c.is_active_on(D(2025, 12, 31))
    assert not c.is_active_on(D(2026, 1, 1))


def test_cancelled_contract_counts_until_the_day_before_cancellation():
    c = contract(D(2025, 1, 1), end=D(2025, 12, 31), cancelled=D(2025, 7, 1))
    assert c.is_active_on(D(2025, 6, 30))
    assert not c.is_active_on(D(2025, 7, 1))
    assert c.last_active_day == D(2025, 6, 30)


def test_open_ended_contract_counts_forever_and_has_no_last_day():
    c = contract(D(2025, 1, 1))
    assert c.is_active_on(D(2099, 1, 1))
    assert c.last_active_day is None


def test_contract_cancelled_on_its_first_day_never_counts():
    c = contract(D(2025, 1, 1), cancelled=D(2025, 1, 1))
    assert not c.is_active_on(D(2025, 1, 1))


def test_last_active_day_is_the_earlier_of_end_and_day_before_cancellation():
    assert contract(D(2025, 1, 1), D(2025, 3, 31), D(2025, 6, 1)).last_active_day == D(2025, 3, 31)
    assert contract(D(2025, 1, 1), D(2025, 12, 31)).last_active_day == D(2025, 12, 31)


# ---------------------------------------------------------------------------------------------
# The ledger's rules about a day: the SQL (queryset methods, filters) and the pure functions
# agree on every boundary.

START = D(2025, 3, 10)
DAYS = [START + dt.timedelta(days=n) for n in range(-1, 8)]
TERMS = [
    (end, cancelled)
    for end in (None, START, START + dt.timedelta(days=3))
    for cancelled in (None, START, START + dt.timedelta(days=2), START + dt.timedelta(days=5))
]


def test_active_on_in_sql_agrees_with_the_pure_rule_on_every_boundary():
    contracts = [
        ContractFactory(start_date=START, end_date=end, cancelled_on=cancelled)
        for end, cancelled in TERMS
    ]
    for day in DAYS:
        expected = {c.pk for c in contracts if ledger.is_active_on(c, day)}
        assert set(Contract.objects.active_on(day).values_list("pk", flat=True)) == expected
        assert {c.pk for c in contracts if c.is_active_on(day)} == expected
        # The negation (the admin's "ended or cancelled") loses no row to NULL logic.
        rest = Contract.objects.exclude(contract_active_on(day)).values_list("pk", flat=True)
        assert set(rest) == {c.pk for c in contracts} - expected
        # Through a relation, as the health model's aggregates reach it.
        accounts = Account.objects.filter(contract_active_on(day, "contracts__"))
        assert set(accounts.values_list("contracts__pk", flat=True)) == expected


def test_span_covering_in_sql_agrees_with_the_pure_rule():
    ends = [None, START, START + dt.timedelta(days=4)]
    spans = [CustomerSpanFactory(start_date=START, end_date=end) for end in ends]
    pieces = [
        MrrSpan.objects.create(account=s.account, start_date=START, end_date=s.end_date, mrr=1)
        for s in spans
    ]
    for day in DAYS:
        expected = [ledger.covers(START, end, day) for end in ends]
        covering = set(CustomerSpan.objects.covering(day).values_list("pk", flat=True))
        assert [s.pk in covering for s in spans] == expected
        covering = set(MrrSpan.objects.covering(day).values_list("pk", flat=True))
        assert [p.pk in covering for p in pieces] == expected
        counted = CustomerSpan.objects.filter(span_covers(day)).count()
        assert counted == sum(expected)


def test_contract_state_filter_of_the_admin_follows_the_ledger_rule(rf):
    today = timezone.localdate()
    running = ContractFactory(start_date=today - dt.timedelta(days=9))
    cancelled_today = ContractFactory(start_date=today - dt.timedelta(days=9), cancelled_on=today)
    ends_today = ContractFactory(start_date=today - dt.timedelta(days=9), end_date=today)
    future = ContractFactory(start_date=today + dt.timedelta(days=1))

    def state(value: str) -> set[int]:
        chosen = ContractStateFilter(rf.get("/"), {"state": [value]}, Contract, None)
        return set(chosen.queryset(None, Contract.objects.all()).values_list("pk", flat=True))

    assert state("active") == {running.pk, ends_today.pk}
    assert state("over") == {cancelled_today.pk}
    assert state("future") == {future.pk}


def test_mark_contacted_moves_forward_only():
    account = AccountFactory()
    now = timezone.now()

    assert account.mark_contacted(now - dt.timedelta(days=5))
    assert not account.mark_contacted(now - dt.timedelta(days=9))
    assert account.mark_contacted(now)

    account.refresh_from_db()
    assert account.last_meeting_or_call_at == now


def test_account_is_customer_follows_the_cached_status():
    account = AccountFactory()
    assert not account.is_customer
    account.customer_since = D(2025, 1, 1)
    assert account.is_customer


def test_contact_is_active_until_they_leave():
    contact = Contact(name="Anna")
    assert contact.is_active
    contact.left_on = D(2025, 5, 1)
    assert not contact.is_active


def test_every_account_has_one_status_and_is_a_customer_as_its_row_says():
    today = timezone.localdate()
    customer = make_customer(name="Now")
    churned = make_customer(name="Gone", end_date=today - dt.timedelta(days=30))
    prospect = AccountFactory(name="Maybe")
    statuses = {
        status: set(Account.objects.filter(account_status(status)).values_list("name", flat=True))
        for status in ("customer", "churned", "prospect")
    }
    assert statuses == {"customer": {"Now"}, "churned": {"Gone"}, "prospect": {"Maybe"}}
    assert [a.is_customer for a in (customer, churned, prospect)] == [True, False, False]


def test_no_contact_since_counts_accounts_never_contacted():
    now = timezone.now()
    AccountFactory(name="Never")
    AccountFactory(name="Long ago", last_meeting_or_call_at=now - dt.timedelta(days=90))
    AccountFactory(name="Lately", last_meeting_or_call_at=now - dt.timedelta(days=2))
    quiet = Account.objects.filter(no_contact_since(now - dt.timedelta(days=30)))
    assert set(quiet.values_list("name", flat=True)) == {"Never", "Long ago"}


def test_the_admins_status_and_last_contact_filters_ask_the_same_rules(rf):
    now, today = timezone.now(), timezone.localdate()
    make_customer(name="Now", last_meeting_or_call_at=now - dt.timedelta(days=3))
    make_customer(name="Gone", end_date=today - dt.timedelta(days=30))
    AccountFactory(name="Maybe", last_meeting_or_call_at=now - dt.timedelta(days=60))
    AccountFactory(name="Old", last_meeting_or_call_at=now - dt.timedelta(days=200))

    def chosen(kind, name: str, value: str) -> set[str]:
        listed = kind(rf.get("/"), {name: [value]}, Account, None)
        return set(listed.queryset(None, Account.objects.all()).values_list("name", flat=True))

    assert chosen(CustomerStatusFilter, "status", "customer") == {"Now"}
    assert chosen(CustomerStatusFilter, "status", "churned") == {"Gone"}
    assert chosen(CustomerStatusFilter, "status", "prospect") == {"Maybe", "Old"}
    assert chosen(LastContactFilter, "contacted", "30") == {"Now"}
    assert chosen(LastContactFilter, "contacted", "90") == {"Maybe"}
    assert chosen(LastContactFilter, "contacted", "older") == {"Old"}
    assert chosen(LastContactFilter, "contacted", "never") == {"Gone"}


def test_an_accounts_status_and_last_touch_are_written_once():
    """An account's status and "no meeting or call since": in customers/models.py only."""
    rule = r"customer_since__isnull|churned_on__isnull|last_meeting_or_call_at__lt="
    assert copies(rule, homes={"customers/models.py"}) == []
