"""Search finds a contact by email (issue 13): a CSM presses "/", types the email into the
navigation's search box, presses Enter and opens the contact from the hits. Screenshots at
1366 px and at phone width go to ``tests/artifacts/``."""

import re

import pytest

from ..factories import AccountFactory, ContactFactory, InteractionFactory
from . import test_journeys as journeys

browser, page = journeys.browser, journeys.page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_csm_finds_a_contact_by_email_and_opens_it(live_server, page, browser, csm, other_csm):
    shot = journeys.Shots("search")
    account = AccountFactory(owner=csm, name="Kranich Logistik")
    contact = ContactFactory(account=account, name="Beate Kranich", email="bea@kranich.example")
    ContactFactory(account=account, name="Bernd Kranich", email="bernd@kranich.example")
    InteractionFactory(account=account, author=csm, summary="Call with Beate about pricing")
    elsewhere = AccountFactory(owner=other_csm, name="Fremd AG")
    ContactFactory(account=elsewhere, name="Bea Fremd", email="bea@fremd.example")

    journeys.sign_in(page, live_server, csm.username)
    page.locator("main h1").first.click()  # nothing focused: "/" is the shortcut, not a key
    page.keyboard.press("/")
    box = page.locator("#nav-search")
    assert box.evaluate("el => el === document.activeElement")
    box.fill("bea@kranich.example")
    shot(page, "typed")
    box.press("Enter")  # a plain GET form
    page.wait_for_url(re.compile(r".*/search/\?q=bea%40kranich\.example$"))
    hits = page.get_by_test_id("search-hit")
    assert hits.first.inner_text() == "Beate Kranich"
    assert "Bea Fremd" not in page.content()  # another team's contact
    shot(page, "results")

    hits.first.click()
    page.wait_for_url(re.compile(rf".*{re.escape(contact.get_absolute_url())}$"))
    assert "bea@kranich.example" in page.inner_text("main")
    shot(page, "contact")

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    small = phone.new_page()
    journeys.sign_in(small, live_server, csm.username)
    small.goto(f"{live_server.url}/search/?q=kranich")
    assert small.get_by_test_id("search-hit").count() >= 3  # the account and both contacts
    small.screenshot(path=journeys.ARTIFACTS / "search-phone.png", full_page=True)
    phone.close()
