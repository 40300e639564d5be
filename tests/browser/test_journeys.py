"""The three journeys of a new user, in Debian's Chromium (Playwright, no bundled browser).

Each page visited is saved as a screenshot under ``tests/artifacts/`` so a person can look at
them after a run.
"""

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.utils import timezone

from customers.services import refresh_ledger

from ..factories import (
    AccountFactory,
    ContactFactory,
    ContractFactory,
    FeedbackFactory,
    HealthScoreFactory,
    InteractionFactory,
    OpenProblemFactory,
    RiskFlagFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "treue-test-pass"
DESKTOP = {"width": 1366, "height": 900}  # the laptop width issue 13 names
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between steps are synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


class Shots:
    def __init__(self, journey: str):
        self.journey, self.n = journey, 0
        ARTIFACTS.mkdir(exist_ok=True)

    def __call__(self, page, name: str) -> None:
        """The page as it is, and at phone width (the same page narrowed, then widened back:
        nothing is reloaded, so the journey goes on where it was)."""
        self.n += 1
        path = ARTIFACTS / f"{self.journey}-{self.n:02d}-{name}"
        page.screenshot(path=f"{path}.png", full_page=True)
        size = page.viewport_size
        if size and size["width"] > PHONE["width"]:
            page.set_viewport_size(PHONE)
            page.screenshot(path=f"{path}-phone.png", full_page=True)
            page.set_viewport_size(size)


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    # Each role lands where its work is: a CSM on the portfolio, a lead on the dashboard.
    page.wait_for_url(re.compile(r".*/retention/(portfolio|team)/$"))


def settled(page) -> None:
    """Wait until the page has loaded and htmx has finished swapping and processing content:
    a user action before that would be lost (htmx binds its listeners after a swap)."""
    page.wait_for_load_state("load")
    page.wait_for_function(
        "() => window.htmx && !document.querySelector("
        "'.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def open_user_menu(page) -> None:
    """The person's menu in the navigation (language, sign out)."""
    page.get_by_test_id("user-menu").locator("summary").click()


def sign_out(page) -> None:
    open_user_menu(page)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r".*/accounts/login/"))


@pytest.fixture
def acme(csm, teammate):
    account = AccountFactory(
        owner=csm,
        name="Acme Logistics",
        mrr=4200,
        customer_since=dt.date(2023, 4, 1),
        next_renewal_on=timezone.localdate() + dt.timedelta(days=45),
    )
    ContractFactory(account=account, reference="C-ACME-2023", monthly_value="4200.00")
    refresh_ledger(account_ids=[account.pk])  # a customer: a save scores it again
    ContactFactory(
        account=account,
        name="Petra Pfeiffer",
        title="COO",
        is_champion=True,
        preferred_channel="phone",
        preferences="Calls after 4 pm; loves sailing",
    )
    ContactFactory(account=account, name="Dirk Decker", title="CFO", is_decision_maker=True)
    InteractionFactory(
        account=account,
        author=csm,
        kind="meeting",
        summary="Quarterly business review",
        occurred_at=timezone.now() - dt.timedelta(days=20),
    )
    OpenProblemFactory(account=account, title="Invoice export times out", severity="high")
    FeedbackFactory(account=account, score=8, comment="Good, but support is slow")
    borealis = AccountFactory(owner=csm, name="Borealis Bikes", mrr=900)
    AccountFactory(owner=teammate, name="Cobalt Coffee")
    _score(
        account,
        44,
        "red",
        -18,
        {
            "engagement": {
                "impact": -18,
                "explanation": "no meeting or call for 47 days (expected every 30)",
            }
        },
    )
    _score(borealis, 82, "green", 4, {})
    return account


def _score(account, points, band, trend, measures):
    from retention.health.scoring import rebuild_current_health
    from retention.models import HealthScore, ScoringConfiguration

    configuration = ScoringConfiguration.objects.filter(is_active=True).first()
    if configuration is None:  # transactional tests flush the migration's default
        configuration = ScoringConfiguration.objects.create(version=1, is_active=True)
    HealthScore.objects.update_or_create(  # the day's score, as a night's run left it
        account=account,
        scored_on=timezone.localdate(),
        defaults={
            "configuration": configuration,
            "score": points,
            "band": band,
            "trend": trend,
            "measures": measures,
        },
    )
    rebuild_current_health(account_ids=[account.pk])  # as the scoring run keeps it


