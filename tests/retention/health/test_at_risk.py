"""The at-risk list (retention/health/at_risk.py): who sees which flags, the filters and sorts,
acknowledge / resolve / snooze inline under htmx and as plain pages, the CSV export, and a
query count that does not grow with the number of flags."""

import csv
import datetime as dt
import html
import io
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone, translation

from crm.models import Role
from customers.models import Account
from retention.health.scoring import active_configuration, rebuild_current_health
from retention.models import HealthScore, RiskFlag, RiskFlagEvent
from tests.factories import (
    AccountFactory,
    HealthScoreFactory,
    RiskFlagFactory,
    SegmentFactory,
    UserFactory,
    renewing_on,
)

# Scores and flags made by hand: no write may score their accounts again meanwhile.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("health_waits_for_the_night")]

AT_RISK = reverse("retention:at_risk")
EXPORT = reverse("retention:at_risk_export")
HTMX = {"HTTP_HX_REQUEST": "true"}
Reason, Status = RiskFlag.Reason, RiskFlag.Status


def today() -> dt.date:
    return timezone.localdate()


def action_url(flag, action: str) -> str:
    return reverse("retention:flag_action", args=[flag.pk, action])


@pytest.fixture
def other_lead(team_b):
    return UserFactory(
        username="bea", first_name="Bea", last_name="Lead", team=team_b, role=Role.TEAM_LEAD
    )


def flagged(owner, name, *, score=40, previous=None, mrr="1000.00", **fields):
    """An account of ``owner`` scored ``score`` today with one flag on it."""
    account = AccountFactory(owner=owner, name=name, mrr=Decimal(mrr))
    band = "red" if score <= 50 else "yellow" if score < 76 else "green"
    HealthScoreFactory(account=account, score=score, band=band, previous_score=previous)
    return RiskFlagFactory(account=account, **fields)


def page_of(client, user, **params) -> str:
    client.force_login(user)
    response = client.get(AT_RISK, params)
    assert response.status_code == 200
    return response.content.decode()


def rows_in(html: str) -> list[str]:
    """The account names of the list's rows, in order (one row per account)."""
    names = []
    for part in html.split('data-testid="account-row"')[1:]:
        link = part.split('data-testid="account-name">', 1)[1]
        names.append(link.split("<", 1)[0])
    return names


@pytest.fixture
def book(csm, teammate, other_csm):
    """One flag on an account of Carla (team A), one of Tom (team A), one of Otto (team B)."""
    return {
        "carla": flagged(csm, "Carla Co"),
        "tom": flagged(teammate, "Tom Co"),
        "otto": flagged(other_csm, "Otto Co"),
    }


# --- who sees what ---


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("team_lead", {"Carla Co", "Tom Co"}),
        ("other_lead", {"Otto Co"}),
        ("admin_user", {"Carla Co", "Tom Co", "Otto Co"}),
        ("csm", {"Carla Co"}),
        ("teammate", {"Tom Co"}),
        ("other_csm", {"Otto Co"}),
    ],
)
def test_each_role_sees_the_flags_in_its_scope(
    client, request, book, other_lead, persona, expected
):
    user = request.getfixturevalue(persona)
    assert set(rows_in(page_of(client, user))) == expected


def test_the_list_asks_anonymous_visitors_to_sign_in(client, book):
    response = client.get(AT_RISK)
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_team_leads_find_the_list_in_the_navigation_and_csms_do_not(client, team_lead, csm):
    assert f'href="{AT_RISK}"' in page_of(client, team_lead)
    client.force_login(csm)
    assert f'href="{AT_RISK}"' not in client.get(reverse("retention:portfolio")).content.decode()


