"""The contract ledger: who is a customer on which day, derived from contracts.

Pure functions over plain values, shared by the services that keep ``CustomerSpan`` and the
account's derived fields in step, and by the tests' brute-force references.
"""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

ONE_DAY = dt.timedelta(days=1)


class ContractTerms(NamedTuple):
    start_date: dt.date
    end_date: dt.date | None
    cancelled_on: dt.date | None
    monthly_value: Decimal = Decimal("0")


def covers(first: dt.date, last: dt.date | None, day: dt.date) -> bool:
    """Whether the inclusive run of days [first, last] (``last`` None = open-ended) holds
    ``day``: "a span covers day d", the rule ``customers.models.span_covers`` writes in SQL."""
    return first <= day and (last is None or day <= last)


def last_counting_day(c: ContractTerms) -> dt.date | None:
    """The last day a contract's terms let it count: the earlier of its end date and the day
    before its cancellation; None when open-ended."""
    last = c.end_date
    if c.cancelled_on is not None:
        before_cancel = c.cancelled_on - ONE_DAY
        last = before_cancel if last is None else min(last, before_cancel)
    return last


def active_interval(c: ContractTerms) -> tuple[dt.date, dt.date | None] | None:
    """The inclusive [first, last] days a contract counts; ``last`` None = open-ended; None when
    it never counts (cancelled on or before its first day)."""
    last = last_counting_day(c)
    if last is not None and last < c.start_date:
        return None
    return c.start_date, last


def merge_spans(contracts: Iterable[ContractTerms]) -> list[tuple[dt.date, dt.date | None]]:
    """Maximal runs of consecutive customer days: overlapping or adjacent intervals merge."""
    intervals = sorted(
        (iv for iv in (active_interval(c) for c in contracts) if iv is not None),
        key=lambda iv: iv[0],
    )
    spans: list[list] = []
    for first, last in intervals:
        if spans:
            cur = spans[-1]
            if cur[1] is None or first <= cur[1] + ONE_DAY:
                if cur[1] is not None and (last is None or last > cur[1]):
                    cur[1] = last
                continue
        spans.append([first, last])
    return [(a, b) for a, b in spans]


def is_active_on(c: ContractTerms, day: dt.date) -> bool:
    """ "A contract is active on day d" (DESIGN.md "The ledger"): ``start_date <= d``, no end
    date or ``d <= end_date``, and no cancellation or ``d < cancelled_on``. Takes anything
    with those three attributes (a ``Contract`` too); ``customers.models.contract_active_on``
    writes the same rule in SQL."""
    iv = active_interval(c)
    return iv is not None and covers(iv[0], iv[1], day)


class DerivedStatus(NamedTuple):
    customer_since: dt.date | None
    churned_on: dt.date | None
    mrr: Decimal
    next_renewal_on: dt.date | None


def derive_status(contracts: list[ContractTerms], today: dt.date) -> DerivedStatus:
    """The account's cached status on ``today``.

    - customer since: first day of the span that holds ``today`` (a win-back starts anew);
    - churned on: when not a customer today, the first day after the last span that ended;
    - MRR: sum of the monthly values of the contracts active today;
    - next renewal: the earliest end date, from today on, of a contract active today that is
      not cancelled.
    """
    spans = merge_spans(contracts)
    since = churned = None
    for first, last in spans:
        if covers(first, last, today):
            since = first
    if since is None:
        ended = [last for first, last in spans if last is not None and last < today]
        churned = max(ended) + ONE_DAY if ended else None
    active = [c for c in contracts if is_active_on(c, today)]
    mrr = sum((c.monthly_value for c in active), Decimal("0"))
    renewals = [
        c.end_date
        for c in active
        if c.end_date is not None and c.cancelled_on is None and c.end_date >= today
    ]
    return DerivedStatus(since, churned, mrr, min(renewals) if renewals else None)


def mrr_pieces(
    contracts: Iterable[ContractTerms],
) -> list[tuple[dt.date, dt.date | None, Decimal]]:
    """The account's MRR as a step function: maximal runs of customer days on which the sum of
    the monthly values of the counting contracts stays the same, as inclusive
    ``(first, last, mrr)``; ``last`` None = open-ended. Customer days only (a customer whose
    contracts are all worth 0 has a piece at 0), and a price change inside a customer span
    starts a new piece, so the pieces refine ``merge_spans``."""
    count: dict[dt.date, int] = {}
    value: dict[dt.date, Decimal] = {}
    for c in contracts:
        iv = active_interval(c)
        if iv is None:
            continue
        first, last = iv
        count[first] = count.get(first, 0) + 1
        value[first] = value.get(first, Decimal("0")) + c.monthly_value
        if last is not None:
            after = last + ONE_DAY
            count[after] = count.get(after, 0) - 1
            value[after] = value.get(after, Decimal("0")) - c.monthly_value
    pieces: list[list] = []
    active, mrr = 0, Decimal("0")
    days = sorted(count)
    for i, day in enumerate(days):
        active += count[day]
        mrr += value[day]
        if not active:
            continue
        last = days[i + 1] - ONE_DAY if i + 1 < len(days) else None
        prev = pieces[-1] if pieces else None
        if prev is not None and prev[1] == day - ONE_DAY and prev[2] == mrr:
            prev[1] = last
        else:
            pieces.append([day, last, mrr])
    return [(first, last, mrr) for first, last, mrr in pieces]
