import datetime as dt
from decimal import Decimal

import pytest

from customers.services import create_contract, refresh_ledger, update_contract
from retention.figures.metrics import JSON_KEYS, RetentionError, percent, retention_figures
from tests.factories import AccountFactory, ContractFactory, SegmentFactory

D = dt.date
pytestmark = pytest.mark.django_db

Q1_START, Q1_END = D(2026, 1, 1), D(2026, 3, 31)


def customers(count, *, start, end=None, cancelled_on=None, value="1000", segment=None):
    """``count`` new accounts, each with one contract; returns the accounts (ledger refreshed)."""
    segment = segment or SegmentFactory(name="SMB")
    # No owner: the figures do not need one, and hashing a password per account is slow.
    accounts = AccountFactory.create_batch(count, segment=segment, owner=None)
    for account in accounts:
        ContractFactory(
            account=account,
            start_date=start,
            end_date=end,
            cancelled_on=cancelled_on,
            monthly_value=Decimal(value),
        )
    refresh_ledger(account_ids=[a.pk for a in accounts], today=D(2026, 6, 1))
    return accounts


def lose(accounts, *, on):
    """The accounts' contracts stop counting from ``on``."""
    for account in accounts:
        for contract in account.contracts.all():
            update_contract(contract=contract, cancelled_on=on, today=D(2026, 6, 1))


def test_first_seed_example_twenty_customers_five_new_one_lost_is_95_percent():
    starting = customers(20, start=D(2025, 1, 1))
    customers(5, start=D(2026, 2, 1))
    lose(starting[:1], on=D(2026, 2, 15))

    figures = retention_figures(start=Q1_START, end=Q1_END)

    assert (figures.start_customers, figures.new_customers, figures.end_customers) == (20, 5, 24)
    assert figures.retention_rate == Decimal("95.00")
    assert figures.cohort_retention_rate == Decimal("95.00")
    assert figures.churned_customers == 1
    assert figures.churn_rate == Decimal("5.00")


def test_second_seed_example_forty_four_customers_twelve_new_thirteen_lost_is_70_45_percent():
    starting = customers(44, start=D(2024, 6, 1))
    customers(12, start=D(2026, 3, 1))
    lose(starting[:13], on=D(2026, 1, 20))

    figures = retention_figures(start=Q1_START, end=Q1_END)

    assert (figures.start_customers, figures.new_customers, figures.end_customers) == (44, 12, 43)
    assert figures.retention_rate == Decimal("70.45")
    assert figures.cohort_retention_rate == Decimal("70.45")
    assert figures.churned_customers == 13
    assert figures.churn_rate == Decimal("29.55")


def test_no_starting_customers_gives_no_rates():
    customers(3, start=D(2026, 2, 1))

    figures = retention_figures(start=Q1_START, end=Q1_END)

    assert figures.start_customers == 0 and figures.new_customers == 3
    assert figures.as_dict() == {
        "start_customers": 0,
        "new_customers": 3,
        "end_customers": 3,
        "retention_rate": None,
        "retained_customers": 0,
        "cohort_retention_rate": None,
        "churned_customers": 0,
        "churn_rate": None,
        "grr": None,
        "nrr": None,
    }


def test_new_customers_who_leave_within_the_period_make_crr_and_cohort_retention_differ():
    starting = customers(20, start=D(2025, 1, 1))
    customers(1, start=D(2026, 1, 10))
    customers(2, start=D(2026, 1, 10), end=D(2026, 2, 28))
    lose(starting[:2], on=D(2026, 3, 1))

    figures = retention_figures(start=Q1_START, end=Q1_END)

    assert (figures.start_customers, figures.new_customers, figures.end_customers) == (20, 3, 19)
    assert figures.retained_customers == 18
    assert figures.retention_rate == Decimal("80.00")
    assert figures.cohort_retention_rate == Decimal("90.00")
    assert figures.rates_differ and figures.new_customers_lost == 2


def test_win_back_counts_as_new_customer():
    (back,) = customers(1, start=D(2024, 1, 1), end=D(2025, 11, 30))
    ContractFactory(account=back, start_date=D(2026, 2, 1), monthly_value=Decimal("10"))
    refresh_ledger(account_ids=[back.pk])

    figures = retention_figures(start=Q1_START, end=Q1_END)

    assert (figures.start_customers, figures.new_customers, figures.end_customers) == (0, 1, 1)


