import datetime as dt
from decimal import Decimal

import pytest

from customers.models import BudgetBand
from customers.services import refresh_ledger
from retention.figures.breakdowns import (
    DIMENSIONS,
    OTHER_TEAMS,
    all_breakdowns,
    breakdown,
    churn_reasons,
    owners_seen_by,
)
from retention.figures.metrics import retention_figures
from tests.factories import (
    AccountFactory,
    ChurnReasonFactory,
    ChurnRecordFactory,
    ContractFactory,
    SegmentFactory,
)

D = dt.date
pytestmark = pytest.mark.django_db
START, END = D(2026, 1, 1), D(2026, 3, 31)
SINCE = D(2025, 1, 1)


def customer(*, since=SINCE, until=None, **fields):
    fields.setdefault("owner", None)
    account = AccountFactory(**fields)
    ContractFactory(account=account, start_date=since, end_date=until, monthly_value=Decimal("1"))
    refresh_ledger(account_ids=[account.pk])
    return account


def by_label(rows):
    return {row.label: row for row in rows}


def test_breakdown_by_segment_shows_where_the_churn_is():
    smb, enterprise = SegmentFactory(name="SMB"), SegmentFactory(name="Enterprise")
    for _ in range(3):
        customer(segment=smb)
    customer(segment=smb, until=D(2026, 2, 10))
    customer(segment=smb, until=D(2026, 3, 1))
    customer(segment=enterprise)
    customer(segment=enterprise, since=D(2026, 2, 1))
    customer(segment=None, since=D(2026, 2, 1), until=D(2026, 2, 20))

    rows = by_label(breakdown(start=START, end=END, dimension="segment"))

    assert list(rows) == ["SMB", "Enterprise", "No segment"]
    smb_row = rows["SMB"]
    assert (smb_row.start_customers, smb_row.churned_customers) == (5, 2)
    assert smb_row.churn_rate == Decimal("40.00") and smb_row.key == str(smb.pk)
    enterprise_row = rows["Enterprise"]
    assert (enterprise_row.start_customers, enterprise_row.new_customers) == (1, 1)
    assert enterprise_row.end_customers == 2 and enterprise_row.cohort_retention_rate == 100
    no_segment = rows["No segment"]
    assert (no_segment.start_customers, no_segment.new_customers) == (0, 1)
    assert no_segment.churn_rate is None and no_segment.key == ""


def test_breakdown_by_company_size_uses_employee_bands():
    for employees in (1, 49, 50, 249, 250, 999, 1000, 25000, None):
        customer(employees=employees)
    customer(employees=60, until=D(2026, 1, 15))

    rows = by_label(breakdown(start=START, end=END, dimension="size"))

    assert {label: row.start_customers for label, row in rows.items()} == {
        "1–49": 2,
        "50–249": 3,
        "250–999": 2,
        "1000+": 2,
        "Not recorded": 1,
    }
    assert rows["50–249"].churned_customers == 1
    assert rows["50–249"].cohort_retention_rate == Decimal("66.67")


def test_breakdown_by_industry_budget_and_owner(csm, teammate):
    customer(industry="Retail", budget_band=BudgetBand.UNDER_10K, owner=csm)
    customer(industry="Retail", budget_band=BudgetBand.UNDER_10K, owner=csm, until=D(2026, 3, 3))
    customer(industry="", budget_band="", owner=teammate)
    customer(industry="Logistics", budget_band=BudgetBand.OVER_1M, owner=None)

    industry = by_label(breakdown(start=START, end=END, dimension="industry"))
    budget = by_label(breakdown(start=START, end=END, dimension="budget"))
    owner = by_label(breakdown(start=START, end=END, dimension="owner"))

    assert industry["Retail"].churn_rate == Decimal("50.00")
    assert set(industry) == {"Retail", "Logistics", "Not recorded"}
    assert budget["under 10k"].churned_customers == 1 and budget["under 10k"].key == "lt10k"
    assert set(budget) == {"under 10k", "over 1M", "Not recorded"}
    assert owner["Carla CSM"].churned_customers == 1 and owner["Carla CSM"].key == str(csm.pk)
    assert owner["Tom Teammate"].churn_rate == 0
    assert owner["Unassigned"].start_customers == 1


def test_groups_add_up_to_the_overall_figures():
    smb = SegmentFactory(name="SMB")
    customer(segment=smb, employees=10)
    customer(segment=smb, employees=500, until=D(2026, 2, 1))
    customer(segment=None, employees=2000, since=D(2026, 3, 1))
    overall = retention_figures(start=START, end=END)

    for dimension in DIMENSIONS:
        rows = breakdown(start=START, end=END, dimension=dimension)
        assert sum(r.start_customers for r in rows) == overall.start_customers, dimension
        assert sum(r.new_customers for r in rows) == overall.new_customers, dimension
        assert sum(r.churned_customers for r in rows) == overall.churned_customers, dimension


def test_breakdown_within_a_segment():
    smb, enterprise = SegmentFactory(name="SMB"), SegmentFactory(name="Enterprise")
    customer(segment=smb, industry="Retail")
    customer(segment=enterprise, industry="Retail", until=D(2026, 1, 5))

    rows = breakdown(start=START, end=END, dimension="industry", segment="SMB")

    assert [(r.label, r.start_customers, r.churned_customers) for r in rows] == [("Retail", 1, 0)]