def test_csm_logs_a_call_with_a_follow_up_and_sees_it_on_the_timeline(live_server, page, csm, acme):
    shot = Shots("csm")
    sign_in(page, live_server, "carla")
    assert page.get_by_role("link", name="Acme Logistics").is_visible()
    rows = page.locator("[data-testid=portfolio] tbody tr")
    assert "Acme Logistics" in rows.first.inner_text()  # red before green
    shot(page, "portfolio")

    page.get_by_role("link", name="+ Log an interaction").click()  # choose the account first
    page.wait_for_selector("#id_account")
    settled(page)  # until htmx has processed the chooser, nothing listens for the choice
    page.select_option("#id_account", label="Borealis Bikes")
    page.wait_for_selector("[data-testid=log-form]")
    assert "Borealis Bikes" in page.inner_text("#log-panel")
    shot(page, "portfolio-quick-log")

    page.get_by_role("link", name="Acme Logistics").first.click()
    page.wait_for_selector("[data-testid=log-form]")  # the quick-log form loads in place
    settled(page)
    shot(page, "account")

    summary = page.locator("#id_summary")
    assert summary.evaluate("el => el === document.activeElement")
    summary.fill("Renewal call with Petra")
    page.locator("#log-panel label", has_text="Petra Pfeiffer").click()
    page.locator("label[for=id_kind_1]").click()  # Call
    page.fill("#id_notes", "Happy with the product, wants faster invoice exports.")
    page.fill("#id_follow_up_title", "Send the renewal offer")
    page.fill("#id_follow_up_due", (timezone.localdate() + dt.timedelta(days=7)).isoformat())
    url_before = page.url
    assert page.locator("[data-testid=health-card] .score").inner_text() == "44"  # red
    page.press("#id_follow_up_title", "Enter")  # Enter saves
    page.wait_for_selector("[data-testid=log-saved]")
    settled(page)
    assert page.url == url_before  # no full page load
    timeline = page.locator("[data-testid=timeline]")
    assert "Renewal call with Petra" in timeline.inner_text()
    assert "Send the renewal offer" in page.locator("#follow-ups-list").inner_text()
    # Health follows the work: the call scored the account again before the answer.
    from retention.models import AccountHealth

    now = AccountHealth.objects.get(account=acme)
    assert now.score != 44
    assert page.locator("[data-testid=health-card] .score").inner_text() == str(now.score)
    shot(page, "logged")

    assert acme.interactions.filter(summary="Renewal call with Petra", kind="call").exists()
    assert acme.follow_ups.get().title == "Send the renewal offer"

    page.locator("[data-testid=follow-up-done]").first.click()
    page.wait_for_selector("#follow-ups-list .followup-done")
    assert acme.follow_ups.get().done_at is not None
    shot(page, "follow-up-done")


@pytest.fixture
def flags(acme, teammate):
    """Two risk flags of team A: Acme entered red a week ago; Cobalt's renewal is at risk."""
    from customers.models import Account
    from retention.models import RiskFlag

    today = timezone.localdate()
    cobalt = Account.objects.get(name="Cobalt Coffee")
    Account.objects.filter(pk=cobalt.pk).update(
        mrr=1800, next_renewal_on=today + dt.timedelta(days=38)
    )
    HealthScoreFactory(account=cobalt, score=58, band="yellow", previous_score=71, trend=-13)
    RiskFlagFactory(
        account=acme,
        reason=RiskFlag.Reason.SCORE_DROP,
        measured_value=18,
        threshold=15,
        explanation="score fell 18 points within 30 days (from 62 to 44)",
    )
    red = RiskFlagFactory(
        account=acme,
        reason=RiskFlag.Reason.ENTERED_RED,
        raised_at=timezone.now() - dt.timedelta(days=6),
        raised_on=today - dt.timedelta(days=6),
        measured_value=44,
        threshold=51,
        explanation="score 44 is red (below 51): -18: no meeting or call for 47 days "
        "(expected every 30)",
    )
    renewal = RiskFlagFactory(
        account=cobalt,
        reason=RiskFlag.Reason.RENEWAL_AT_RISK,
        measured_value=38,
        threshold=90,
        explanation=f"renewal on {(today + dt.timedelta(days=38)).isoformat()} (in 38 days) "
        "is not confirmed and the account is yellow (score 58)",
    )
    return red, renewal


