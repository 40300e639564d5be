"""crm/events.py: typed events published by the lower apps' services, heard by handlers the
higher apps subscribe in their ``AppConfig.ready``."""

import pytest
from django.db import transaction

from crm import events
from crm.models import Team


def test_who_listens_to_what():
    # The list of handlers is part of the design: a new listener shows up here.
    assert events.handlers() == {
        "AccountChanged": [
            "retention.follow.rescore_account",
            "retention.playbooks.triggers.on_account_changed",
        ],
        "AccountsChanged": ["retention.follow.rescore_accounts_later"],
        "CustomerSpanStarted": ["retention.playbooks.triggers.on_customer_span_started"],
        "OwnershipTransferred": ["retention.playbooks.triggers.on_ownership_transferred"],
        "FeedbackRecorded": ["retention.playbooks.triggers.on_feedback_recorded"],
        "FlagRaised": ["retention.playbooks.triggers.on_flag_raised"],
        "FollowUpsDone": ["retention.playbooks.triggers.on_follow_ups_done"],
    }


def test_a_handler_hears_its_event_type_only_in_the_order_subscribed(
    health_waits_for_the_night, listen
):
    first, second = listen(events.FeedbackRecorded), listen(events.FeedbackRecorded)
    flags = listen(events.FlagRaised)
    events.publish(events.FeedbackRecorded(7))
    assert first == second == [events.FeedbackRecorded(7)]
    assert flags == []


def test_subscribing_the_same_handler_twice_calls_it_once(health_waits_for_the_night, listen):
    heard = listen(events.FlagRaised)
    events.subscribe(events.FlagRaised, heard.append)
    events.publish(events.FlagRaised(3))
    assert heard == [events.FlagRaised(3)]


def test_only_the_events_of_this_module_can_be_published_or_heard():
    with pytest.raises(TypeError):
        events.publish({"account_id": 1})
    with pytest.raises(TypeError):
        events.subscribe(dict, print)


@pytest.mark.django_db
def test_what_a_handler_writes_rolls_back_with_the_write_that_published(listen):
    def make_team(event):
        Team.objects.create(name=f"Team of flag {event.flag_id}")

    events.subscribe(events.FlagRaised, make_team)

    with pytest.raises(RuntimeError), transaction.atomic():
        events.publish(events.FlagRaised(1))
        assert Team.objects.filter(name="Team of flag 1").exists()  # at once, inside
        raise RuntimeError("the write failed after publishing")
    assert not Team.objects.exists()


def test_announce_says_one_account_now_and_many_in_bulk(health_waits_for_the_night, listen):
    one, many = listen(events.AccountChanged), listen(events.AccountsChanged)
    events.announce([4], events.What.CONTRACT)
    events.announce({5, 6}, events.What.CONTRACT)
    events.announce([], events.What.CONTRACT)
    assert one == [events.AccountChanged(4, events.What.CONTRACT)]
    assert many == [events.AccountsChanged({5, 6}, events.What.CONTRACT)]
    assert many[0].account_ids == frozenset({5, 6})
