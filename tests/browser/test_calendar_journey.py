"""The calendar journey in Debian's Chromium: the CSM opens the calendar, completes a
follow-up from it, and sees the inbox count in the navigation drop."""

import datetime as dt

import pytest
from django.utils import timezone

from interactions.calendar.reminders import post_due_follow_ups

from ..factories import FollowUpFactory, make_customer
from .test_journeys import Shots, browser, page, settled, sign_in  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_csm_completes_a_follow_up_from_the_calendar_and_the_inbox_count_drops(
    live_server,
    page,  # noqa: F811 (the fixture)
    csm,
):
    today = timezone.localdate()
    acme = make_customer(owner=csm, name="Acme Logistics")
    acme.mark_contacted(timezone.now() - dt.timedelta(days=3))
    FollowUpFactory(account=acme, owner=csm, title="Send the renewal offer", due_on=today)
    FollowUpFactory(account=acme, owner=csm, title="Book the training", due_on=today)
    post_due_follow_ups(today=today)  # the morning run put both in the inbox
    shot = Shots("calendar")

    sign_in(page, live_server, "carla")
    count = page.locator("[data-testid=inbox-count]")
    assert count.inner_text() == "2"
    page.get_by_role("link", name="Calendar", exact=True).click()
    page.wait_for_selector("[data-testid=calendar]")
    settled(page)
    shot(page, "month")

    entry = page.locator("[data-testid=entry-follow_up]", has_text="Send the renewal offer")
    entry.locator("[data-testid=done]").click()
    page.wait_for_selector(".cal-done", state="attached")
    settled(page)
    assert count.inner_text() == "1"
    assert acme.follow_ups.get(title="Send the renewal offer").done_at is not None
    shot(page, "done")

    page.locator("[data-testid=week]").click()  # htmx pages the calendar in place
    page.wait_for_selector(".cal-week")
    settled(page)
    assert "Book the training" in page.locator("[data-testid=calendar]").inner_text()
    shot(page, "week")
