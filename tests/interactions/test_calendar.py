"""The communication calendar: the next planned touch, planned meetings, the sources of
entries, whose calendar a viewer may open, and the calendar page."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from customers.models import Account
from interactions.calendar import entries as cal
from interactions.calendar import touches
from interactions.models import Interaction

from ..factories import (
    ContractFactory,
    FollowUpFactory,
    PlannedMeetingFactory,
    SegmentFactory,
    make_customer,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 10)


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _next_touch(account) -> dt.date | None:
    row = touches.with_next_touch(Account.objects.filter(pk=account.pk)).get()
    return row.next_touch_on


# --- the next planned touch ----------------------------------------------------------------


def test_next_touch_is_last_meeting_or_call_plus_the_segment_cadence(csm):
    segment = SegmentFactory(name="Enterprise", expected_cadence_days=45)
    account = make_customer(owner=csm, segment=segment)
    account.mark_contacted(_at(dt.date(2026, 2, 1)))
    assert _next_touch(account) == dt.date(2026, 3, 18)


def test_an_account_without_a_segment_takes_the_default_cadence(csm):
    account = make_customer(owner=csm, segment=None)
    account.mark_contacted(_at(dt.date(2026, 2, 1)))
    # retention hands down the scoring configuration's default (30 days).
    assert _next_touch(account) == dt.date(2026, 3, 3)


def test_a_customer_never_met_is_due_since_it_became_a_customer(csm):
    account = make_customer(owner=csm, since=dt.date(2025, 11, 1))
    assert _next_touch(account) == dt.date(2025, 11, 1)


def test_a_prospect_has_no_touch_by_cadence(csm):
    prospect = Account.objects.create(name="Prospect AG", owner=csm, team=csm.team)
    assert _next_touch(prospect) is None


def test_a_planned_meeting_is_the_next_touch_until_it_is_held(csm):
    account = make_customer(owner=csm)
    account.mark_contacted(timezone.now() - dt.timedelta(days=2))
    planned = touches.plan_meeting(
        account=account,
        owner=csm,
        kind="meeting",
        planned_at=timezone.now() + dt.timedelta(days=5),
        summary="Renewal talk",
    )
    assert _next_touch(account) == timezone.localdate(planned.planned_at)

    interaction = touches.hold_meeting(
        planned=planned, author=csm, kind="meeting", summary="Renewal talk: agreed"
    )
    planned.refresh_from_db()
    assert planned.interaction == interaction and planned.completed_at is not None
    assert interaction.kind == Interaction.Kind.MEETING
    account.refresh_from_db()
    # Back to the cadence, counted from the meeting just held.
    expected = timezone.localdate(interaction.occurred_at) + dt.timedelta(
        days=account.segment.expected_cadence_days
    )
    assert _next_touch(account) == expected


def test_a_meeting_is_planned_ahead_not_in_the_past(csm):
    account = make_customer(owner=csm)
    with pytest.raises(ValidationError) as error:
        touches.plan_meeting(
            account=account,
            owner=csm,
            kind="meeting",
            planned_at=timezone.now() - dt.timedelta(days=1),
            summary="Too late",
        )
    assert "planned_at" in error.value.message_dict


def test_a_held_or_cancelled_meeting_cannot_be_held_again(csm):
    planned = PlannedMeetingFactory(account=make_customer(owner=csm))
    touches.cancel_meeting(planned=planned)
    with pytest.raises(ValidationError):
        touches.hold_meeting(planned=planned, author=csm, kind="call", summary="Call")


# --- the sources --------------------------------------------------------------------------


@pytest.fixture
def week(csm):
    """One entry of every kind in the CSM's week of 9–15 March 2026."""
    segment = SegmentFactory(name="SMB", expected_cadence_days=30)
    account = make_customer(owner=csm, segment=segment, name="Acme")
    account.mark_contacted(_at(dt.date(2026, 2, 10)))  # touch due 12 March
    other = make_customer(owner=csm, segment=segment, name="Borealis")
    PlannedMeetingFactory(account=other, owner=csm, planned_at=_at(dt.date(2026, 3, 11), 14))
    FollowUpFactory(account=account, owner=csm, title="Send prices", due_on=dt.date(2026, 3, 9))
    ContractFactory(
        account=account,
        reference="C-ACME",
        end_date=dt.date(2026, 3, 31),
        notice_period_days=20,  # notice by 11 March
    )
    ContractFactory(account=other, reference="C-BOR", end_date=dt.date(2026, 3, 15))
    return account


