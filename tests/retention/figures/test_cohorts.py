import datetime as dt
from decimal import Decimal

import pytest

from customers.services import refresh_ledger
from retention.figures.cohorts import cohort_matrix
from retention.figures.metrics import RetentionError
from tests.factories import AccountFactory, ContractFactory, SegmentFactory

D = dt.date
pytestmark = pytest.mark.django_db
TODAY = D(2026, 4, 15)


def customer(*terms, segment=None):
    """An account with contracts given as (start, end, monthly value)."""
    account = AccountFactory(owner=None, segment=segment or SegmentFactory(name="SMB"))
    for start, end, value in terms:
        ContractFactory(
            account=account, start_date=start, end_date=end, monthly_value=Decimal(value)
        )
    refresh_ledger(account_ids=[account.pk])
    return account


@pytest.fixture
def cohorts():
    # January 2026: four customers; one leaves in February, one doubles in March.
    customer((D(2026, 1, 5), None, "100"))
    customer((D(2026, 1, 10), None, "100"), (D(2026, 3, 1), None, "100"))
    customer((D(2026, 1, 20), D(2026, 2, 10), "100"))
    customer((D(2026, 1, 31), None, "100"))
    # February 2026: two customers, one from another segment.
    customer((D(2026, 2, 1), None, "50"))
    customer((D(2026, 2, 28), None, "50"), segment=SegmentFactory(name="Enterprise"))


def test_counts_per_month_after_acquisition_and_none_where_not_reached(cohorts):
    matrix = cohort_matrix(
        first_month=D(2026, 1, 1), last_month=D(2026, 3, 1), months=4, today=TODAY
    )

    assert matrix.offsets == [0, 1, 2, 3]
    january, february, march = matrix.rows
    assert (january.month, january.size) == (D(2026, 1, 1), 4)
    assert january.customers == [4, 3, 3, None]
    assert january.customer_shares == [Decimal("100.00"), Decimal("75.00"), Decimal("75.00"), None]
    assert (february.size, february.customers) == (2, [2, 2, None, None])
    assert (march.size, march.customers) == (0, [0, None, None, None])
    assert march.customer_shares == [None, None, None, None]


def test_revenue_retention_counts_expansion_and_loss(cohorts):
    january = cohort_matrix(
        first_month=D(2026, 1, 1), last_month=D(2026, 1, 1), months=4, today=TODAY
    ).rows[0]

    assert january.base_mrr == Decimal("400.00")
    assert january.revenue == [Decimal("400.00"), Decimal("300.00"), Decimal("400.00"), None]
    assert january.revenue_shares == [
        Decimal("100.00"),
        Decimal("75.00"),
        Decimal("100.00"),
        None,
    ]


def test_win_back_stays_in_its_first_cohort():
    customer((D(2025, 6, 1), D(2025, 9, 30), "10"), (D(2026, 1, 15), None, "20"))

    matrix = cohort_matrix(
        first_month=D(2025, 6, 1), last_month=D(2026, 1, 1), months=9, today=TODAY
    )

    by_month = {row.month: row for row in matrix.rows}
    assert by_month[D(2026, 1, 1)].size == 0
    june = by_month[D(2025, 6, 1)]
    assert june.size == 1 and june.base_mrr == Decimal("10.00")
    # June … September a customer, October … December not, back from January.
    assert june.customers == [1, 1, 1, 1, 0, 0, 0, 1, 1]
    assert june.revenue[-1] == Decimal("20.00")


def test_cohorts_of_one_segment(cohorts):
    matrix = cohort_matrix(
        first_month=D(2026, 2, 1),
        last_month=D(2026, 2, 1),
        months=2,
        segment="Enterprise",
        today=TODAY,
    )

    assert [(row.size, row.customers) for row in matrix.rows] == [(1, [1, 1])]


def test_the_whole_matrix_takes_one_query(cohorts, django_assert_num_queries):
    segment = SegmentFactory(name="SMB")
    with django_assert_num_queries(1):
        cohort_matrix(
            first_month=D(2025, 1, 1),
            last_month=D(2026, 3, 1),
            months=12,
            segment=segment,
            today=TODAY,
        )


def test_last_cohort_before_the_first_is_refused():
    with pytest.raises(RetentionError, match="before the first"):
        cohort_matrix(first_month=D(2026, 3, 1), last_month=D(2026, 1, 1), today=TODAY)
