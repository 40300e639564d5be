"""Each account's current health (``AccountHealth``): written by the scoring run with the
scores, rebuilt from them on demand, filled by the migration from the scores already stored."""

import datetime as dt
import importlib
from types import SimpleNamespace

import pytest
from django.db import connection
from django.utils import timezone

from retention.health import scoring
from retention.models import AccountHealth, HealthScore
from tests.factories import (
    AccountFactory,
    HealthScoreFactory,
    SentimentReadingFactory,
    make_customer,
)

pytestmark = pytest.mark.django_db

COLUMNS = ("scored_on", "score", "band", "previous_score", "trend")


def current() -> dict[int, tuple]:
    return {row[0]: row[1:] for row in AccountHealth.objects.values_list("account_id", *COLUMNS)}


def scores_of(day: dt.date) -> dict[int, tuple]:
    rows = HealthScore.objects.filter(scored_on=day).values_list("account_id", *COLUMNS)
    return {row[0]: row[1:] for row in rows}


def test_the_scoring_run_makes_each_accounts_newest_score_its_current_health(csm):
    today = timezone.localdate()
    quiet = make_customer(owner=csm, since=dt.date(2024, 1, 1))
    unhappy = make_customer(owner=csm, since=dt.date(2024, 1, 1))
    SentimentReadingFactory(account=unhappy, sentiment="red")
    prospect = AccountFactory(owner=csm)
    scoring.score_accounts(today=today - dt.timedelta(days=30), chunk_size=1)
    scoring.score_accounts(today=today, chunk_size=1)
    assert current() == scores_of(today)
    assert set(current()) == {quiet.pk, unhappy.pk}
    assert prospect.pk not in current()
    assert current()[unhappy.pk][2] != current()[quiet.pk][2]  # different bands: real copies


def test_scoring_twice_on_a_day_leaves_one_row_per_account(csm):
    make_customer(owner=csm)
    scoring.score_accounts()
    before = current()
    scoring.score_accounts()
    assert current() == before and AccountHealth.objects.count() == 1


def test_scoring_a_past_day_leaves_the_later_score_current(csm):
    today = timezone.localdate()
    account = make_customer(owner=csm, since=dt.date(2024, 1, 1))
    scoring.score_accounts(today=today)
    scoring.score_accounts(today=today - dt.timedelta(days=60))
    assert HealthScore.objects.filter(account=account).count() == 2
    assert current()[account.pk][0] == today


def test_rebuilding_recomputes_from_the_stored_scores(csm):
    today = timezone.localdate()
    account = AccountFactory(owner=csm)
    other = AccountFactory(owner=csm)
    HealthScoreFactory(
        account=account, scored_on=today - dt.timedelta(days=30), score=40, band="red"
    )
    HealthScoreFactory(account=account, scored_on=today, score=75, band="yellow")
    HealthScoreFactory(account=other, scored_on=today, score=90, band="green")
    HealthScore.objects.filter(account=account, scored_on=today).delete()
    HealthScore.objects.filter(account=other).delete()
    assert scoring.rebuild_current_health(account_ids=[account.pk]) == 1
    assert current()[account.pk][:3] == (today - dt.timedelta(days=30), 40, "red")
    assert other.pk in current()  # not asked for: left as it was
    assert scoring.rebuild_current_health() == 1
    assert set(current()) == {account.pk}


def test_the_migration_fills_the_newest_score_of_every_account(csm):
    today = timezone.localdate()
    first, second = AccountFactory(owner=csm), AccountFactory(owner=csm)
    for days_ago, points, band in ((60, 30, "red"), (0, 70, "yellow"), (30, 50, "red")):
        HealthScoreFactory(
            account=first, scored_on=today - dt.timedelta(days=days_ago), score=points, band=band
        )
    HealthScoreFactory(account=second, scored_on=today - dt.timedelta(days=5), score=None, band="")
    AccountHealth.objects.all().delete()
    migration = importlib.import_module("retention.migrations.0005_account_health")

    def execute(sql):
        with connection.cursor() as cursor:
            cursor.execute(sql)

    migration.fill_current_health(None, SimpleNamespace(connection=connection, execute=execute))
    assert current() == {
        first.pk: (today, 70, "yellow", None, None),
        second.pk: (today - dt.timedelta(days=5), None, "", None, None),
    }


def test_deleting_an_account_deletes_its_current_health(csm):
    account = AccountFactory(owner=csm)
    HealthScoreFactory(account=account)
    account.delete()
    assert not AccountHealth.objects.exists()