def test_each_breakdown_is_one_query(django_assert_num_queries):
    customer(segment=SegmentFactory(name="SMB"))
    for dimension in DIMENSIONS:
        with django_assert_num_queries(1):
            breakdown(start=START, end=END, dimension=dimension)
    with django_assert_num_queries(1):
        churn_reasons(start=START, end=END)


def test_unknown_dimension_is_refused():
    with pytest.raises(ValueError, match="Unknown breakdown “colour”"):
        breakdown(start=START, end=END, dimension="colour")


def test_churn_reasons_of_the_customers_lost_in_the_period():
    price, support = ChurnReasonFactory(name="Price"), ChurnReasonFactory(name="Support")
    for _ in range(2):
        lost = customer(until=D(2026, 1, 31))
        ChurnRecordFactory(account=lost, churned_on=D(2026, 2, 1), reason=price)
    lost = customer(until=D(2026, 2, 14))
    ChurnRecordFactory(account=lost, churned_on=D(2026, 2, 15), reason=support)
    customer(until=D(2026, 3, 30))  # lost, no reason recorded
    # An earlier churn's record does not explain this one.
    back = customer(until=D(2026, 3, 9))
    ContractFactory(account=back, start_date=D(2024, 1, 1), end_date=D(2024, 6, 30))
    refresh_ledger(account_ids=[back.pk])
    ChurnRecordFactory(account=back, churned_on=D(2024, 7, 1), reason=support)
    # Left and came back within the period: retained, not churned.
    returned = customer(until=D(2026, 1, 20))
    ContractFactory(account=returned, start_date=D(2026, 2, 1))
    refresh_ledger(account_ids=[returned.pk])
    ChurnRecordFactory(account=returned, churned_on=D(2026, 1, 21), reason=price)
    customer()  # stays

    rows = churn_reasons(start=START, end=END)

    assert [(r.label, r.churned_customers, r.share_of_churned) for r in rows] == [
        ("Not recorded", 2, Decimal("40.00")),
        ("Price", 2, Decimal("40.00")),
        ("Support", 1, Decimal("20.00")),
    ]
    assert rows[1].key == str(price.pk) and rows[0].key == ""
    assert (
        sum(r.churned_customers for r in rows)
        == retention_figures(start=START, end=END).churned_customers
    )


def test_all_breakdowns_in_one_query_equal_each_breakdown_and_the_figures(
    csm, teammate, django_assert_num_queries
):
    smb, enterprise = SegmentFactory(name="SMB"), SegmentFactory(name="Enterprise")
    customer(segment=smb, industry="Retail", employees=10, owner=csm)
    customer(segment=smb, industry="Retail", until=D(2026, 2, 10), owner=teammate)
    customer(segment=enterprise, employees=500, budget_band=BudgetBand.FROM_50K)
    customer(segment=enterprise, since=D(2026, 2, 1), owner=csm)
    # new in the period twice (left and came back): one new customer, not two
    twice = customer(segment=None, since=D(2026, 1, 5), until=D(2026, 1, 20))
    ContractFactory(account=twice, start_date=D(2026, 2, 1), end_date=None)
    refresh_ledger(account_ids=[twice.pk])

    for segment in (None, smb, enterprise):
        with django_assert_num_queries(1):
            totals, tables = all_breakdowns(start=START, end=END, segment=segment)
        figures = retention_figures(start=START, end=END, segment=segment)
        assert totals["start_customers"] == figures.start_customers
        assert totals["new_customers"] == figures.new_customers
        assert totals["end_customers"] == figures.end_customers
        assert totals["end_customers"] - totals["end_new"] == figures.retained_customers
        assert set(tables) == set(DIMENSIONS)
        for dimension in DIMENSIONS:
            one = breakdown(start=START, end=END, dimension=dimension, segment=segment)
            assert tables[dimension] == one, dimension
            assert sum(row.new_customers for row in one) == figures.new_customers
    totals, _tables = all_breakdowns(start=START, end=END)
    assert totals["new_customers"] == 2  # the enterprise customer and the one who came twice


def test_owners_are_named_as_far_as_the_readers_scope_goes(
    csm, teammate, team_lead, other_csm, admin_user
):
    customer(owner=csm)
    customer(owner=teammate, until=D(2026, 2, 1))
    customer(owner=other_csm)
    customer(owner=other_csm, until=D(2026, 2, 1))
    customer(owner=None)
    rows = breakdown(start=START, end=END, dimension="owner")

    def seen(user):
        return {r.key: (r.start_customers, r.churned_customers) for r in owners_seen_by(user, rows)}

    ours = {str(csm.pk): (1, 0), str(teammate.pk): (1, 1), "": (1, 0)}
    assert seen(team_lead) == {**ours, OTHER_TEAMS: (2, 1)}
    assert seen(csm) == seen(team_lead)  # a CSM's people are their team too
    assert seen(admin_user) == {**ours, str(other_csm.pk): (2, 1)}
    assert owners_seen_by(team_lead, rows)[-1].label == "Other teams"