@pytest.mark.parametrize("action", ["acknowledge", "resolve", "snooze"])
def test_a_lead_of_another_team_can_neither_open_nor_act_on_a_flag(
    client, book, other_lead, action
):
    flag = book["carla"]
    client.force_login(other_lead)
    post = {"comment": "mine now", "until": (today() + dt.timedelta(days=5)).isoformat()}
    post["reason"] = "waiting"
    assert client.get(action_url(flag, action)).status_code == 404
    assert client.get(action_url(flag, action), **HTMX).status_code == 404
    assert client.post(action_url(flag, action), post).status_code == 404
    assert client.post(action_url(flag, action), post, **HTMX).status_code == 404
    assert client.get(reverse("retention:at_risk_row", args=[flag.pk]), **HTMX).status_code == 404
    flag.refresh_from_db()
    assert flag.status == Status.OPEN and not flag.events.exists()


def test_a_csm_cannot_act_on_a_teammates_flag(client, book, csm):
    client.force_login(csm)
    response = client.post(action_url(book["tom"], "acknowledge"), {"comment": "on it"}, **HTMX)
    assert response.status_code == 404
    assert RiskFlag.objects.get(pk=book["tom"].pk).status == Status.OPEN


def test_a_csm_acknowledges_a_flag_on_their_own_account(client, book, csm):
    client.force_login(csm)
    response = client.post(action_url(book["carla"], "acknowledge"), {"comment": "on it"}, **HTMX)
    assert response.status_code == 200
    flag = RiskFlag.objects.get(pk=book["carla"].pk)
    assert (flag.status, flag.acknowledged_by) == (Status.ACKNOWLEDGED, csm)


def test_an_admin_acts_on_any_team(client, book, admin_user):
    client.force_login(admin_user)
    client.post(action_url(book["otto"], "resolve"), {"comment": "renewal signed"}, **HTMX)
    assert RiskFlag.objects.get(pk=book["otto"].pk).status == Status.RESOLVED


def test_an_unknown_action_is_not_found(client, book, team_lead):
    client.force_login(team_lead)
    assert client.get(action_url(book["carla"], "delete")).status_code == 404


# --- what a row says ---


def test_a_row_says_why_in_words_since_when_and_links_to_the_account(client, csm, team_lead):
    flag = flagged(
        csm,
        "Acme Logistics",
        score=38,
        previous=61,
        mrr="2500.00",
        reason=Reason.RENEWAL_AT_RISK,
        measured_value=Decimal("40"),
        threshold=Decimal("90"),
        explanation_message={
            "id": "renewal_at_risk",
            "day": "2026-12-01",
            "days": 40,
            "state": {"id": "band_state", "band": "red", "score": 38},
        },
    )
    RiskFlag.objects.filter(pk=flag.pk).update(
        raised_at=timezone.make_aware(
            dt.datetime.combine(today() - dt.timedelta(days=12), dt.time(9))
        )
    )
    html = page_of(client, team_lead)
    assert (
        "Renewal on 1 Dec 2026 (in 40 days) is not confirmed and the account is red (score 38)"
        in html
    )
    assert "renewal in <b>40</b> days, window <b>90</b> days" in html
    since = (today() - dt.timedelta(days=12)).strftime("%-d %b %Y")
    assert f"since {since}" in html and "12 days" in html
    assert 'class="band band-red"' in html and ">38<" in html
    assert "▼ 23" in html  # from 61 to 38 within 30 days
    assert "30,000" in html  # ARR at risk: 12 × 2,500
    assert "Carla CSM" in html
    assert f'href="{flag.account.get_absolute_url()}"' in html


def test_an_acknowledged_flag_shows_who_is_on_it(client, csm, team_lead):
    flagged(
        csm,
        "Acme",
        status=Status.ACKNOWLEDGED,
        acknowledged_by=team_lead,
        acknowledged_at=timezone.now(),
        acknowledged_comment="QBR booked for Monday",
    )
    html = page_of(client, team_lead)
    assert "Lena Lead" in html and "QBR booked for Monday" in html
    assert 'data-testid="acknowledge"' not in html  # already acknowledged
    assert 'data-testid="resolve"' in html


# --- filters and sorts ---


