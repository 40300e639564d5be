"""The private calendar feed: it parses with icalendar, holds the user's entries and nothing
of another team, keeps its UIDs, gets time zones right, and its URL is a revocable secret."""

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from crm import feeds

from ..factories import (
    ContractFactory,
    FollowUpFactory,
    PlannedMeetingFactory,
    make_customer,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(csm, teammate, other_csm):
    today = timezone.localdate()
    mine = make_customer(owner=csm, name="Acme")
    FollowUpFactory(account=mine, owner=csm, title="Send prices", due_on=today + dt.timedelta(3))
    FollowUpFactory(account=mine, owner=csm, title="Too old", due_on=today - dt.timedelta(40))
    FollowUpFactory(account=mine, owner=csm, title="Too far", due_on=today + dt.timedelta(200))
    ContractFactory(
        account=mine, reference="C-ACME", end_date=today + dt.timedelta(60), notice_period_days=30
    )
    PlannedMeetingFactory(
        account=mine,
        owner=csm,
        summary="Kick-off",
        planned_at=timezone.make_aware(
            dt.datetime.combine(today + dt.timedelta(days=2), dt.time(9, 30))
        ),
    )
    theirs = make_customer(owner=other_csm, name="Other AG")
    FollowUpFactory(account=theirs, owner=other_csm, title="Bravo secret", due_on=today)
    teammates = make_customer(owner=teammate, name="Teammate AG")
    FollowUpFactory(account=teammates, owner=teammate, title="Tom's promise", due_on=today)
    return mine


def fetch(client, user):
    return client.get(feeds.feed_path(user))


def events(response) -> dict[str, object]:
    calendar = Calendar.from_ical(response.content)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_the_feed_parses_and_holds_my_entries_only(client, csm, rows):
    response = fetch(client, csm)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    found = {str(e["SUMMARY"]) for e in events(response).values()}
    assert "Follow-up: Send prices — Acme" in found
    assert "Meeting: Kick-off — Acme" in found
    assert "Renewal: Acme (C-ACME)" in found and "Notice deadline: Acme (C-ACME)" in found
    body = response.content.decode()
    for outside in ("Too old", "Too far", "Bravo", "Other AG", "Tom's promise"):
        assert outside not in body


def test_uids_are_stable_across_two_fetches(client, csm, rows):
    first = events(fetch(client, csm))
    second = events(fetch(client, csm))
    assert first.keys() == second.keys() and len(first) == 4
    assert len(set(first)) == len(first)


def test_timed_events_are_in_the_installations_time_zone(client, csm, rows, settings):
    [meeting] = [e for e in events(fetch(client, csm)).values() if "Kick-off" in e["SUMMARY"]]
    start = meeting["DTSTART"].dt
    assert start.tzinfo is not None
    assert start.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).time() == dt.time(9, 30)
    assert meeting["DTEND"].dt - start == dt.timedelta(hours=1)
    [follow_up] = [e for e in events(fetch(client, csm)).values() if "Send prices" in e["SUMMARY"]]
    assert follow_up["DTSTART"].dt == timezone.localdate() + dt.timedelta(3)


def test_a_rotated_token_answers_404_at_once(client, csm, rows):
    old = feeds.feed_path(csm)
    feeds.rotate_feed(user=csm)
    assert client.get(old).status_code == 404
    assert fetch(client, csm).status_code == 200


def test_a_deactivated_users_feed_answers_404(client, csm, rows):
    path = feeds.feed_path(csm)
    csm.is_active = False
    csm.save()
    assert client.get(path).status_code == 404


def test_a_forged_or_unsigned_token_answers_404(client, csm, rows):
    path = feeds.feed_path(csm)
    key = csm.calendar_key
    assert client.get(reverse("calendar:feed", args=[key])).status_code == 404
    assert (
        client.get(path.replace(key, key[:-1] + ("A" if key[-1] != "A" else "B"))).status_code
        == 404
    )
    assert client.get(reverse("calendar:feed", args=["x.y"])).status_code == 404


def test_the_database_alone_does_not_hold_the_url(csm):
    token = feeds.feed_token(csm)
    csm.refresh_from_db()
    assert csm.calendar_key in token and token != csm.calendar_key


def test_the_feed_is_in_the_users_language(client, csm, rows):
    csm.language = "de"
    csm.save()
    found = {str(e["SUMMARY"]) for e in events(fetch(client, csm)).values()}
    assert "Kündigungsfrist: Acme (C-ACME)" in found


# --- the settings page and the API ---------------------------------------------------------


def test_the_settings_page_shows_the_feed_and_rotates_it(client, csm):
    client.force_login(csm)
    before = client.get(reverse("user_settings")).context["feed_url"]
    assert before.startswith("http://testserver/calendar/feed/")
    client.post(reverse("rotate_calendar_feed"))
    after = client.get(reverse("user_settings")).context["feed_url"]
    assert after != before
    assert client.get(before.removeprefix("http://testserver")).status_code == 404


def test_the_daily_digest_is_switched_off_on_the_settings_page(client, csm):
    client.force_login(csm)
    client.post(reverse("user_settings"), {"language": "de", "daily_digest": ""})
    csm.refresh_from_db()
    assert csm.daily_digest is False and csm.language == "de"


def test_the_api_gives_the_feed_url_and_rotates_it(client, csm, rows):
    client.force_login(csm)
    me = client.get("/api/v1/me/").json()
    assert me["username"] == "carla" and me["calendar_feed_url"].endswith(".ics")
    rotated = client.post("/api/v1/me/calendar-feed/rotate/").json()["calendar_feed_url"]
    assert rotated != me["calendar_feed_url"]
    assert client.get(me["calendar_feed_url"]).status_code == 404
    assert client.get(rotated).status_code == 200