def test_starting_customer_who_leaves_and_comes_back_within_the_period_is_retained_not_new():
    (account,) = customers(1, start=D(2025, 1, 1), end=D(2026, 1, 31))
    ContractFactory(account=account, start_date=D(2026, 3, 1), monthly_value=Decimal("10"))
    refresh_ledger(account_ids=[account.pk])

    figures = retention_figures(start=Q1_START, end=Q1_END)

    assert figures.new_customers == 0
    assert figures.retained_customers == 1 and figures.churned_customers == 0


def test_customer_whose_contract_ends_the_day_before_the_period_and_returns_is_not_new():
    (account,) = customers(1, start=D(2025, 1, 1), end=D(2025, 12, 31))
    ContractFactory(account=account, start_date=D(2026, 2, 1), monthly_value=Decimal("10"))
    refresh_ledger(account_ids=[account.pk])

    figures = retention_figures(start=Q1_START, end=Q1_END)

    assert (figures.start_customers, figures.new_customers, figures.end_customers) == (1, 0, 1)
    assert figures.retained_customers == 1 and figures.retention_rate == Decimal("100.00")


def test_cancellation_day_is_no_longer_a_customer_day_but_end_date_is():
    customers(1, start=D(2025, 1, 1), end=Q1_END)
    customers(1, start=D(2025, 1, 1), cancelled_on=Q1_END)
    customers(1, start=D(2025, 1, 1), cancelled_on=Q1_START)

    figures = retention_figures(start=Q1_START, end=Q1_END)

    assert figures.start_customers == 3
    assert figures.end_customers == 1
    assert figures.churned_customers == 2


def test_segment_filter_counts_only_that_segments_accounts():
    smb, enterprise = SegmentFactory(name="SMB"), SegmentFactory(name="Enterprise")
    lost = customers(4, start=D(2025, 1, 1), segment=smb)
    customers(6, start=D(2025, 1, 1), segment=enterprise)
    customers(2, start=D(2026, 1, 5), segment=enterprise)
    lose(lost[:1], on=D(2026, 2, 1))

    overall = retention_figures(start=Q1_START, end=Q1_END)
    by_smb = retention_figures(start=Q1_START, end=Q1_END, segment="SMB")
    by_enterprise = retention_figures(start=Q1_START, end=Q1_END, segment=enterprise)

    assert (overall.start_customers, overall.new_customers, overall.end_customers) == (10, 2, 11)
    assert (by_smb.start_customers, by_smb.new_customers, by_smb.end_customers) == (4, 0, 3)
    assert by_smb.segment == "SMB" and by_smb.churn_rate == Decimal("25.00")
    assert (by_enterprise.start_customers, by_enterprise.new_customers) == (6, 2)
    assert by_enterprise.cohort_retention_rate == Decimal("100.00")


def test_segment_name_is_matched_case_insensitively():
    customers(2, start=D(2025, 1, 1), segment=SegmentFactory(name="Mid-market"))

    assert retention_figures(start=Q1_START, end=Q1_END, segment="mid-MARKET").start_customers == 2


def test_grr_and_nrr_with_an_upgrade_a_downgrade_and_a_churn():
    grows, shrinks, leaves = customers(3, start=D(2025, 1, 1), value="1000")
    # Upgrade: a second contract on top. Downgrade: the contract is replaced by a cheaper one.
    create_contract(
        account=grows,
        reference="UP-1",
        start_date=D(2026, 2, 1),
        monthly_value=Decimal("500"),
        today=D(2026, 6, 1),
    )
    lose([shrinks], on=D(2026, 3, 1))
    create_contract(
        account=shrinks,
        reference="DOWN-1",
        start_date=D(2026, 3, 1),
        monthly_value=Decimal("600"),
        today=D(2026, 6, 1),
    )
    lose([leaves], on=D(2026, 2, 1))
    customers(1, start=D(2026, 1, 15), value="9999")  # new: not part of revenue retention

    figures = retention_figures(start=Q1_START, end=Q1_END)

    assert figures.mrr_start == Decimal("3000.00")
    assert figures.mrr_end == Decimal("2100.00")
    assert figures.grr == Decimal("53.33")  # (1000 + 600 + 0) / 3000
    assert figures.nrr == Decimal("70.00")  # (1500 + 600 + 0) / 3000
    assert figures.retained_customers == 2


