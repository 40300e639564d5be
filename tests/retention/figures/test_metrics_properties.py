"""The SQL figures against a brute-force, day-by-day reference written from DESIGN.md.

The reference reads the raw contract terms (not the maintained spans), so these tests also hold
the customer spans and MRR spans that ``refresh_ledger`` keeps to the ledger rule."""

import datetime as dt
import itertools
import os
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from customers.models import Account, Contract, CustomerSpan, MrrSpan, Segment
from customers.services import refresh_ledger
from retention.figures import selectors
from retention.figures.metrics import JSON_KEYS, retention_figures
from tests.fuzzing import examples

pytestmark = pytest.mark.django_db

BASE = dt.date(2026, 1, 1)
ONE_DAY = dt.timedelta(days=1)
VALUES = [Decimal("0"), Decimal("10.00"), Decimal("25.50"), Decimal("99.99"), Decimal("100.00")]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
EXAMPLES = examples(500 if IN_CI else 100)

_names = itertools.count()


# --- the reference: DESIGN.md, read literally, one day at a time ---


def active_on(contract: dict, day: dt.date) -> bool:
    return (
        contract["start_date"] <= day
        and (contract["end_date"] is None or day <= contract["end_date"])
        and (contract["cancelled_on"] is None or day < contract["cancelled_on"])
    )


def is_customer(contracts: list[dict], day: dt.date) -> bool:
    return any(active_on(c, day) for c in contracts)


def mrr(contracts: list[dict], day: dt.date) -> Decimal:
    return sum((c["monthly_value"] for c in contracts if active_on(c, day)), Decimal("0"))


def rate(part, whole) -> float | None:
    """``part / whole`` in percent, rounded half away from zero to two decimals, exactly."""
    if not whole:
        return None
    exact = Fraction(part) * 100 / Fraction(whole)
    sign = -1 if exact < 0 else 1
    cents = int(abs(exact) * 100 + Fraction(1, 2))
    return float(sign * Fraction(cents, 100))


def reference(histories: dict[int, list[dict]], start: dt.date, end: dt.date) -> dict:
    before = start - ONE_DAY
    days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    s = {a for a, cs in histories.items() if is_customer(cs, before)}
    e = {a for a, cs in histories.items() if is_customer(cs, end)}
    n = {a for a, cs in histories.items() if a not in s and any(is_customer(cs, d) for d in days)}
    mrr_start = sum((mrr(histories[a], before) for a in s), Decimal("0"))
    mrr_end = sum((mrr(histories[a], end) for a in s), Decimal("0"))
    kept = sum((min(mrr(histories[a], before), mrr(histories[a], end)) for a in s), Decimal("0"))
    figures = {
        "start_customers": len(s),
        "new_customers": len(n),
        "end_customers": len(e),
        "retention_rate": rate(len(e) - len(n), len(s)),
        "retained_customers": len(s & e),
        "cohort_retention_rate": rate(len(s & e), len(s)),
        "churned_customers": len(s - e),
        "churn_rate": rate(len(s - e), len(s)),
        "grr": rate(kept, mrr_start) if s else None,
        "nrr": rate(mrr_end, mrr_start) if s else None,
    }
    sets = {"start_customers": s, "new_customers": n, "end_customers": e}
    sets |= {"retained_customers": s & e, "churned_customers": s - e}
    return {"figures": figures, "sets": sets, "mrr_start": mrr_start, "mrr_end": mrr_end}


def check_maintained_tables(histories: dict[int, tuple[Segment, list[dict]]]) -> None:
    """Day by day, each account's customer spans and MRR spans say what its contracts say: one
    piece on each customer day holding the day's MRR, none on other days, and no two touching
    pieces at the same MRR (the pieces are maximal)."""
    last_offset = max([0, *boundaries(histories)]) + 2
    days = [BASE + dt.timedelta(days=n) for n in range(-2, last_offset + 1)]
    for pk, (_segment, cs) in histories.items():
        spans = list(
            CustomerSpan.objects.filter(account_id=pk).values_list("start_date", "end_date")
        )
        pieces = list(
            MrrSpan.objects.filter(account_id=pk)
            .order_by("start_date")
            .values_list("start_date", "end_date", "mrr")
        )
        for day in days:
            holding = [p for p in pieces if p[0] <= day and (p[1] is None or day <= p[1])]
            in_span = [s for s in spans if s[0] <= day and (s[1] is None or day <= s[1])]
            if is_customer(cs, day):
                assert len(holding) == 1 and len(in_span) == 1, (pk, day, pieces)
                assert holding[0][2] == mrr(cs, day), (pk, day, pieces)
            else:
                assert holding == [] and in_span == [], (pk, day, pieces)
        for (_a, last, value), (first, _b, next_value) in itertools.pairwise(pieces):
            assert not (last + ONE_DAY == first and value == next_value), (pk, pieces)


# --- random contract histories ---

