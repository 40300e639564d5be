import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from customers.services import refresh_ledger, update_contract
from retention.figures.metrics import JSON_KEYS
from tests.factories import AccountFactory, ContractFactory, SegmentFactory

from .bad_periods import BAD_PERIODS, as_args

D = dt.date
pytestmark = pytest.mark.django_db
REPO = Path(__file__).resolve().parents[3]


def report(*args: str) -> str:
    out = StringIO()
    call_command("retention_report", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def first_quarter():
    """20 customers at the start of 2026-Q1, 2 of them lost in March; 3 new in January, 2 of
    whom left again in February."""
    smb = SegmentFactory(name="SMB")
    starting = AccountFactory.create_batch(20, segment=smb, owner=None)
    new = AccountFactory.create_batch(3, segment=SegmentFactory(name="Enterprise"), owner=None)
    contracts = [
        ContractFactory(account=a, start_date=D(2025, 1, 1), monthly_value=Decimal("100"))
        for a in starting
    ]
    ContractFactory(account=new[0], start_date=D(2026, 1, 10))
    for account in new[1:]:
        ContractFactory(account=account, start_date=D(2026, 1, 10), end_date=D(2026, 2, 28))
    refresh_ledger(account_ids=[a.pk for a in starting + new])
    for contract in contracts[:2]:
        update_contract(contract=contract, cancelled_on=D(2026, 3, 1))


def test_json_has_exactly_the_design_keys(first_quarter):
    data = json.loads(report("--start", "2026-01-01", "--end", "2026-03-31", "--format", "json"))

    assert tuple(data) == JSON_KEYS
    assert data == {
        "start_customers": 20,
        "new_customers": 3,
        "end_customers": 19,
        "retention_rate": 80.0,
        "retained_customers": 18,
        "cohort_retention_rate": 90.0,
        "churned_customers": 2,
        "churn_rate": 10.0,
        "grr": 90.0,
        "nrr": 90.0,
    }


def test_quarter_shorthand_gives_the_same_figures_as_its_dates(first_quarter):
    by_dates = report("--start", "2026-01-01", "--end", "2026-03-31", "--format", "json")

    assert report("--period", "2026-Q1", "--format", "json") == by_dates
    assert report("--period", "2026-q1", "--format", "json") == by_dates


def test_segment_option_narrows_the_figures(first_quarter):
    data = json.loads(report("--period", "2026-Q1", "--segment", "Enterprise", "--format", "json"))

    assert (data["start_customers"], data["new_customers"], data["end_customers"]) == (0, 3, 1)
    assert data["retention_rate"] is None and data["grr"] is None


def test_table_explains_why_crr_and_cohort_retention_differ(first_quarter):
    table = report("--period", "2026-Q1")

    assert "Retention 2026-Q1 · all segments" in table
    assert "Customers at the start (S)" in table and "80.00 %" in table and "90.00 %" in table
    assert (
        "CRR counts 2 new customers who already left as if they replaced lost ones; "
        "of the 20 customers at the start, 18 stayed (90.00 %)."
    ) in table


def test_table_says_n_a_without_starting_customers():
    table = report("--period", "2026-03")

    assert "Customer retention rate (CRR)  n/a" in table
    assert "Note:" not in table


def test_table_rows_are_aligned(first_quarter):
    lines = [line for line in report("--period", "2026").splitlines() if line.startswith("  ")]

    assert len({len(line) for line in lines}) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2026-03-01", "--end", "2026-02-01"], "ends (2026-02-01) before it starts"),
        (["--start", "2026-02-31", "--end", "2026-03-01"], "“2026-02-31” is not a valid date"),
        (["--start", "01.02.2026", "--end", "2026-03-01"], "“01.02.2026” is not a valid date"),
        (["--start", "2026-01-01"], "Give an end date or a period"),
        (["--period", "2026-Q5"], "“2026-Q5” is not a year"),
        (["--period", "2026-13"], "“2026-13” is not a year"),
        (["--period", "last year"], "“last year” is not a year"),
        (["--period", "2026", "--start", "2026-01-01"], "not both"),
        (["--period", "2026", "--segment", "Gold"], "Unknown segment “Gold”"),
    ],
)
def test_bad_input_is_a_one_line_error_with_exit_status_2(args, message):
    with pytest.raises(CommandError) as error:
        report(*args)

    assert error.value.returncode == 2
    assert message in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(("given", "field", "words"), BAD_PERIODS)
def test_a_period_that_is_no_period_stops_with_the_parsers_message(given, field, words):
    with pytest.raises(CommandError) as error:
        report(*as_args(*given))

    assert error.value.returncode == 2
    assert words in str(error.value)
    assert "\n" not in str(error.value)


def test_command_line_prints_no_traceback_on_bad_input():
    result = subprocess.run(
        [sys.executable, "manage.py", "retention_report", "--period", "2026-Q0"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "CommandError: The period “2026-Q0” is not a year (2026), a month (2026-03) "
        "or a quarter (2026-Q1)."
    ]