def test_contract_cancelled_on_the_last_day_is_lost_revenue_even_when_others_grow():
    shrinks, grows = customers(2, start=D(2025, 1, 1), value="1000")
    create_contract(
        account=shrinks,
        reference="ADDON-1",
        start_date=D(2025, 6, 1),
        cancelled_on=Q1_END,
        monthly_value=Decimal("500"),
        today=D(2026, 6, 1),
    )
    create_contract(
        account=grows,
        reference="UP-1",
        start_date=D(2026, 3, 1),
        monthly_value=Decimal("1000"),
        today=D(2026, 6, 1),
    )

    figures = retention_figures(start=Q1_START, end=Q1_END)

    assert (figures.mrr_start, figures.mrr_end) == (Decimal("2500.00"), Decimal("3000.00"))
    assert figures.grr == Decimal("80.00")  # (1000 + 1000) / 2500
    assert figures.nrr == Decimal("120.00")


def test_revenue_of_a_starting_customer_back_within_the_period_counts_but_a_new_ones_does_not():
    (returns,) = customers(1, start=D(2025, 1, 1), end=D(2026, 1, 31), value="1000")
    create_contract(
        account=returns,
        reference="BACK-1",
        start_date=D(2026, 3, 1),
        monthly_value=Decimal("800"),
        today=D(2026, 6, 1),
    )
    customers(1, start=D(2026, 3, 1), value="9999")

    figures = retention_figures(start=Q1_START, end=Q1_END)

    assert (figures.mrr_start, figures.mrr_end) == (Decimal("1000.00"), Decimal("800.00"))
    assert figures.grr == figures.nrr == Decimal("80.00")


def test_revenue_rates_are_none_when_the_starting_customers_pay_nothing():
    customers(2, start=D(2025, 1, 1), value="0")

    figures = retention_figures(start=Q1_START, end=Q1_END)

    assert figures.start_customers == 2 and figures.cohort_retention_rate == Decimal("100.00")
    assert figures.grr is None and figures.nrr is None


def test_one_day_period_compares_the_day_before_with_that_day():
    customers(2, start=D(2025, 1, 1), end=D(2026, 1, 31))
    customers(1, start=D(2026, 2, 1))

    figures = retention_figures(start=D(2026, 2, 1), end=D(2026, 2, 1))

    assert (figures.start_customers, figures.new_customers, figures.end_customers) == (2, 1, 1)
    assert figures.churned_customers == 2


def test_figures_take_two_queries(django_assert_num_queries):
    customers(3, start=D(2025, 1, 1))
    segment = SegmentFactory(name="SMB")

    with django_assert_num_queries(2):
        retention_figures(start=Q1_START, end=Q1_END, segment=segment)


def test_period_ending_before_it_starts_is_refused():
    with pytest.raises(RetentionError, match=r"ends \(2026-01-01\) before it starts"):
        retention_figures(start=D(2026, 2, 1), end=D(2026, 1, 1))


def test_unknown_segment_is_refused_with_the_known_ones():
    SegmentFactory(name="SMB")
    with pytest.raises(RetentionError, match=r"Unknown segment “Gold”.*SMB"):
        retention_figures(start=Q1_START, end=Q1_END, segment="Gold")


def test_as_dict_has_exactly_the_report_keys_with_rates_as_floats():
    starting = customers(3, start=D(2025, 1, 1))
    lose(starting[:1], on=D(2026, 1, 2))

    data = retention_figures(start=Q1_START, end=Q1_END).as_dict()

    assert tuple(data) == JSON_KEYS
    assert data["retention_rate"] == 66.67 and isinstance(data["retention_rate"], float)
    assert data["churned_customers"] == 1


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [(1, 8, "12.50"), (1, 3, "33.33"), (2, 3, "66.67"), (1, 200, "0.50"), (1, 400, "0.25")],
)
def test_percent_rounds_half_up_to_two_decimals(part, whole, expected):
    assert percent(part, whole) == Decimal(expected)


def test_percent_of_nothing_is_none():
    assert percent(0, 0) is None
