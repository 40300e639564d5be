"""The team dashboard's selectors: activity per CSM and accounts without contact."""

import datetime as dt

import pytest
from django.utils import timezone

from customers.models import Account
from interactions.selectors import activity_per_csm, without_contact_for

from ..factories import AccountFactory, FollowUpFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def by_user(rows):
    return {r["user"].username: r for r in rows}


def test_activity_counts_the_last_30_days_of_the_accounts_by_author_and_kind(
    csm, teammate, other_csm
):
    now, today = timezone.now(), timezone.localdate()
    mine = AccountFactory(owner=csm, mrr=100)
    theirs = AccountFactory(owner=teammate, mrr=250)
    elsewhere = AccountFactory(owner=other_csm)
    InteractionFactory(account=mine, author=csm, kind="meeting", occurred_at=now)
    InteractionFactory(account=mine, author=csm, kind="call", occurred_at=now)
    InteractionFactory(account=mine, author=csm, kind="email", occurred_at=now)
    InteractionFactory(account=mine, author=csm, occurred_at=now - dt.timedelta(days=31))
    InteractionFactory(account=mine, author=csm, occurred_at=now, deleted_at=now)
    InteractionFactory(account=elsewhere, author=csm, occurred_at=now)  # not in the set
    InteractionFactory(account=theirs, author=other_csm, kind="call", occurred_at=now)
    FollowUpFactory(account=mine, owner=csm, due_on=today - dt.timedelta(days=1))
    FollowUpFactory(account=mine, owner=csm, due_on=today + dt.timedelta(days=3))
    FollowUpFactory(account=theirs, owner=teammate, due_on=today, done_at=now)
    accounts = Account.objects.filter(pk__in=[mine.pk, theirs.pk])
    rows = by_user(activity_per_csm(accounts, today=today))
    assert set(rows) == {csm.username, teammate.username, other_csm.username}
    carla = rows[csm.username]
    assert (carla["interactions"], carla["meetings"], carla["calls"]) == (3, 1, 1)
    assert (carla["open_follow_ups"], carla["overdue"]) == (2, 1)
    assert (carla["accounts"], carla["mrr"]) == (1, 100)
    tom = rows[teammate.username]
    assert (tom["accounts"], tom["mrr"], tom["interactions"], tom["open_follow_ups"]) == (
        1,
        250,
        0,
        0,
    )
    otto = rows[other_csm.username]  # works on the set without owning any of it
    assert (otto["accounts"], otto["interactions"], otto["calls"]) == (0, 1, 1)


def test_without_contact_for_picks_customers_not_met_or_called_within_the_days(csm):
    now = timezone.now()
    AccountFactory(owner=csm, customer_since=dt.date(2024, 1, 1), last_meeting_or_call_at=None)
    AccountFactory(
        owner=csm,
        customer_since=dt.date(2024, 1, 1),
        last_meeting_or_call_at=now - dt.timedelta(days=61),
    )
    AccountFactory(
        owner=csm,
        customer_since=dt.date(2024, 1, 1),
        last_meeting_or_call_at=now - dt.timedelta(days=5),
    )
    AccountFactory(owner=csm, customer_since=None, last_meeting_or_call_at=None)  # a prospect
    customers = Account.objects.filter(customer_since__isnull=False)
    assert customers.filter(without_contact_for(60)).count() == 2
