"""``manage.py score_accounts``: the nightly run, synchronously, without a broker."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from retention.health.scoring import acquire_scoring_lock
from retention.models import HealthScore, RiskFlag
from tests.factories import SentimentReadingFactory, make_customer

# These build scores and flags by hand or test the nightly run from a book without scores.
pytestmark = pytest.mark.usefixtures("health_waits_for_the_night")


def run(*args) -> str:
    out = StringIO()
    call_command("score_accounts", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_command_scores_every_customer_and_says_what_it_did(csm):
    red = make_customer(owner=csm)
    red.last_meeting_or_call_at = timezone.now() - dt.timedelta(days=200)
    red.save()
    SentimentReadingFactory(account=red, sentiment="red")
    make_customer(owner=csm)
    output = run()
    assert f"Scored 2 accounts for {timezone.localdate()}" in output
    assert "1 raised" in output
    assert HealthScore.objects.count() == 2
    assert RiskFlag.objects.count() == 1


@pytest.mark.django_db
def test_running_the_command_twice_changes_nothing(csm):
    make_customer(owner=csm)
    run()
    scores = list(HealthScore.objects.values_list("account_id", "score", "band", "measures"))
    assert "0 raised, 0 updated, 0 resolved" in run()
    assert list(HealthScore.objects.values_list("account_id", "score", "band", "measures")) == (
        scores
    )


@pytest.mark.django_db
def test_the_command_scores_a_past_day(csm):
    make_customer(owner=csm, since=dt.date(2024, 1, 1))
    run("--date", "2025-03-01", "--chunk-size", "10")
    assert list(HealthScore.objects.values_list("scored_on", flat=True)) == [dt.date(2025, 3, 1)]


@pytest.mark.django_db
def test_a_date_that_is_not_a_date_is_an_error():
    with pytest.raises(CommandError, match="not a date"):
        run("--date", "01.03.2025")


@pytest.mark.django_db
def test_a_chunk_size_below_one_is_an_error():
    with pytest.raises(CommandError, match="at least 1"):
        run("--chunk-size", "0")


@pytest.mark.django_db
def test_the_command_refuses_while_another_run_holds_the_lock(csm):
    make_customer(owner=csm)
    acquire_scoring_lock()
    with pytest.raises(CommandError, match="Another scoring run"):
        run()
    assert not HealthScore.objects.exists()
