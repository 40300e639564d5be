"""Health follows the work, in Debian's Chromium: a CSM logs a call on a red account and the
page they are on shows the account scored again (retention/follow.py), without waiting for the
night's run.

The account is red by what the health model measures (no meeting or call for 200 days, a red
sentiment reading), not by a score set by hand that a rescore would not touch.
"""

import pytest

from retention.models import AccountHealth, RiskFlag

from ..factories import ContactFactory

# The fixture of the unit tests: "Rot GmbH", last met 200 days ago, read red yesterday: red,
# with an open "entered red" flag.
from ..retention.test_follow import red_account  # noqa: F401 (the fixture)
from .test_journeys import Shots, browser, page, settled, sign_in  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_csm_logs_a_call_on_a_red_account_and_the_page_shows_the_new_score(
    live_server,
    page,  # noqa: F811 (the fixture)
    csm,
    red_account,  # noqa: F811 (the fixture)
):
    ContactFactory(account=red_account, name="Petra Pfeiffer", is_champion=True)
    shot = Shots("health")
    sign_in(page, live_server, "carla")
    page.get_by_role("link", name="Rot GmbH").first.click()
    page.wait_for_selector("[data-testid=log-form]")
    settled(page)
    card = page.locator("[data-testid=health-card]")
    before = AccountHealth.objects.get(account=red_account).score
    assert card.locator(".band").inner_text() == "Red"
    assert card.locator(".score").inner_text() == str(before)
    reasons = card.locator("[data-testid=health-reasons]")
    assert "no meeting or call for 200 days" in reasons.inner_text()
    assert "Entered red" in card.inner_text()  # the open flag
    touch = page.locator("[data-testid=next-touch]")
    assert "overdue" in touch.inner_text()
    shot(page, "red")

    page.fill("#id_summary", "Long call with Petra, all sorted")
    page.locator("label[for=id_kind_1]").click()  # Call
    page.locator("#log-panel label", has_text="Petra Pfeiffer").click()
    tone = page.locator("#log-panel input[name=tone][value=positive]").get_attribute("id")
    page.locator(f"label[for={tone}]").click()
    page.locator("#log-panel").get_by_role("button", name="Save").click()
    page.wait_for_selector("[data-testid=log-saved]")
    settled(page)

    after = AccountHealth.objects.get(account=red_account)
    assert after.band != "red" and after.score > before
    # The page shows what the save scored, out of band: the new band and score, the
    # engagement reason gone, and the flag resolved itself (no longer listed as open).
    assert card.locator(".score").inner_text() == str(after.score)
    assert card.locator(".band").inner_text() == after.band.capitalize()
    assert "no meeting or call" not in reasons.inner_text()
    assert "Entered red" not in card.inner_text()
    assert "Long call with Petra" in page.locator("[data-testid=timeline]").inner_text()
    assert "overdue" not in touch.inner_text()  # the next touch moved by the cadence
    shot(page, "scored-again")

    flag = RiskFlag.objects.get(account=red_account)
    assert (flag.status, flag.auto_resolved) == (RiskFlag.Status.RESOLVED, True)

    # And the portfolio the CSM goes back to agrees.
    page.locator("#nav").get_by_role("link", name="My portfolio").click()
    row = page.locator("[data-testid=portfolio] tbody tr", has_text="Rot GmbH")
    row.wait_for()
    assert row.locator(".band").inner_text() == after.band.capitalize()
    shot(page, "portfolio")
