"""customers.selectors: the reads other apps share."""

import datetime as dt

import pytest

from customers.selectors import renewals_due

from ..factories import ContractFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 1)


def after(days: int) -> dt.date:
    return DAY + dt.timedelta(days=days)


def test_a_renewal_is_due_when_an_unconfirmed_contract_ends_within_the_window():
    start = dt.date(2025, 1, 1)
    due = {
        "ends today": ContractFactory(start_date=start, end_date=DAY),
        "ends on the window's last day": ContractFactory(start_date=start, end_date=after(30)),
        "notice only after the day": ContractFactory(
            start_date=start, end_date=after(10), notice_given_on=after(1)
        ),
    }
    ContractFactory(start_date=start, end_date=after(31))  # beyond the window
    ContractFactory(start_date=start, end_date=after(-1))  # ended yesterday
    ContractFactory(start_date=start)  # open-ended: nothing to renew
    ContractFactory(start_date=start, end_date=after(10), renewal_confirmed=True)
    ContractFactory(start_date=start, end_date=after(10), notice_given_on=DAY)
    ContractFactory(start_date=start, end_date=after(10), cancelled_on=after(5))
    ContractFactory(start_date=after(1), end_date=after(10))  # not running yet
    found = set(renewals_due(DAY, 30).values_list("pk", flat=True))
    assert found == {c.pk for c in due.values()}
    assert set(renewals_due(DAY, 31).values_list("pk", flat=True)) > found
