import datetime as dt
from decimal import Decimal

from customers.ledger import (
    ContractTerms,
    active_interval,
    derive_status,
    merge_spans,
    mrr_pieces,
)

D = dt.date


def test_cancelled_contract_stops_counting_on_its_cancellation_day():
    c = ContractTerms(D(2025, 1, 1), D(2025, 12, 31), D(2025, 6, 1))
    assert active_interval(c) == (D(2025, 1, 1), D(2025, 5, 31))


def test_contract_cancelled_on_its_first_day_never_counts():
    assert active_interval(ContractTerms(D(2025, 1, 1), None, D(2025, 1, 1))) is None


def test_adjacent_renewals_merge_into_one_span():
    spans = merge_spans(
        [
            ContractTerms(D(2024, 1, 1), D(2024, 12, 31), None),
            ContractTerms(D(2025, 1, 1), D(2025, 12, 31), None),
        ]
    )
    assert spans == [(D(2024, 1, 1), D(2025, 12, 31))]


def test_gap_of_a_day_keeps_spans_apart_and_open_end_swallows_later_ones():
    spans = merge_spans(
        [
            ContractTerms(D(2024, 1, 1), D(2024, 6, 30), None),
            ContractTerms(D(2024, 7, 2), None, None),
            ContractTerms(D(2025, 1, 1), D(2025, 3, 1), None),
        ]
    )
    assert spans == [(D(2024, 1, 1), D(2024, 6, 30)), (D(2024, 7, 2), None)]


def test_derived_status_of_a_current_customer():
    contracts = [
        ContractTerms(D(2024, 1, 1), D(2025, 12, 31), None, Decimal("100")),
        ContractTerms(D(2025, 3, 1), D(2026, 2, 28), None, Decimal("50")),
    ]
    status = derive_status(contracts, D(2025, 6, 1))
    assert status.customer_since == D(2024, 1, 1)
    assert status.churned_on is None
    assert status.mrr == Decimal("150")
    assert status.next_renewal_on == D(2025, 12, 31)


def test_derived_status_of_a_churned_account():
    contracts = [ContractTerms(D(2024, 1, 1), D(2024, 12, 31), D(2024, 10, 1), Decimal("100"))]
    status = derive_status(contracts, D(2025, 6, 1))
    assert status.customer_since is None
    assert status.churned_on == D(2024, 10, 1)
    assert status.mrr == 0
    assert status.next_renewal_on is None


def test_win_back_restarts_customer_since():
    contracts = [
        ContractTerms(D(2023, 1, 1), D(2023, 12, 31), None),
        ContractTerms(D(2025, 1, 1), None, None),
    ]
    status = derive_status(contracts, D(2025, 6, 1))
    assert status.customer_since == D(2025, 1, 1)
    assert status.churned_on is None


def test_mrr_pieces_follow_price_changes_and_merge_renewals_at_the_same_price():
    pieces = mrr_pieces(
        [
            ContractTerms(D(2024, 1, 1), D(2024, 12, 31), None, Decimal("100")),
            # renewed at the same price: one piece
            ContractTerms(D(2025, 1, 1), D(2025, 6, 30), None, Decimal("100.00")),
            # an add-on from March: the MRR steps up and back down
            ContractTerms(D(2025, 3, 1), D(2025, 4, 30), None, Decimal("20")),
            # a gap of a day, then a cheaper open-ended contract, cancelled before it starts
            ContractTerms(D(2025, 7, 2), None, None, Decimal("80")),
            ContractTerms(D(2025, 8, 1), None, D(2025, 8, 1), Decimal("999")),
        ]
    )
    assert pieces == [
        (D(2024, 1, 1), D(2025, 2, 28), Decimal("100")),
        (D(2025, 3, 1), D(2025, 4, 30), Decimal("120")),
        (D(2025, 5, 1), D(2025, 6, 30), Decimal("100")),
        (D(2025, 7, 2), None, Decimal("80")),
    ]


def test_mrr_pieces_cover_customer_days_at_zero_value_and_nothing_else():
    assert mrr_pieces([ContractTerms(D(2025, 1, 1), D(2025, 1, 31), None, Decimal("0"))]) == [
        (D(2025, 1, 1), D(2025, 1, 31), Decimal("0"))
    ]
    assert mrr_pieces([]) == []
    assert mrr_pieces([ContractTerms(D(2025, 1, 1), None, D(2025, 1, 1), Decimal("5"))]) == []