def test_the_week_holds_every_kind_of_entry_in_day_order(csm, week):
    found = cal.entries(
        csm, cal.Whose(person=csm), dt.date(2026, 3, 9), dt.date(2026, 3, 15), today=TODAY
    )
    assert [(e.day, e.kind) for e in found] == [
        (dt.date(2026, 3, 9), "follow_up"),
        (dt.date(2026, 3, 11), "planned"),
        (dt.date(2026, 3, 11), "notice"),
        (dt.date(2026, 3, 12), "touch"),
        (dt.date(2026, 3, 15), "renewal"),
    ]
    follow_up = found[0]
    assert follow_up.overdue and follow_up.title == "Follow-up: Send prices — Acme"
    assert found[1].at.hour == 14


def test_a_csm_sees_only_their_own_calendar_whatever_they_ask(csm, teammate, week):
    FollowUpFactory(account=make_customer(owner=teammate), owner=teammate, due_on=TODAY)
    for asked in ("team", str(teammate.pk), "x", ""):
        assert cal.whose_for(csm, asked) == cal.Whose(person=csm)


def test_a_lead_sees_a_person_or_the_whole_team_but_never_another_team(
    team_lead, csm, teammate, other_csm
):
    mine = make_customer(owner=csm)
    theirs = make_customer(owner=teammate)
    FollowUpFactory(account=mine, owner=csm, due_on=TODAY)
    FollowUpFactory(account=theirs, owner=teammate, due_on=TODAY)
    FollowUpFactory(account=make_customer(owner=other_csm), owner=other_csm, due_on=TODAY)

    def owners(who: str) -> set:
        whose = cal.whose_for(team_lead, who)
        return {
            e.owner_id
            for e in cal.entries(team_lead, whose, TODAY, TODAY, today=TODAY)
            if e.kind == "follow_up"
        }

    assert owners("team") == {csm.pk, teammate.pk}
    assert owners(str(csm.pk)) == {csm.pk}
    assert owners(str(other_csm.pk)) == set()  # falls back to the lead's own calendar


# --- the page ------------------------------------------------------------------------------


def test_the_month_page_links_entries_to_their_account(client, csm, week):
    client.force_login(csm)
    response = client.get(reverse("calendar:calendar") + "?view=month&date=2026-03-10")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Follow-up: Send prices — Acme" in body
    assert f'href="{week.get_absolute_url()}#follow-ups"' in body


def test_htmx_pages_swap_only_the_calendar(client, csm, week):
    client.force_login(csm)
    response = client.get(
        reverse("calendar:calendar") + "?view=week&date=2026-03-10", headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="calendar"')
    assert "<nav" not in body


def test_a_follow_up_is_marked_done_from_the_calendar(client, csm, week):
    follow_up = week.follow_ups.get()
    client.force_login(csm)
    response = client.post(
        reverse("calendar:follow_up_done", args=[follow_up.pk]), headers={"HX-Request": "true"}
    )
    follow_up.refresh_from_db()
    assert follow_up.done_at is not None
    body = response.content.decode()
    assert "cal-done" in body and 'id="inbox-count"' in body and "hx-swap-oob" in body


def test_a_teammate_cannot_mark_my_follow_up_done(client, teammate, week):
    follow_up = week.follow_ups.get()
    client.force_login(teammate)
    response = client.post(reverse("calendar:follow_up_done", args=[follow_up.pk]))
    assert response.status_code == 404


def test_the_month_page_for_a_team_keeps_its_queries_few(
    client, team_lead, csm, teammate, django_assert_max_num_queries
):
    for owner in (csm, teammate):
        for i in range(12):
            account = make_customer(owner=owner, name=f"{owner.username}-{i}")
            FollowUpFactory(account=account, owner=owner, due_on=TODAY + dt.timedelta(days=i))
            ContractFactory(account=account, end_date=TODAY + dt.timedelta(days=i))
    client.force_login(team_lead)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("calendar:calendar") + "?who=team&date=2026-03-10")
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="entry-follow_up"') == 24


