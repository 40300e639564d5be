"""Surveys in Debian's Chromium (issue 17, "Done when"): a CSM sends a CSAT survey to two
contacts from the account page; one contact opens the link from the email (the test mail
outbox), answers 3 with a comment; the CSM sees it on the timeline, in the health reasons (the
voice of the customer, rescored at once) and in the inbox (a detractor), as a person sees them:
on the pages, not in the database."""

import re

import pytest
from django.core import mail

from crm.celery import app as celery_app
from crm.models import InboxItem
from interactions.surveys import services

from ..factories import ContactFactory, make_customer
from .test_journeys import browser, page, settled, sign_in  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def shipped_defaults(db):
    """The rows the data migration ships: an earlier transactional test flushed them away."""
    import importlib

    from django.apps import apps

    if not apps.get_model("interactions.SurveyTemplate").objects.exists():
        importlib.import_module("interactions.migrations.0010_default_survey_templates").add(
            apps, None
        )


def test_a_survey_from_send_to_answer_to_timeline(
    live_server,
    page,  # noqa: F811 (the fixture)
    csm,
    settings,
    monkeypatch,
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = live_server.url
    settings.SURVEY_COMPANY_NAME = "Beispiel AG"
    # The worker's delivery, in the server's thread (no broker in a browser test).
    monkeypatch.setattr(services, "deliver_later", services.deliver_here)
    # The answer's rescoring is a worker's task after commit: here it runs in the server's
    # thread as it is sent, as the worker would run it the same minute.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    # A customer since 2025: past onboarding, so the voice of the customer counts in health.
    account = make_customer(owner=csm, name="Umfrage GmbH")
    boss = ContactFactory(account=account, name="Bea Boss", is_decision_maker=True)
    ContactFactory(account=account, name="Chris Champion", is_champion=True)
    ContactFactory(account=account, name="Otto Other")

    sign_in(page, live_server, "carla")
    page.goto(f"{live_server.url}{account.get_absolute_url()}")
    settled(page)
    page.locator("#feedback").get_by_role("link", name="Send survey").click()
    page.select_option("#id_kind", "csat")
    assert page.get_by_label(re.compile("Bea Boss")).is_checked()
    assert page.get_by_label(re.compile("Chris Champion")).is_checked()
    assert not page.get_by_label(re.compile("Otto Other")).is_checked()
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("text=Survey sent to 2 contact(s).")
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        c.email for c in account.contacts.filter(name__in=["Bea Boss", "Chris Champion"])
    )

    (message,) = [m for m in mail.outbox if m.to == [boss.email]]
    link = re.search(r"(http://\S+/s/\S+/)", message.body).group(1)
    contact = page.context.browser.new_context().new_page()  # no session: the customer
    contact.goto(link)
    assert "Beispiel AG" in contact.content() and "Umfrage GmbH" not in contact.content()
    contact.locator("label[for=score-3]").click()
    contact.fill("#comment", "Support was slow this month")
    contact.get_by_role("button", name="Send my answer").click()
    contact.wait_for_selector("text=Thank you for your answer!")
    contact.context.close()

    page.goto(f"{live_server.url}{account.get_absolute_url()}")
    settled(page)
    timeline = page.locator("[data-testid=timeline]").inner_text()
    assert "Support was slow this month" in timeline and "CSAT 3" in timeline
    assert "Support was slow this month" in page.locator("#feedback").inner_text()
    reasons = page.locator("[data-testid=health-card] [data-testid=health-reasons]").inner_text()
    assert "latest CSAT 3 (detractor, 0 days ago)" in reasons
    assert "Bea Boss" in page.locator("[data-testid=survey-contacts]").inner_text()

    inbox = page.locator("[data-testid=inbox-link]")
    unread = InboxItem.objects.filter(user=csm, read_at__isnull=True).count()
    assert unread >= 1 and inbox.inner_text().endswith(str(unread))  # the detractor, the play
    inbox.click()
    item = page.locator("[data-testid=inbox-item]", has_text="Detractor answer")
    assert "Detractor answer from Umfrage GmbH: CSAT 3" in item.inner_text()
    assert InboxItem.objects.filter(user=csm, kind=InboxItem.Kind.DETRACTOR).count() == 1
    item.get_by_role("link").click()  # the item leads to the answer on the account page
    page.wait_for_url(f"**{account.get_absolute_url()}**")
    assert "Support was slow this month" in page.locator("#feedback").inner_text()
