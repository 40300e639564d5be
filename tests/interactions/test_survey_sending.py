"""Sending surveys (interactions.surveys): the shipped texts when an admin deleted the
templates, a bulk send from a selection in the lists, scoped, and what the sender is told."""

import pytest
from django.core import mail

from interactions.models import SurveySend, SurveyTemplate
from interactions.surveys import services
from interactions.surveys.defaults import SHIPPED
from tests.factories import AccountFactory, ContactFactory

# The site's settings (autouse) and the worker's delivery at the send, as for every survey.
from .test_surveys import LINK, _site, deliver_now  # noqa: F401 (fixtures)


@pytest.fixture
def account(csm):
    return AccountFactory(owner=csm, name="Kunde GmbH")


# --- no template: the shipped texts -------------------------------------------------------


@pytest.fixture
def no_templates(db):
    SurveyTemplate.objects.all().delete()


@pytest.mark.usefixtures("no_templates", "deliver_now")
def test_without_templates_the_account_page_sends_the_shipped_text_in_each_language(
    client, csm, account
):
    english = ContactFactory(account=account, language="en", name="Kim")
    german = ContactFactory(account=account, language="de", name="Jana")
    client.force_login(csm)
    response = client.post(
        f"/interactions/accounts/{account.pk}/survey/",
        {"kind": "csat", "contacts": [english.pk, german.pk]},
    )
    assert response.status_code == 302
    by_address = {m.to[0]: m for m in mail.outbox}
    assert by_address[english.email].subject == "How satisfied are you with Beispiel AG?"
    assert by_address[german.email].subject == "Wie zufrieden sind Sie mit Beispiel AG?"
    assert "Guten Tag Jana" in by_address[german.email].body
    assert set(SurveySend.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.usefixtures("no_templates", "deliver_now")
def test_without_templates_the_api_sends_and_the_answer_page_asks_the_shipped_question(
    client, csm, account
):
    contact = ContactFactory(account=account, language="de")
    client.force_login(csm)
    response = client.post(
        "/api/v1/surveys/",
        {"account": account.pk, "contacts": [contact.pk], "kind": "nps"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    (message,) = mail.outbox
    assert message.subject == "Eine kurze Frage von Beispiel AG"
    client.logout()
    page = client.get(LINK.search(message.body).group(1))
    assert page.status_code == 200
    question = SHIPPED[("nps", "de")][1].replace("{company}", "Beispiel AG")
    assert question in page.content.decode()


def test_an_admins_template_wins_over_the_shipped_text_of_its_language(db, settings):
    settings.LANGUAGE_CODE = "en"
    SurveyTemplate.objects.filter(kind="nps", language="de").delete()
    SurveyTemplate.objects.filter(kind="nps", language="en").update(subject="Ours")
    assert services.template_for("nps", "en").subject == "Ours"
    # German has no template left: the shipped German text, not the admin's English one.
    assert services.template_for("nps", "de").subject == SHIPPED[("nps", "de")][0]
    # A language without shipped text: the installation's language.
    assert services.template_for("nps", "fr").subject == "Ours"
