"""The demo's health score history: weekly over the last 90 days, written as the nightly
scoring run would have written it, so trends show on the first page a user opens."""

import datetime as dt
import itertools

import pytest
from django.db.models import Q
from django.urls import reverse

from crm.models import User
from customers.models import CustomerSpan
from demo.writer import history_days, seed_demo
from retention.health.scoring import score_accounts
from retention.models import AccountHealth, HealthScore

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 15)
YESTERDAY = TODAY - dt.timedelta(days=1)


@pytest.fixture
def book():
    seed_demo(accounts=40, seed=2, today=TODAY)


def test_the_history_is_weekly_over_the_last_90_days_up_to_yesterday(book):
    days = sorted(set(HealthScore.objects.values_list("scored_on", flat=True)))

    assert days == history_days(TODAY)
    assert days[-1] == YESTERDAY
    assert days[0] <= TODAY - dt.timedelta(days=90)
    # The trend looks 30 days back and takes a score up to a week older: weekly always has one.
    assert {later - earlier for earlier, later in itertools.pairwise(days)} == {
        dt.timedelta(days=7)
    }


def test_every_customer_is_scored_and_most_have_a_trend(book):
    customers = CustomerSpan.objects.filter(start_date__lte=YESTERDAY).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=YESTERDAY)
    )
    scored = HealthScore.objects.filter(scored_on=YESTERDAY)

    assert set(scored.values_list("account_id", flat=True)) == set(
        customers.values_list("account_id", flat=True)
    )
    # only customers of less than a month have no score to compare with
    assert scored.exclude(trend=None).count() >= 0.8 * scored.count()
    assert scored.exclude(trend=0).exclude(trend=None).exists()


def test_the_history_is_what_the_nightly_run_would_have_written(book):
    day = YESTERDAY - dt.timedelta(days=7)
    columns = ("account_id", "configuration_id", "score", "band", "previous_score", "trend")
    columns += ("onboarding", "on_watch", "guards", "measures")

    def stored():
        return list(
            HealthScore.objects.filter(scored_on=day).order_by("account_id").values_list(*columns)
        )

    written = stored()
    score_accounts(today=day)

    assert written and stored() == written


def test_the_current_health_of_each_account_is_its_newest_score(book):
    current = AccountHealth.objects.all()

    assert current.count() == HealthScore.objects.values("account_id").distinct().count()
    for health in current:
        newest = HealthScore.objects.filter(account_id=health.account_id).latest()
        assert (health.scored_on, health.score, health.trend) == (
            newest.scored_on,
            newest.score,
            newest.trend,
        )


def test_the_portfolio_shows_trends_right_after_seeding(client):
    seed_demo(accounts=30, seed=2)
    client.force_login(User.objects.get(username="csm"))

    page = client.get(reverse("retention:portfolio")).content.decode()

    assert (
        page.count('class="trend-up"')
        + page.count('class="trend-down"')
        + page.count('title="steady"')
        >= 3
    )
