"""Text stored on a flag (a person's comment, an explanation from before messages were stored)
is shown as it was stored, escaped and whole, on every page that shows it, however long and
whatever it holds. Nothing parses it back: the regular expressions that used to recognise a
stored sentence in such text backtracked on a comment like this one, and 4 KB of it held a page
for seconds (issue 14, finding 2). The time is measured in bench/bench_pages.py, not here."""

import html

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.api_clients import client_for

from ..factories import HealthScoreFactory, RiskFlagFactory, make_customer
from .nasty import ADVERSARIAL_COMMENT as ADVERSARIAL

pytestmark = pytest.mark.django_db

SHOWN = html.escape(ADVERSARIAL[1:])  # the at-risk list capitalises an explanation's first letter


@pytest.fixture
def flags(csm):
    """Carla's red account with an acknowledged, a snoozed and a resolved flag, each carrying the
    comment in every text a person (or an older scoring run) wrote on it."""
    account = make_customer(owner=csm, name="Acme GmbH")
    HealthScoreFactory(account=account, score=30, band="red")
    now = timezone.now()
    acknowledged = RiskFlagFactory(
        account=account,
        status="acknowledged",
        explanation=ADVERSARIAL,
        acknowledged_by=csm,
        acknowledged_at=now,
        acknowledged_comment=ADVERSARIAL,
    )
    acknowledged.events.create(by=csm, to_status="acknowledged", comment=ADVERSARIAL)
    snoozed = RiskFlagFactory(
        account=account,
        reason="score_drop",
        status="snoozed",
        explanation=ADVERSARIAL,
        snoozed_until=timezone.localdate() + timezone.timedelta(days=7),
        snooze_reason=ADVERSARIAL,
    )
    resolved = RiskFlagFactory(
        account=account,
        reason="champion_left",
        status="resolved",
        explanation=ADVERSARIAL,
        resolved_by=csm,
        resolved_at=now,
        resolved_comment=ADVERSARIAL,
    )
    return {"acknowledged": acknowledged, "snoozed": snoozed, "resolved": resolved}


def _page(client, url: str, headers=None, **params) -> str:
    response = client.get(url, params, headers=headers)
    assert response.status_code == 200, url
    return response.content.decode()


def _assert_shown_escaped_and_whole(page: str, times: int, where: str) -> None:
    assert page.count(SHOWN) >= times, where
    assert "<i>&" not in page, where


def test_a_50_kb_comment_is_shown_escaped_and_whole_on_every_page(client, csm, flags):
    client.force_login(csm)
    at_risk = reverse("retention:at_risk")
    # the list: two unresolved flags, each with its explanation and its person's note
    _assert_shown_escaped_and_whole(_page(client, at_risk), 4, "at-risk list")
    _assert_shown_escaped_and_whole(_page(client, at_risk, status="resolved"), 2, "resolved list")
    # the account page: the health panel's flags, and the timeline's (with their comments)
    account_page = _page(client, flags["acknowledged"].account.get_absolute_url())
    _assert_shown_escaped_and_whole(account_page, 7, "account page")
    # each flag's row (as the list reloads it), and the page of an action on it
    for flag in flags.values():
        url = reverse("retention:at_risk_row", args=[flag.pk])
        row = _page(client, url, headers={"HX-Request": "true"})
        _assert_shown_escaped_and_whole(row, 2, f"row of the {flag.status} flag")
    action = reverse("retention:flag_action", args=[flags["snoozed"].pk, "acknowledge"])
    _assert_shown_escaped_and_whole(_page(client, action), 2, "acknowledge page")


def test_the_api_gives_a_50_kb_comment_back_whole(csm, flags):
    flag = flags["acknowledged"]
    data = client_for(csm).get(f"/api/v1/risk-flags/{flag.pk}/").json()
    assert data["explanation"] == ADVERSARIAL
    assert data["acknowledged_comment"] == ADVERSARIAL
    assert data["events"][-1]["comment"] == ADVERSARIAL
