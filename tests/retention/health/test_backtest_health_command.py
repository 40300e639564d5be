"""``manage.py backtest_health``: how churned accounts scored before they left."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from retention.health.facts import day_start
from retention.health.scoring import backtest
from retention.models import HealthScore, RiskFlag
from tests.factories import (
    HealthScoreFactory,
    InteractionFactory,
    RiskFlagFactory,
    make_customer,
)


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def churned(csm):
    """Two accounts that left 20 days ago after three years; one was flagged before."""
    left = today() - dt.timedelta(days=20)
    stored = make_customer(owner=csm, since=dt.date(2022, 1, 1), end_date=left)
    computed = make_customer(owner=csm, since=dt.date(2022, 1, 1), end_date=left)
    left_on = left + dt.timedelta(days=1)
    HealthScoreFactory(
        account=stored, scored_on=left_on - dt.timedelta(days=92), score=40, band="red"
    )
    InteractionFactory(
        account=computed,
        kind="call",
        occurred_at=day_start(left_on - dt.timedelta(days=190)),
    )
    RiskFlagFactory(account=stored, raised_on=left_on - dt.timedelta(days=30))
    return stored, computed


@pytest.mark.django_db
def test_backtest_reads_stored_scores_and_scores_the_rest_as_of_that_day(churned):
    result = backtest()
    assert result["churns"] == 2
    at_90 = result["offsets"][90]
    assert (at_90["from_history"], at_90["computed"], at_90["scored"]) == (1, 1, 2)
    assert at_90["red"] >= 1
    assert result["flagged"] == 1
    assert result["offsets"][180]["computed"] == 2


@pytest.mark.django_db
def test_backtest_writes_nothing(churned):
    scores, flags = HealthScore.objects.count(), RiskFlag.objects.count()
    backtest()
    assert (HealthScore.objects.count(), RiskFlag.objects.count()) == (scores, flags)


@pytest.mark.django_db
def test_the_command_prints_the_figures(churned):
    out = StringIO()
    call_command("backtest_health", stdout=out)
    text = out.getvalue()
    assert "Churns: 2" in text
    assert "90 days before" in text
    assert "180 days before" in text
    assert "Flagged in the 180 days before leaving: 1 of 2 (50.0 %)" in text


@pytest.mark.django_db
def test_with_no_churn_the_command_says_so():
    out = StringIO()
    call_command("backtest_health", stdout=out)
    assert "no account has churned" in out.getvalue()


@pytest.mark.django_db
def test_bad_offsets_are_an_error():
    with pytest.raises(CommandError):
        call_command("backtest_health", "--offsets", "0", stdout=StringIO())
