"""Monthly retention snapshots: the service, its Celery task and its beat schedule."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django_celery_beat.models import PeriodicTask

from customers.services import refresh_ledger, update_contract
from retention import tasks
from retention.figures import snapshots
from retention.figures.metrics import RetentionError, retention_figures
from retention.figures.snapshots import snapshot_closed_months, snapshot_month
from retention.models import MonthlySnapshot
from tests.factories import AccountFactory, ContractFactory, MonthlySnapshotFactory, SegmentFactory
from tests.faults.helpers import flaky

D = dt.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def book():
    """Four SMB customers since 2025 (one lost in February 2026), one enterprise customer
    since 2025 who doubles in March 2026, and one enterprise newcomer in February 2026."""
    smb, enterprise = SegmentFactory(name="SMB"), SegmentFactory(name="Enterprise")
    accounts = AccountFactory.create_batch(4, segment=smb, owner=None)
    big, newcomer = AccountFactory.create_batch(2, segment=enterprise, owner=None)
    contracts = [ContractFactory(account=a, start_date=D(2025, 1, 1)) for a in [*accounts, big]]
    ContractFactory(account=big, start_date=D(2026, 3, 1), monthly_value=Decimal("1000"))
    ContractFactory(account=newcomer, start_date=D(2026, 2, 10))
    refresh_ledger(account_ids=[a.pk for a in [*accounts, big, newcomer]])
    update_contract(contract=contracts[0], cancelled_on=D(2026, 2, 20))
    return {"smb": smb, "enterprise": enterprise, "contracts": contracts}


def figures_of(snapshot):
    return {
        field: getattr(snapshot, field)
        for field in (
            "start_customers",
            "new_customers",
            "end_customers",
            "retained_customers",
            "churned_customers",
            "retention_rate",
            "cohort_retention_rate",
            "churn_rate",
            "grr",
            "nrr",
        )
    }


def test_snapshot_stores_the_months_figures_overall_and_per_segment(book):
    rows = snapshot_month(month=D(2026, 2, 1), today=D(2026, 3, 1))

    assert [(r.month, r.segment) for r in rows] == [
        (D(2026, 2, 1), None),
        (D(2026, 2, 1), book["enterprise"]),
        (D(2026, 2, 1), book["smb"]),
    ]
    overall = MonthlySnapshot.objects.get(month=D(2026, 2, 1), segment=None)
    expected = retention_figures(start=D(2026, 2, 1), end=D(2026, 2, 28))
    assert figures_of(overall) == {key: getattr(expected, key) for key in figures_of(overall)}
    assert (overall.start_customers, overall.new_customers, overall.end_customers) == (5, 1, 5)
    assert overall.churn_rate == Decimal("20.00") and overall.mrr_start == Decimal("5000.00")
    smb = MonthlySnapshot.objects.get(month=D(2026, 2, 1), segment=book["smb"])
    assert (smb.start_customers, smb.churned_customers, smb.grr) == (4, 1, Decimal("75.00"))


def test_recomputing_a_month_replaces_its_snapshots(book):
    snapshot_month(month=D(2026, 3, 15), today=D(2026, 4, 1))
    first = MonthlySnapshot.objects.get(month=D(2026, 3, 1), segment=None)
    assert first.nrr == Decimal("120.00")  # 6000 / 5000

    # A correction: the upgrade was never signed.
    book["contracts"][-1].account.contracts.filter(start_date=D(2026, 3, 1)).delete()
    refresh_ledger(account_ids=[book["contracts"][-1].account_id])
    snapshot_month(month=D(2026, 3, 1), today=D(2026, 4, 1))

    assert MonthlySnapshot.objects.filter(month=D(2026, 3, 1)).count() == 3
    again = MonthlySnapshot.objects.get(month=D(2026, 3, 1), segment=None)
    assert again.pk == first.pk and again.nrr == Decimal("100.00")


def test_month_not_over_yet_is_refused():
    with pytest.raises(RetentionError, match="2026-03 is not over yet"):
        snapshot_month(month=D(2026, 3, 1), today=D(2026, 3, 31))
    assert not MonthlySnapshot.objects.exists()


def test_closed_months_run_twice_store_each_month_once(book):
    summary = snapshot_closed_months(months=3, today=D(2026, 4, 10))
    again = snapshot_closed_months(months=3, today=D(2026, 4, 10))

    assert summary == again == {"months": 3, "snapshots": 9}
    assert MonthlySnapshot.objects.count() == 9
    assert sorted(set(MonthlySnapshot.objects.values_list("month", flat=True))) == [
        D(2026, 1, 1),
        D(2026, 2, 1),
        D(2026, 3, 1),
    ]


def test_one_overall_snapshot_per_month_is_enforced_by_the_database():
    segment = SegmentFactory(name="SMB")
    MonthlySnapshotFactory(month=D(2026, 1, 1), segment=None)
    MonthlySnapshotFactory(month=D(2026, 1, 1), segment=segment)
    MonthlySnapshotFactory(month=D(2026, 2, 1), segment=None)

    for duplicate in (None, segment):
        with pytest.raises(IntegrityError), transaction.atomic():
            MonthlySnapshotFactory(month=D(2026, 1, 1), segment=duplicate)


@time_machine.travel(dt.datetime(2026, 5, 1, 2, 0, tzinfo=dt.UTC), tick=False)
def test_task_snapshots_the_closed_months_and_is_idempotent(book):
    first = tasks.snapshot_closed_months.apply(kwargs={"months": 2}).get()
    second = tasks.snapshot_closed_months.apply(kwargs={"months": 2}).get()

    assert first == second == {"months": 2, "snapshots": 6}
    assert sorted(set(MonthlySnapshot.objects.values_list("month", flat=True))) == [
        D(2026, 3, 1),
        D(2026, 4, 1),
    ]


@time_machine.travel(dt.datetime(2026, 5, 1, 2, 0, tzinfo=dt.UTC), tick=False)
def test_task_runs_again_after_a_database_error_and_stores_the_months(book, monkeypatch):
    attempts = flaky(monkeypatch, snapshots, "snapshot_closed_months", failures=1)

    result = tasks.snapshot_closed_months.apply(kwargs={"months": 2})

    assert result.get() == {"months": 2, "snapshots": 6} and len(attempts) == 2
    assert MonthlySnapshot.objects.count() == 6


def test_beat_runs_the_snapshots_on_the_first_of_each_month_at_two():
    periodic = PeriodicTask.objects.get(task="retention.tasks.snapshot_closed_months")

    crontab = periodic.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_month) == ("0", "2", "1")
    assert (crontab.month_of_year, crontab.day_of_week) == ("*", "*")
    assert periodic.enabled