def test_team_lead_reviews_the_at_risk_list_and_transfers_an_account(
    live_server, page, team_lead, teammate, acme, flags
):
    red, _renewal = flags
    shot = Shots("lead")
    sign_in(page, live_server, "lena")
    assert page.url.endswith("/retention/team/")  # a lead lands on the team dashboard
    page.wait_for_selector("[data-testid=per-csm]")
    shot(page, "team-dashboard")

    page.locator("nav").get_by_role("link", name="At-risk list").click()
    page.wait_for_selector("[data-testid=at-risk]")
    settled(page)  # htmx handles the inline actions once it has processed the page
    # One row per account, each with all its flags (a second flag joins Acme's row).
    assert page.locator("[data-testid=account-row]", has_text="Acme Logistics").count() == 1
    account_row = page.locator("[data-testid=account-row]", has_text="Acme Logistics")
    assert account_row.locator("[data-testid=flag-row]").count() == 2
    row = account_row.locator("[data-testid=flag-row]", has_text="Entered red")
    assert "No meeting or call for 47 days" not in row.inner_text()  # lower case: the reason
    assert "no meeting or call for 47 days (expected every 30)" in row.inner_text()
    assert "Renewal at risk" in page.inner_text("[data-testid=at-risk]")
    shot(page, "at-risk")

    url_before = page.url
    row.get_by_role("link", name="Resolve").click()  # a resolve needs a comment
    row.locator("[data-testid=flag-form]").wait_for()
    settled(page)
    row.get_by_role("button", name="Resolve").click()
    row.get_by_text("Say how the risk was dealt with.").wait_for()
    settled(page)
    shot(page, "at-risk-resolve-needs-a-comment")
    row.get_by_role("link", name="Cancel").click()
    row.locator("[data-testid=flag-form]").wait_for(state="detached")

    row.get_by_role("link", name="Acknowledge").click()
    comment = row.locator("textarea[name=comment]")
    comment.wait_for()
    settled(page)
    page.wait_for_function("document.activeElement.name === 'comment'")  # autofocus
    comment.fill("Booked a call with Petra for Friday")
    comment.press("Control+Enter")
    row.locator("[data-testid=flag-note]").wait_for()
    assert "Booked a call with Petra for Friday" in row.inner_text()
    assert row.locator("[data-testid=flag-status]").inner_text() == "Acknowledged"
    assert "acknowledged" in page.locator("[data-testid=toast]").inner_text()
    assert page.inner_text("[data-count=open]") == "2"  # the counts follow the flag
    assert page.inner_text("[data-count=acknowledged]") == "1"
    assert page.url == url_before  # swapped in place, no page load
    shot(page, "at-risk-acknowledged")
    red.refresh_from_db()
    assert (red.status, red.acknowledged_by, red.acknowledged_comment) == (
        "acknowledged",
        team_lead,
        "Booked a call with Petra for Friday",
    )

    page.goto(f"{live_server.url}{acme.get_absolute_url()}")
    page.get_by_role("link", name="Transfer").click()
    page.select_option("#id_to_owner", label="Tom Teammate · Team A")
    page.fill("#id_reason", "Carla goes on parental leave")
    page.fill("#id_handover_notes", "Petra decides; call her after 4 pm. Renewal in 45 days.")
    shot(page, "transfer-form")
    page.get_by_role("button", name="Transfer").click()
    page.wait_for_selector("text=asked to acknowledge the handover")
    shot(page, "transferred")
    acme.refresh_from_db()
    assert acme.owner == teammate


def test_new_owner_acknowledges_the_handover_and_opens_the_brief(
    live_server, page, csm, team_lead, teammate, acme
):
    from customers.services import transfer_ownership

    transfer_ownership(
        account=acme,
        to_owner=teammate,
        by=team_lead,
        reason="Carla leaves",
        handover_notes="Petra decides.",
    )
    shot = Shots("owner")
    sign_in(page, live_server, "tom")
    assert page.locator("[data-testid=handover-count]").inner_text() == "1"
    page.get_by_role("link", name=re.compile("^Handovers")).click()
    page.wait_for_selector("[data-testid=pending-handovers]")
    assert "Petra decides." in page.inner_text("[data-testid=pending-handovers]")
    shot(page, "handovers")

    page.get_by_role("link", name="Read the brief").click()
    page.wait_for_selector("text=Contacts and what they prefer")
    brief = page.inner_text("main")
    for text in [
        "Calls after 4 pm; loves sailing",
        "C-ACME-2023",
        "Invoice export times out",
        "Quarterly business review",
        "Good, but support is slow",
    ]:
        assert text in brief, text
    assert page.locator("[data-testid=single-threaded]").is_visible()  # only Carla has met them
    shot(page, "brief")

    page.get_by_role("button", name="Acknowledge the handover").click()
    page.wait_for_selector("text=acknowledged: it is yours now")
    assert page.locator("[data-testid=handover-count]").count() == 0
    shot(page, "acknowledged")
    acme.transfers.get().refresh_from_db()
    assert acme.transfers.get().acknowledged_at is not None


