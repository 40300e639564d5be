"""An account's survey history on its page (``selectors.nps_history``): per month, per contact
and as a trend line."""

import datetime as dt

import pytest
import time_machine

from interactions.surveys.selectors import HISTORY_CONTACTS, nps_history
from tests.factories import AccountFactory, ContactFactory

from .test_report import sent

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 4, 15)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 4, 15, 12, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def account(csm):
    return AccountFactory(owner=csm, name="Kunde GmbH")


def test_each_contacts_answers_in_order_the_latest_answered_first(account):
    bea = ContactFactory(account=account, name="Bea Boss")
    chris = ContactFactory(account=account, name="Chris Champion")
    sent(account, at=dt.date(2026, 1, 9), score=9, contact=bea)
    sent(account, at=dt.date(2026, 2, 10), kind="csat", score=4, contact=chris)
    sent(account, at=dt.date(2026, 3, 3), score=4, contact=bea)
    sent(account, at=dt.date(2026, 3, 20), contact=chris)  # not answered

    history = nps_history(account, today=TODAY)
    assert [
        (c.name, [(a.day, a.kind, a.score, a.category) for a in c.answers])
        for c in history.contacts
    ] == [
        (
            "Bea Boss",
            [
                (dt.date(2026, 1, 10), "nps", 9, "promoter"),
                (dt.date(2026, 3, 4), "nps", 4, "detractor"),
            ],
        ),
        ("Chris Champion", [(dt.date(2026, 2, 11), "csat", 4, "passive")]),
    ]
    assert history.more_contacts == 0


def test_the_list_of_contacts_is_bounded(account):
    for n in range(HISTORY_CONTACTS + 2):
        sent(account, at=dt.date(2026, 1, 1) + dt.timedelta(days=n), score=8)
    history = nps_history(account, today=TODAY)
    assert len(history.contacts) == HISTORY_CONTACTS and history.more_contacts == 2


def test_the_trend_line_has_a_gap_where_a_month_had_no_answer(account):
    sent(account, at=dt.date(2026, 1, 9), score=10)
    sent(account, at=dt.date(2026, 3, 3), score=0)
    sent(account, at=dt.date(2026, 3, 4), kind="csat", score=5)
    svg = nps_history(account, today=TODAY).chart()
    assert "<title>NPS and CSAT of this account by month</title>" in svg
    assert 'viewBox="0 0 420 190"' in svg  # drawn for the narrow column, not scaled down
    assert "<desc>January 2026: NPS 100.0; March 2026: NPS -100.0, CSAT 100.0</desc>" in svg
    # Twelve months from May 2025 to April 2026: ten without an answer.
    assert svg.count('class="gap"') == 10 and "Feb 2026: no answers" in svg
    assert svg.count("<polyline") == 3  # NPS in two runs, CSAT one point
    assert nps_history(AccountFactory(), today=TODAY).chart() == ""


def test_the_account_page_shows_the_trend_and_each_contacts_scores(client, account, csm):
    bea = ContactFactory(account=account, name="Bea Boss")
    sent(account, at=dt.date(2026, 2, 9), score=9, contact=bea)
    sent(account, at=dt.date(2026, 4, 3), score=3, contact=bea)
    client.force_login(csm)
    html = client.get(account.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    trend = html[html.index('data-testid="survey-trend"') :]
    assert "<svg" in trend and "NPS und CSAT dieses Kunden nach Monat" in trend
    contacts = html[html.index('data-testid="survey-contacts"') :]
    contacts = contacts[: contacts.index("</ul>")]
    assert "Bea Boss" in contacts and contacts.index("NPS 9") < contacts.index("NPS 3")
    assert "Antworten je Kontakt" in contacts
    card = html[html.index('data-testid="survey-history"') :]
    assert 'href="/interactions/surveys/report/">Umfragebericht</a>' in card