@pytest.fixture
def mixed(csm, teammate):
    """Four flags of team A that differ in one thing each."""
    red = flagged(csm, "Red Co", score=30, previous=70, mrr="100.00")
    yellow = flagged(teammate, "Yellow Co", score=60, previous=65, mrr="5000.00")
    renewal = flagged(teammate, "Renewal Co", score=55, previous=50, reason=Reason.RENEWAL_AT_RISK)
    champion = flagged(csm, "Champion Co", score=45, mrr="900.00", reason=Reason.CHAMPION_LEFT)
    strategic = SegmentFactory(name="Strategic")
    Account.objects.filter(pk=yellow.account_id).update(segment=strategic)
    renewing_on(renewal.account, today() + dt.timedelta(days=20))
    renewing_on(champion.account, today() + dt.timedelta(days=75))
    old = timezone.now() - dt.timedelta(days=40)
    RiskFlag.objects.filter(pk=champion.pk).update(raised_at=old)
    RiskFlag.objects.filter(pk=red.pk).update(raised_at=old + dt.timedelta(days=20))
    RiskFlag.objects.filter(pk=yellow.pk).update(
        status=Status.SNOOZED, snoozed_until=today() + dt.timedelta(days=3), snooze_reason="Later"
    )
    return {"red": red, "yellow": yellow, "renewal": renewal, "strategic": strategic}


def test_filter_by_csm(client, team_lead, teammate, mixed):
    html = page_of(client, team_lead, owner=teammate.pk)
    assert set(rows_in(html)) == {"Yellow Co", "Renewal Co"}


def test_filter_by_reason(client, team_lead, mixed):
    assert rows_in(page_of(client, team_lead, reason=Reason.CHAMPION_LEFT)) == ["Champion Co"]


def test_filter_by_band(client, team_lead, mixed):
    assert set(rows_in(page_of(client, team_lead, band="yellow"))) == {"Yellow Co", "Renewal Co"}


def test_filter_by_segment(client, team_lead, mixed):
    html = page_of(client, team_lead, segment=mixed["strategic"].pk)
    assert rows_in(html) == ["Yellow Co"]


def test_filter_by_renewal_window(client, team_lead, mixed):
    assert rows_in(page_of(client, team_lead, renewal=30)) == ["Renewal Co"]
    assert set(rows_in(page_of(client, team_lead, renewal=90))) == {"Renewal Co", "Champion Co"}


def test_filter_by_age(client, team_lead, mixed):
    assert set(rows_in(page_of(client, team_lead, age=14))) == {"Champion Co", "Red Co"}
    assert rows_in(page_of(client, team_lead, age=30)) == ["Champion Co"]


def test_filter_by_status(client, team_lead, mixed):
    assert rows_in(page_of(client, team_lead, status=Status.SNOOZED)) == ["Yellow Co"]


def test_a_csm_of_another_team_is_no_filter_for_a_lead(client, team_lead, other_csm, mixed):
    flagged(other_csm, "Otto Co")
    html = page_of(client, team_lead, owner=other_csm.pk)
    assert "Otto Co" not in html
    assert len(rows_in(html)) == 4  # the unknown choice is dropped, the scope stays


def test_csms_get_no_owner_filter(client, csm, mixed):
    html = page_of(client, csm)
    assert 'name="owner"' not in html
    assert set(rows_in(html)) == {"Red Co", "Champion Co"}


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("-drop", ["Red Co", "Yellow Co", "Renewal Co", "Champion Co"]),  # 40, 5, -5, n/a
        ("score", ["Red Co", "Champion Co", "Renewal Co", "Yellow Co"]),
        ("-score", ["Yellow Co", "Renewal Co", "Champion Co", "Red Co"]),
        ("-arr", ["Yellow Co", "Champion Co", "Renewal Co", "Red Co"]),  # a tie: lower score
        ("-age", ["Champion Co", "Red Co"]),  # the oldest first (the other two: today)
        ("age", ["Renewal Co", "Yellow Co", "Red Co", "Champion Co"]),  # the newest first
    ],
)
def test_sorts(client, team_lead, mixed, sort, expected):
    assert rows_in(page_of(client, team_lead, sort=sort))[: len(expected)] == expected


def test_the_default_order_is_the_most_arr_at_risk_first(client, team_lead, mixed):
    assert rows_in(page_of(client, team_lead)) == [
        "Yellow Co",
        "Champion Co",
        "Renewal Co",
        "Red Co",
    ]


