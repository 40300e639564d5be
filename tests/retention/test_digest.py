"""The daily digest: one email per user and day, in their language, saying what is due, what
became red, the new flags (each told once) and what waits; opted-out users get none."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from crm import inbox
from crm.models import PendingTask
from customers.models import Contract
from retention import digest, tasks
from retention.models import RiskFlag

from ..factories import (
    FollowUpFactory,
    HealthScoreFactory,
    OwnershipTransferFactory,
    RiskFlagFactory,
    make_customer,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def later(days: int) -> dt.date:
    return TODAY + dt.timedelta(days=days)


@pytest.fixture
def day_of(csm, teammate):
    """Carla's day: a follow-up due, an account that turned red, a new flag, a renewal due
    and a handover waiting; Tom's account has a flag too."""
    acme = make_customer(owner=csm, name="Acme GmbH", since=dt.date(2024, 1, 1), end_date=later(20))
    FollowUpFactory(account=acme, owner=csm, title="Send prices", due_on=TODAY)
    HealthScoreFactory(
        account=acme, scored_on=TODAY - dt.timedelta(days=1), score=60, band="yellow"
    )
    HealthScoreFactory(account=acme, scored_on=TODAY, score=40, band="red")
    RiskFlagFactory(account=acme, explanation="score 40 is red")
    globex = make_customer(owner=teammate, name="Globex AG")
    RiskFlagFactory(account=globex, reason=RiskFlag.Reason.CHAMPION_LEFT, explanation="gone")
    OwnershipTransferFactory(
        account=make_customer(owner=csm, name="Handed AG"), to_owner=csm, from_owner=teammate
    )
    return acme


def test_the_digest_says_what_is_due_red_flagged_and_waiting(csm, day_of):
    assert digest.send_digest(user_id=csm.pk, day=TODAY)
    (message,) = mail.outbox
    assert message.to == [csm.email]
    body = message.body
    assert "Follow-up: Send prices — Acme GmbH" in body
    assert "Became red:" in body and "Acme GmbH (score 40)" in body
    assert "score 40 is red" in body
    assert "Renewals due within 90 days" in body
    assert "handover of Handed AG to acknowledge" in body
    assert "Globex" not in body and "gone" not in body


def test_a_digest_is_sent_once_a_day_even_when_the_task_runs_twice(csm, day_of):
    assert digest.send_digest(user_id=csm.pk, day=TODAY) is True
    assert digest.send_digest(user_id=csm.pk, day=TODAY) is False
    assert len(mail.outbox) == 1
    assert digest.send_digest(user_id=csm.pk, day=later(1)) is True  # tomorrow's
    assert "score 40 is red" not in mail.outbox[1].body  # each flag is told once


def test_an_opted_out_user_gets_no_email_but_their_inbox(csm, day_of):
    csm.daily_digest = False
    csm.save()
    sent = []
    result = digest.start_daily_run(today=TODAY, send=lambda uid, d: sent.append(uid))
    assert csm.pk not in sent and result["follow_ups_due"] == 1
    assert inbox.unread_count(csm) >= 1  # the follow-up due is in the inbox all the same


def test_nothing_to_say_sends_nothing(csm):
    make_customer(owner=csm).mark_contacted(timezone.now())
    assert digest.send_digest(user_id=csm.pk, day=TODAY) is False
    assert mail.outbox == []


def test_when_sending_fails_the_claims_are_given_back(csm, day_of, monkeypatch):
    def broken(self, messages):
        raise OSError("mail server down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", broken)
    with pytest.raises(OSError):
        digest.send_digest(user_id=csm.pk, day=TODAY)
    csm.refresh_from_db()
    assert csm.digest_sent_on is None
    assert RiskFlag.objects.get(account=day_of).notified_at is None


def test_the_renewal_list_leaves_out_confirmed_renewals(csm, day_of):
    confirmed = make_customer(
        owner=csm, name="Confirmed AG", since=dt.date(2024, 1, 1), end_date=later(25)
    )
    Contract.objects.filter(account=confirmed).update(renewal_confirmed=True)
    RiskFlagFactory(account=confirmed, measured_value=Decimal("20"))
    digest.send_digest(user_id=csm.pk, day=TODAY)
    (message,) = mail.outbox
    renewals = message.body.split("Renewals due")[1]
    assert "Acme GmbH: " in renewals and "Confirmed AG:" not in renewals


def test_the_run_sends_through_the_outbox_when_the_broker_is_down(
    csm, teammate, day_of, settings, django_capture_on_commit_callbacks
):
    # The broker at a closed port, with the app's connection pool rebuilt for it (a pool
    # still connected to CI's Redis would deliver instead of keeping).
    from tests.faults.helpers import DEAD_REDIS, celery_app_on

    settings.CELERY_BROKER_URL = DEAD_REDIS
    with celery_app_on(DEAD_REDIS), django_capture_on_commit_callbacks(execute=True):
        result = tasks.send_daily_digests.run(TODAY.isoformat())
    assert result["users"] >= 2
    kept = PendingTask.objects.filter(task="retention.tasks.send_daily_digest")
    assert {row.args[0] for row in kept} >= {csm.pk, teammate.pk}