day_offsets = st.integers(min_value=0, max_value=45)
# Mostly bounded terms, often renewed back to back: the shapes that move S, N, E and revenue.
contracts = st.fixed_dictionaries(
    {
        "start": day_offsets,
        "length": st.integers(min_value=0, max_value=30).map(lambda n: None if n > 25 else n),
        "cancel_after": st.integers(min_value=0, max_value=60).map(lambda n: None if n > 30 else n),
        "monthly_value": st.sampled_from(VALUES),
        # A renewal: starts this many days after the previous contract's end date.
        "renews_after": st.integers(min_value=0, max_value=5).map(
            lambda n: n if 1 <= n <= 3 else None
        ),
    }
)
accounts = st.lists(
    st.tuples(st.integers(min_value=0, max_value=1), st.lists(contracts, min_size=1, max_size=4)),
    min_size=2,
    max_size=8,
)


def boundaries(histories) -> list[int]:
    """Day offsets next to where a contract starts or stops counting: the edge cases."""
    days = set()
    for _segment, cs in histories.values():
        for c in cs:
            for day in (c["start_date"], c["end_date"], c["cancelled_on"]):
                if day is not None:
                    offset = (day - BASE).days
                    days |= {offset - 1, offset, offset + 1}
    return sorted(days)


def draw_period(data, histories) -> tuple[dt.date, dt.date]:
    """A random period whose ends often sit on a contract boundary."""
    edges = boundaries(histories)
    anywhere = st.integers(min_value=-5, max_value=110)
    first = data.draw(st.sampled_from(edges) | anywhere if edges else anywhere, label="start")
    later = [d for d in edges if d >= first]
    last = data.draw(
        st.sampled_from(later) | st.integers(min_value=first, max_value=first + 60)
        if later
        else st.integers(min_value=first, max_value=first + 60),
        label="end",
    )
    return BASE + dt.timedelta(days=first), BASE + dt.timedelta(days=last)


def terms(drawn: dict, previous: dict | None) -> dict:
    start = BASE + dt.timedelta(days=drawn["start"])
    if drawn["renews_after"] and previous and previous["end_date"]:
        start = previous["end_date"] + dt.timedelta(days=drawn["renews_after"])
    return {
        "start_date": start,
        "end_date": None if drawn["length"] is None else start + dt.timedelta(drawn["length"]),
        "cancelled_on": (
            None
            if drawn["cancel_after"] is None
            else start + dt.timedelta(days=drawn["cancel_after"])
        ),
        "monthly_value": drawn["monthly_value"],
    }


def build(drawn_accounts, segments) -> dict[int, tuple[Segment, list[dict]]]:
    """Write the accounts and their contracts straight to the tables, then refresh the ledger."""
    rows = Account.objects.bulk_create(
        Account(name=f"Property {next(_names)}", segment=segments[seg]) for seg, _ in drawn_accounts
    )
    histories = {}
    contract_rows = []
    for account, (seg, drawn) in zip(rows, drawn_accounts, strict=True):
        account_terms: list[dict] = []
        for d in drawn:
            account_terms.append(terms(d, account_terms[-1] if account_terms else None))
        histories[account.pk] = (segments[seg], account_terms)
        contract_rows += [
            Contract(account=account, reference=f"P-{next(_names)}", **t)
            for t in histories[account.pk][1]
        ]
    Contract.objects.bulk_create(contract_rows)
    refresh_ledger(account_ids=histories, today=BASE)
    return histories


@pytest.fixture
def segments(db):
    return [Segment.objects.create(name="Alpha"), Segment.objects.create(name="Beta")]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    drawn_accounts=accounts,
    segment_choice=st.sampled_from([None, 0, 1]),
    data=st.data(),
)
def test_every_figure_equals_the_day_by_day_reference(
    segments, drawn_accounts, segment_choice, data
):
    segment = None if segment_choice is None else segments[segment_choice]
    with transaction.atomic():
        histories = build(drawn_accounts, segments)
        start, end = draw_period(data, histories)
        in_scope = {
            pk: cs for pk, (seg, cs) in histories.items() if segment is None or seg == segment
        }
        expected = reference(in_scope, start, end)

        check_maintained_tables(histories)

        figures = retention_figures(start=start, end=end, segment=segment)
        # Shown by --hypothesis-show-statistics: how often the examples exercise churn.
        event(f"S={figures.start_customers} churned={figures.churned_customers}")

        assert figures.as_dict() == expected["figures"]
        assert tuple(figures.as_dict()) == JSON_KEYS
        assert figures.mrr_start == expected["mrr_start"]
        assert figures.mrr_end == expected["mrr_end"]
        for key, selector in selectors.ACCOUNTS_BEHIND.items():
            found = set(
                selector(start=start, end=end, segment=segment).values_list("pk", flat=True)
            )
            assert found == expected["sets"][key], key
        transaction.set_rollback(True)