def test_fifty_accounts_a_page(client, team_lead, csm):
    _bulk_flags(csm, 55)
    first = page_of(client, team_lead)
    second = page_of(client, team_lead, page=2)
    assert (len(rows_in(first)), len(rows_in(second))) == (50, 5)
    assert "55 accounts · 55 flags" in first
    assert not set(rows_in(first)) & set(rows_in(second))


def test_an_account_with_several_flags_is_one_row_with_all_of_them(client, team_lead, csm):
    red = flagged(csm, "Twice Co", score=30, previous=70)
    RiskFlagFactory(
        account=red.account,
        reason=Reason.SCORE_DROP,
        explanation="fell 40 points",
        status=Status.ACKNOWLEDGED,
        acknowledged_by=team_lead,
        acknowledged_comment="Calling Petra",
    )
    RiskFlagFactory(
        account=red.account,
        reason=Reason.CHAMPION_LEFT,
        explanation="champion left",
        status=Status.SNOOZED,
        snoozed_until=today() + dt.timedelta(days=3),
        snooze_reason="Meeting the new one",
    )
    flagged(csm, "Once Co")
    html = page_of(client, team_lead)
    assert rows_in(html) == ["Twice Co", "Once Co"]  # the same ARR: the lower score first
    assert "2 accounts · 4 flags" in html
    row = html.split(f'data-account="{red.account_id}"', 1)[1].split("</tbody>", 1)[0]
    assert row.count('data-testid="flag-row"') == 3
    assert "Fell 40 points" in row and "Champion left" in row and "Meeting the new one" in row
    # Every flag keeps its own actions: none to acknowledge the acknowledged one.
    assert row.count('data-testid="acknowledge"') == 2 and row.count('data-testid="resolve"') == 3
    assert "Calling Petra" in row
    for flag in RiskFlag.objects.filter(account=red.account):
        assert reverse("retention:flag_action", args=[flag.pk, "resolve"]) in row
    # Filtered by reason, the row keeps only the flags that match.
    by_reason = page_of(client, team_lead, reason=Reason.SCORE_DROP)
    assert rows_in(by_reason) == ["Twice Co"] and by_reason.count('data-testid="flag-row"') == 1


def _bulk_flags(owner, n: int, *, start: int = 0, flags_each: int = 1) -> None:
    """``n`` scored and flagged accounts of ``owner`` (``flags_each`` flags, of different
    reasons, on each), written in a few queries."""
    segment = SegmentFactory(name="SMB")
    accounts = Account.objects.bulk_create(
        Account(
            name=f"Bulk {start + i:04d}",
            external_id=f"BULK-{start + i:04d}",
            owner=owner,
            team=owner.team,
            segment=segment,
            mrr=Decimal(100 + i),
        )
        for i in range(n)
    )
    configuration = active_configuration()
    HealthScore.objects.bulk_create(
        HealthScore(
            account=a,
            scored_on=today(),
            configuration=configuration,
            score=20 + i % 30,
            band="red",
            previous_score=70,
        )
        for i, a in enumerate(accounts)
    )
    rebuild_current_health(account_ids=[a.pk for a in accounts])
    RiskFlag.objects.bulk_create(
        RiskFlag(
            account=a,
            reason=reason,
            raised_on=today(),
            last_seen_on=today(),
            measured_value=Decimal("30"),
            threshold=Decimal("51"),
            explanation="score 30 is red (below 51)",
            status=[Status.OPEN, Status.ACKNOWLEDGED][i % 2],
            acknowledged_by=owner if i % 2 else None,
            acknowledged_at=timezone.now() if i % 2 else None,
            acknowledged_comment="on it" if i % 2 else "",
        )
        for i, a in enumerate(accounts)
        for reason in (Reason.ENTERED_RED, Reason.SCORE_DROP)[:flags_each]
    )


