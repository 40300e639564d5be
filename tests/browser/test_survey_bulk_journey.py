"""A CSM sends a survey to a selection in the accounts list, in Debian's Chromium with
JavaScript off and the keyboard only: ticks two of their accounts, picks CSAT, sends, and
reads how many were asked and why the others were not."""

import re

import pytest
from django.core import mail

from interactions.models import SurveySend
from interactions.surveys import services

from ..factories import AccountFactory, ContactFactory
from .test_journeys import DESKTOP, PASSWORD, Shots, browser  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_csm_sends_a_survey_to_ticked_accounts_with_the_keyboard_and_no_javascript(
    live_server,
    browser,  # noqa: F811 (the fixture)
    csm,
    teammate,
    settings,
    monkeypatch,
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = live_server.url
    # The worker's delivery, in the server's thread (no broker in a browser test).
    monkeypatch.setattr(services, "deliver_later", services.deliver_here)
    kranich = AccountFactory(owner=csm, name="Kranich AG")
    ContactFactory(account=kranich, name="Bea Boss", is_decision_maker=True)
    ContactFactory(account=kranich, name="Nora Nomail", is_champion=True, email="")
    reiher = AccountFactory(owner=csm, name="Reiher GmbH")
    ContactFactory(account=reiher, name="Chris Champion", is_champion=True)
    AccountFactory(owner=csm, name="Storch KG")  # not ticked
    theirs = AccountFactory(owner=teammate, name="Taube OHG")  # listed, not the CSM's to change

    context = browser.new_context(viewport=DESKTOP, locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    shot = Shots("survey-bulk")
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "carla")
        page.fill("#id_password", PASSWORD)
        page.press("#id_password", "Enter")
        page.wait_for_url(re.compile(r".*/retention/portfolio/$"))
        page.goto(f"{live_server.url}/customers/")
        assert page.locator(f'input[name=account][value="{theirs.pk}"]').count() == 0
        for name in ("Kranich AG", "Reiher GmbH"):
            page.get_by_label(f"Select {name}").focus()
            page.keyboard.press("Space")
        page.locator("#campaign-survey").focus()
        page.keyboard.press("ArrowDown")  # NPS → CSAT
        page.get_by_role("button", name="Send survey").focus()
        shot(page, "ticked")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*/customers/$"))
        message = "Survey sent to 2 contact(s). Skipped 1: 1 no email address."
        page.get_by_text(message).wait_for()
        shot(page, "sent")
    finally:
        context.close()
    assert {(s.account.name, s.kind) for s in SurveySend.objects.select_related("account")} == {
        ("Kranich AG", "csat"),
        ("Reiher GmbH", "csat"),
    }
    assert len(mail.outbox) == 2