def test_portfolio_works_on_a_phone(live_server, browser, csm, acme):
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    shot = Shots("phone")
    sign_in(page, live_server, "carla")
    assert not page.get_by_role("link", name="Team dashboard").is_visible()
    assert page.locator(".navbar-toggler").is_visible()
    shot(page, "portfolio")
    page.locator(".navbar-toggler").click()
    page.get_by_role("link", name=re.compile("^Handovers")).wait_for()
    shot(page, "menu")
    context.close()


def test_csm_asks_for_a_handover_and_the_lead_approves_it_to_another_owner(
    live_server, page, csm, teammate, team_lead, acme, flags
):
    """The lead's journey: lands on the team dashboard, reads the at-risk list (one row for an
    account with three open flags), then decides the handover a CSM asked for."""
    from customers.models import HandoverRequest
    from retention.models import RiskFlag

    RiskFlagFactory(  # Acme's third open flag
        account=acme,
        reason=RiskFlag.Reason.CHAMPION_LEFT,
        measured_value=0,
        threshold=1,
        explanation="champion Petra Pfeiffer left",
    )

    shot = Shots("handover-request")
    sign_in(page, live_server, "carla")
    page.goto(f"{live_server.url}{acme.get_absolute_url()}")
    page.get_by_role("link", name="Ask to hand over").click()
    page.select_option("#id_to_owner", label="Tom Teammate · Team A")
    page.fill("#id_reason", "Carla goes on parental leave")
    page.fill("#id_handover_notes", "Petra decides; call her after 4 pm.")
    shot(page, "ask")
    page.get_by_role("button", name="Ask the team lead").click()
    page.wait_for_selector("[data-testid=handover-request-banner]")
    assert "your team lead decides" in page.inner_text("#messages")
    shot(page, "asked")
    sign_out(page)

    sign_in(page, live_server, "lena")
    assert page.url.endswith("/retention/team/")  # the team dashboard, not "My portfolio"
    page.wait_for_selector("[data-testid=per-csm]")
    assert page.locator("h1").first.inner_text() != "My portfolio"
    shot(page, "lead-lands")

    page.locator("nav").get_by_role("link", name="At-risk list").click()
    page.wait_for_selector("[data-testid=at-risk]")
    shot(page, "at-risk-one-row")
    rows = page.locator("[data-testid=account-row]")
    acme_row = rows.filter(has_text="Acme Logistics")
    assert acme_row.count() == 1  # one row per account, however many flags it has
    assert rows.filter(has_text="Cobalt Coffee").count() == 1
    assert rows.count() == 2
    assert acme_row.locator("[data-testid=flag-row]").count() == 3
    in_row = acme_row.inner_text()
    for said in [
        "Entered red",
        "Score dropped",
        "Champion left",
        "no meeting or call for 47 days (expected every 30)",
        "Score fell 18 points within 30 days (from 62 to 44)",
        "Champion Petra Pfeiffer left",
    ]:
        assert said in in_row, (said, in_row)

    assert page.locator("[data-testid=handover-count]").inner_text() == "1"
    page.get_by_role("link", name=re.compile("^Handovers")).click()
    request = page.locator("[data-testid=handover-request]", has_text="Acme Logistics")
    assert "Carla goes on parental leave" in request.inner_text()
    request.locator("select[name=to_owner]").select_option(label="Lena Lead · Team A")
    shot(page, "to-decide")
    request.get_by_role("button", name="Approve").click()
    page.wait_for_selector("text=who is asked to acknowledge the handover")
    shot(page, "approved")
    acme.refresh_from_db()
    asked = HandoverRequest.objects.get()
    assert acme.owner == team_lead and asked.status == "approved"
    assert asked.transfer.handover_notes == "Petra decides; call her after 4 pm."
    # The new owner (here the lead) acknowledges as after any transfer.
    page.get_by_role("link", name=re.compile("^Handovers")).click()
    page.locator("[data-testid=pending-handovers] [data-testid=acknowledge]").click()
    page.wait_for_selector("text=it is yours now")
    assert acme.transfers.get().acknowledged_at is not None