def test_the_account_page_shows_the_next_touch_and_overdue_stands_out(client, csm):
    account = make_customer(owner=csm, name="Acme")
    account.mark_contacted(timezone.now() - dt.timedelta(days=400))
    client.force_login(csm)
    body = client.get(account.get_absolute_url()).content.decode()
    assert 'data-testid="next-touch"' in body and "overdue-strip" in body


def test_a_meeting_is_planned_held_and_logged_from_the_account_page(client, csm):
    account = make_customer(owner=csm, name="Acme")
    client.force_login(csm)
    when = timezone.localtime() + dt.timedelta(days=2)
    response = client.post(
        reverse("calendar:plan_meeting", args=[account.pk]),
        {
            "kind": "call",
            "planned_at": when.strftime("%Y-%m-%dT%H:%M"),
            "summary": "Pricing",
            "owner": csm.pk,
        },
    )
    assert response.status_code == 302
    planned = account.planned_meetings.get()
    assert "Pricing" in client.get(account.get_absolute_url()).content.decode()
    response = client.post(
        reverse("calendar:planned_hold", args=[planned.pk]),
        {
            "kind": "call",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "summary": "Pricing agreed",
        },
    )
    assert response.status_code == 302
    planned.refresh_from_db()
    assert planned.interaction.summary == "Pricing agreed"
    account.refresh_from_db()
    assert account.last_meeting_or_call_at is not None


def test_the_portfolio_shows_the_next_touch_and_sorts_by_it(client, csm):
    late = make_customer(owner=csm, name="Late AG")
    late.mark_contacted(timezone.now() - dt.timedelta(days=400))
    fresh = make_customer(owner=csm, name="Fresh AG")
    fresh.mark_contacted(timezone.now())
    client.force_login(csm)
    response = client.get(reverse("retention:portfolio") + "?sort=touch")
    accounts = list(response.context["page"])
    assert [a.name for a in accounts] == ["Late AG", "Fresh AG"]
    assert accounts[0].next_touch_on < timezone.localdate() < accounts[1].next_touch_on
    assert 'class="pill pill-danger" title="overdue"' in response.content.decode()


def test_a_crowded_day_lists_its_first_entries_and_counts_the_rest(csm, week):
    # 11 March already holds a planned meeting and a notice deadline; add six follow-ups.
    day = dt.date(2026, 3, 11)
    for name in ("Zeta", "Alpha", "Mu", "Beta", "Kappa", "Eta"):
        FollowUpFactory(account=make_customer(owner=csm, name=name), owner=csm, due_on=day)
    whose = cal.Whose(person=csm)
    everything = cal.entries(csm, whose, dt.date(2026, 3, 9), dt.date(2026, 3, 15), today=TODAY)
    first = cal.entries(
        csm, whose, dt.date(2026, 3, 9), dt.date(2026, 3, 15), today=TODAY, per_day=3
    )
    on_the_day = [e for e in everything if e.day == day]
    assert (
        [(e.kind, e.account_name) for e in first if e.day == day]
        == [(e.kind, e.account_name) for e in on_the_day[:3]]
        == [("planned", "Borealis"), ("follow_up", "Alpha"), ("follow_up", "Beta")]
    )
    assert first.totals[day] == len(on_the_day) == 8
    # The days with fewer entries than the limit are whole.
    assert [e for e in first if e.day != day] == [e for e in everything if e.day != day]


def test_the_month_page_says_how_many_more_a_day_has(client, csm, week):
    day = dt.date(2026, 3, 11)
    for i in range(6):
        FollowUpFactory(account=make_customer(owner=csm, name=f"Extra {i}"), owner=csm, due_on=day)
    client.force_login(csm)
    body = client.get(reverse("calendar:calendar") + "?view=month&date=2026-03-10").content
    cell = body.decode().split('data-day="2026-03-11"', 1)[1].split('class="cal-day', 1)[0]
    assert cell.count("<li>") == 4  # the month's limit a day
    assert "+ 4 more" in cell  # 8 in all: a planned meeting, the notice and six follow-ups