def test_the_page_costs_the_same_queries_with_ten_times_more_flags_than_it_shows(
    client, team_lead, csm, teammate, django_assert_max_num_queries
):
    _bulk_flags(csm, 3)
    client.force_login(team_lead)
    client.get(AT_RISK)  # warm up the session
    with CaptureQueriesContext(connection) as few:
        assert client.get(AT_RISK).status_code == 200
    _bulk_flags(teammate, 500, start=100, flags_each=2)
    with django_assert_max_num_queries(len(few)):
        response = client.get(AT_RISK, {"sort": "-arr", "band": "red"})
    html = response.content.decode()
    assert len(rows_in(html)) == 50 and html.count('data-testid="flag-row"') == 100
    for sort in ("age", "-age", "score", "-drop"):
        with django_assert_max_num_queries(len(few)):
            page = client.get(AT_RISK, {"page": 5, "sort": sort}).content.decode()
        assert len(rows_in(page)) == 50


# --- acting inline (htmx) ---


def test_htmx_opens_the_form_inside_the_row(client, book, team_lead):
    client.force_login(team_lead)
    response = client.get(action_url(book["carla"], "acknowledge"), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="flag-') and "<html" not in html
    assert f'id="flag-{book["carla"].pk}"' in html
    assert 'data-testid="flag-form"' in html and 'name="comment"' in html


def test_htmx_acknowledge_swaps_the_row_and_sends_the_message(client, book, team_lead):
    client.force_login(team_lead)
    response = client.post(
        action_url(book["carla"], "acknowledge"), {"comment": "Calling Petra today"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<div id="flag-')
    assert "Acknowledged" in html and "Calling Petra today" in html
    assert 'data-testid="flag-form"' not in html
    event = json.loads(response["HX-Trigger"])["treue:message"]
    assert event == {
        "level": "success",
        "text": "Flag on Carla Co acknowledged: Entered red.",
        "from": "open",
        "to": "acknowledged",
    }
    flag = RiskFlag.objects.get(pk=book["carla"].pk)
    assert (flag.status, flag.acknowledged_by, flag.acknowledged_comment) == (
        Status.ACKNOWLEDGED,
        team_lead,
        "Calling Petra today",
    )
    assert flag.events.get().comment == "Calling Petra today"


def test_htmx_resolve_without_a_comment_is_an_error_in_the_row(client, book, team_lead):
    client.force_login(team_lead)
    response = client.post(action_url(book["carla"], "resolve"), {"comment": "  "}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "HX-Trigger" not in response
    assert "Say how the risk was dealt with." in html
    assert 'data-testid="flag-form"' in html and "is-invalid" in html
    assert RiskFlag.objects.get(pk=book["carla"].pk).status == Status.OPEN


def test_htmx_resolve_with_a_comment_resolves(client, book, team_lead):
    client.force_login(team_lead)
    response = client.post(
        action_url(book["carla"], "resolve"), {"comment": "Renewal signed"}, **HTMX
    )
    html = response.content.decode()
    assert "Resolved" in html and "Renewal signed" in html
    assert 'data-testid="snooze"' not in html  # nothing left to do on it
    flag = RiskFlag.objects.get(pk=book["carla"].pk)
    assert (flag.status, flag.resolved_by, flag.auto_resolved) == (
        Status.RESOLVED,
        team_lead,
        False,
    )


def test_htmx_snooze_into_the_past_is_an_error_in_the_row(client, book, team_lead):
    client.force_login(team_lead)
    yesterday = (today() - dt.timedelta(days=1)).isoformat()
    response = client.post(
        action_url(book["carla"], "snooze"), {"until": yesterday, "reason": "Board"}, **HTMX
    )
    html = response.content.decode()
    assert "Snooze until a day after today." in html and 'data-testid="flag-form"' in html
    assert RiskFlag.objects.get(pk=book["carla"].pk).status == Status.OPEN


def test_htmx_snooze_needs_a_reason(client, book, team_lead):
    client.force_login(team_lead)
    until = (today() + dt.timedelta(days=14)).isoformat()
    response = client.post(action_url(book["carla"], "snooze"), {"until": until}, **HTMX)
    assert "Say why the flag can wait." in response.content.decode()
    assert RiskFlag.objects.get(pk=book["carla"].pk).status == Status.OPEN


def test_htmx_snooze_puts_the_flag_aside_until_the_day(client, book, team_lead):
    client.force_login(team_lead)
    until = today() + dt.timedelta(days=14)
    response = client.post(
        action_url(book["carla"], "snooze"),
        {"until": until.isoformat(), "reason": "Budget decision after the board"},
        **HTMX,
    )
    html = response.content.decode()
    assert "Budget decision after the board" in html
    said = json.loads(response["HX-Trigger"])["treue:message"]["text"]
    assert f"snoozed until {formats.date_format(until, 'DATE_FORMAT')}:" in said
    flag = RiskFlag.objects.get(pk=book["carla"].pk)
    assert (flag.status, flag.snoozed_until) == (Status.SNOOZED, until)


def test_a_german_lead_snoozes_with_a_german_date_and_reads_it_back_so(client, book, team_lead):
    team_lead.language = "de"
    team_lead.save(update_fields=["language"])
    client.force_login(team_lead)
    until = today() + dt.timedelta(days=14)
    response = client.post(
        action_url(book["carla"], "snooze"),
        {"until": f"{until:%d.%m.%Y}", "reason": "Budget nach der Vorstandssitzung"},
        **HTMX,
    )
    said = json.loads(response["HX-Trigger"])["treue:message"]["text"]
    assert f"{until:%d.%m.%Y}" in said and until.isoformat() not in said
    assert RiskFlag.objects.get(pk=book["carla"].pk).snoozed_until == until


def test_acting_on_a_resolved_flag_is_refused_in_the_form(client, csm, team_lead):
    flag = flagged(csm, "Done Co", status=Status.RESOLVED, resolved_at=timezone.now())
    client.force_login(team_lead)
    response = client.post(action_url(flag, "acknowledge"), {"comment": "late"}, **HTMX)
    assert "This flag is resolved already." in response.content.decode()
    assert not RiskFlagEvent.objects.filter(flag=flag).exists()


def test_cancel_puts_the_row_back(client, book, team_lead):
    client.force_login(team_lead)
    response = client.get(reverse("retention:at_risk_row", args=[book["carla"].pk]), **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="flag-') and 'data-testid="flag-form"' not in html
    assert 'data-testid="acknowledge"' in html


# --- acting without JavaScript ---


def test_without_javascript_the_action_is_a_page_of_its_own(client, book, team_lead):
    client.force_login(team_lead)
    next_url = f"{AT_RISK}?reason=entered_red"
    response = client.get(action_url(book["carla"], "acknowledge"), {"next": next_url})
    html = response.content.decode()
    assert "<html" in html and "Acknowledge the flag" in html
    assert 'hx-post="' not in html  # a plain form
    assert 'name="next" value="/retention/at-risk/?reason=entered_red"' in html


def test_without_javascript_an_action_redirects_to_the_list_with_a_message(client, book, team_lead):
    client.force_login(team_lead)
    next_url = f"{AT_RISK}?reason=entered_red"
    response = client.post(
        action_url(book["carla"], "acknowledge"), {"comment": "On it", "next": next_url}
    )
    assert response.status_code == 302 and response.url == next_url
    html = client.get(response.url).content.decode()
    assert "Flag on Carla Co acknowledged: Entered red." in html


def test_without_javascript_errors_come_back_on_the_page(client, book, team_lead):
    client.force_login(team_lead)
    response = client.post(action_url(book["carla"], "resolve"), {"comment": ""})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert "Say how the risk was dealt with." in html


def test_an_outside_next_address_is_not_followed(client, book, team_lead):
    client.force_login(team_lead)
    response = client.post(
        action_url(book["carla"], "acknowledge"),
        {"comment": "On it", "next": "https://evil.example/"},
    )
    assert response.url == AT_RISK


# --- the export ---


def export_of(client, user, **params) -> list[dict]:
    client.force_login(user)
    response = client.get(EXPORT, params)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # a BOM, for spreadsheets
    return list(csv.DictReader(io.StringIO(text)))


def test_the_export_has_every_filtered_flag_of_the_scope(client, team_lead, mixed, other_csm):
    flagged(other_csm, "Otto Co")
    rows = export_of(client, team_lead, owner=mixed["red"].account.owner_id)
    assert {r["Account"] for r in rows} == {"Red Co", "Champion Co"}
    red = next(r for r in rows if r["Account"] == "Red Co")
    assert red["Reason"] == "Entered red" and red["Status"] == "Open"
    assert (
        red["Why"]
        == "score 42 is red (below 51): -30: no meeting or call for 70 days (expected every 30)"
    )
    assert (red["Measured value"], red["Threshold"]) == ("42.00", "51.00")
    assert (red["Band"], red["Score"], red["Drop (30 days)"]) == ("red", "30", "40")
    assert red["ARR at risk"] == "1200.00" and red["Owner"] == "Carla CSM"
    assert red["Age (days)"] == "20"
    assert red["Link"].endswith(mixed["red"].account.get_absolute_url())


def test_the_export_of_another_team_lead_has_none_of_ours(client, other_lead, mixed):
    assert export_of(client, other_lead) == []


def test_the_export_has_more_than_one_page(client, team_lead, csm):
    _bulk_flags(csm, 60)
    assert len(export_of(client, team_lead)) == 60


def test_the_export_defuses_spreadsheet_formulas(client, team_lead, csm):
    flagged(csm, "=HYPERLINK(1)")
    (row,) = export_of(client, team_lead)
    assert row["Account"] == "'=HYPERLINK(1)"


def test_the_summary_counts_flags_per_status_under_the_other_filters(client, team_lead, mixed):
    html = page_of(client, team_lead, status=Status.SNOOZED)
    counts = html.split('data-testid="status-counts"', 1)[1].split("</div>", 1)[0]
    assert 'data-count="unresolved" data-n="4"' in counts
    assert 'data-count="open" data-n="3"' in counts and 'data-count="snoozed" data-n="1"' in counts
    html = page_of(client, team_lead, band="red")
    counts = html.split('data-testid="status-counts"', 1)[1].split("</div>", 1)[0]
    assert 'data-count="open" data-n="2"' in counts and 'data-count="snoozed" data-n="0"' in counts


def test_the_filter_form_shows_the_choices_made(client, team_lead, teammate, mixed):
    html = page_of(client, team_lead, owner=teammate.pk, band="yellow", sort="-arr")
    assert f'<option value="{teammate.pk}" selected>Tom Teammate</option>' in html
    assert '<option value="yellow" selected>Yellow</option>' in html
    assert '<option value="-arr" selected>Most ARR at risk</option>' in html
    assert '<select name="reason" class="form-select form-select-sm" id="id_reason">' in html


def test_a_german_reader_reads_why_in_german_on_the_page_and_in_the_export(client, team_lead, csm):
    cost = {"impact": -18, "message": {"id": "no_meeting", "days": 47, "cadence": 30}}
    flagged(
        csm,
        "Acme",
        explanation_message={"id": "entered_red", "score": 38, "yellow": 51, "reasons": [cost]},
    )
    german = "Score 38 ist rot (unter 51): -18: kein Meeting oder Telefonat seit 47 Tagen"
    german += " (erwartet alle 30)"
    team_lead.language = "de"
    team_lead.save(update_fields=["language"])
    # The user's language stays active in this thread after a request: keep it in here.
    with translation.override("en"):
        page = html.unescape(page_of(client, team_lead))
        (row,) = export_of(client, team_lead)
    assert page.count(german[1:]) == 1
    assert row["Warum"] == german


def test_the_csm_filter_offers_the_people_whose_accounts_are_flagged(client, team_lead, mixed):
    UserFactory(username="nora", first_name="Nora", last_name="Noflags", team=team_lead.team)
    html = page_of(client, team_lead)
    owners = html.split('name="owner"', 1)[1].split("</select>", 1)[0]
    assert "Carla CSM" in owners and "Tom Teammate" in owners
    assert "Nora Noflags" not in owners and "Otto" not in owners
