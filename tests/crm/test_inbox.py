"""The inbox: each kind of event puts one item in the right inbox (in the transaction of the
write), dealing with its cause settles it, and the navigation counts what is unread."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from crm import inbox
from crm.models import InboxItem
from customers import services as customer_services
from interactions import services as interaction_services
from interactions.calendar.reminders import post_due_follow_ups

from ..factories import (
    AccountFactory,
    FollowUpFactory,
    InboxItemFactory,
    make_customer,
)

pytestmark = pytest.mark.django_db


def unread(user) -> int:
    return inbox.unread_count(user)


def texts(user) -> list[str]:
    return [inbox.worded(i) for i in inbox.items_for(user)]


def test_an_account_handed_to_me_waits_until_i_acknowledge_it(csm, teammate, team_lead):
    account = AccountFactory(owner=teammate, name="Acme")
    transfer = customer_services.transfer_ownership(
        account=account, to_owner=csm, by=team_lead, reason="Tom leaves"
    )
    assert unread(csm) == 1
    assert texts(csm) == ["Acme was handed to you by Lena Lead: read the handover, acknowledge it"]
    customer_services.acknowledge_handover(transfer=transfer, user=csm)
    assert unread(csm) == 0


def test_a_portfolio_handed_over_is_one_item(csm, teammate, team_lead):
    for i in range(3):
        AccountFactory(owner=teammate, name=f"T{i}")
    customer_services.transfer_portfolio(
        from_owner=teammate, to_owner=csm, by=team_lead, reason="Tom leaves"
    )
    assert unread(csm) == 1
    assert texts(csm) == ["3 accounts of Tom Teammate were handed to you by Lena Lead"]


def test_follow_ups_due_are_posted_once_and_settled_when_done(csm):
    account = AccountFactory(owner=csm, name="Acme")
    today = timezone.localdate()
    due = FollowUpFactory(account=account, owner=csm, title="Send prices", due_on=today)
    FollowUpFactory(account=account, owner=csm, due_on=today + dt.timedelta(days=3))
    assert post_due_follow_ups(today=today) == 1
    assert post_due_follow_ups(today=today) == 1  # the next run posts nothing new
    assert unread(csm) == 1
    assert texts(csm) == ["Follow-up due today: Send prices — Acme"]
    interaction_services.complete_follow_up(follow_up=due)
    assert unread(csm) == 0


def test_an_overdue_follow_up_says_since_when_in_the_readers_language(csm):
    account = AccountFactory(owner=csm, name="Acme")
    day = timezone.localdate() - dt.timedelta(days=3)
    FollowUpFactory(account=account, owner=csm, title="Send prices", due_on=day)
    post_due_follow_ups()
    with translation.override("de"):
        [text] = texts(csm)
    assert text.startswith("Follow-up überfällig seit ") and day.strftime("%d.%m.%Y") in text


def test_a_detractor_answer_tells_the_owner(csm):
    account = AccountFactory(owner=csm, name="Acme")
    today = timezone.localdate()
    interaction_services.record_feedback(account=account, kind="nps", score=9, received_on=today)
    assert unread(csm) == 0
    interaction_services.record_feedback(account=account, kind="nps", score=3, received_on=today)
    assert texts(csm) == ["Detractor answer from Acme: NPS 3"]


def test_an_inactive_user_gets_nothing(csm, teammate, team_lead):
    csm.is_active = False
    csm.save()
    FollowUpFactory(account=AccountFactory(owner=csm), owner=csm, due_on=timezone.localdate())
    post_due_follow_ups()
    assert not InboxItem.objects.exists()


def test_a_link_must_be_a_path_on_this_site(csm):
    for link in ("https://evil.example/", "//evil.example/"):
        with pytest.raises(ValueError):
            inbox.post(user=csm, kind="task_due", message="x", topic="t", link=link)


# --- the pages -----------------------------------------------------------------------------


def test_the_navigation_counts_unread_items(client, csm, django_assert_max_num_queries):
    InboxItemFactory.create_batch(3, user=csm)
    InboxItemFactory(user=csm, read_at=timezone.now())
    client.force_login(csm)
    response = client.get(reverse("customers:account_list"))
    assert '<span id="inbox-count"' in response.content.decode()
    assert response.context["nav"]["inbox_unread"] == 3


def test_opening_an_item_reads_it_and_goes_to_its_place(client, csm):
    account = make_customer(owner=csm)
    item = InboxItemFactory(user=csm, link=account.get_absolute_url())
    client.force_login(csm)
    response = client.get(reverse("inbox_open", args=[item.pk]))
    assert response.status_code == 302 and response["Location"] == account.get_absolute_url()
    item.refresh_from_db()
    assert item.is_read


def test_another_users_item_does_not_exist_for_me(client, csm, teammate):
    item = InboxItemFactory(user=teammate)
    client.force_login(csm)
    assert client.get(reverse("inbox_open", args=[item.pk])).status_code == 404
    assert client.post(reverse("inbox_read", args=[item.pk])).status_code == 404
    item.refresh_from_db()
    assert not item.is_read


def test_mark_one_and_all_read(client, csm, teammate):
    first, *_rest = InboxItemFactory.create_batch(3, user=csm)
    theirs = InboxItemFactory(user=teammate)
    client.force_login(csm)
    response = client.post(reverse("inbox_read", args=[first.pk]), headers={"HX-Request": "true"})
    assert 'hx-swap-oob="true">2</span>' in response.content.decode()
    client.post(reverse("inbox_read_all"))
    assert unread(csm) == 0
    assert unread(teammate) == 1 and not InboxItem.objects.get(pk=theirs.pk).is_read


def test_the_inbox_page_words_items_when_read(client, csm, teammate, team_lead):
    customer_services.transfer_ownership(
        account=AccountFactory(owner=teammate, name="Acme"),
        to_owner=csm,
        by=team_lead,
        reason="Tom leaves",
    )
    csm.language = "de"
    csm.save()
    client.force_login(csm)
    body = client.get(reverse("inbox")).content.decode()
    assert "Acme wurde Ihnen von Lena Lead übergeben" in body
