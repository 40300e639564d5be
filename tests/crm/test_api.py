"""What every app's API shares (crm/api.py): the browsable API's forms offer only what the
user may see, and a related id out of scope is answered like one that does not exist."""

import pytest
from django.urls import reverse

from tests.api_clients import client_for
from tests.factories import (
    ContactFactory,
    FeedbackFactory,
    FollowUpFactory,
    InteractionFactory,
    OpenProblemFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# The router's list endpoints that a CSM may write to, and so gets a form for.
WRITABLE = ["contact", "interaction", "follow-up", "problem", "feedback"]
READABLE = ["account", "contract", "segment", "health-score", "risk-flag"]


@pytest.fixture
def rows(csm, teammate, other_csm, book):
    """A row of every kind on the CSM's account and on another team's."""
    made = {}
    for side, account, person in (("mine", book["mine"], csm), ("other", book["other"], other_csm)):
        contact = ContactFactory(account=account, name=f"Contact {side}")
        interaction = InteractionFactory(account=account, author=person)
        made[side] = {
            "contact": contact,
            "interaction": interaction,
            "follow-up": FollowUpFactory(account=account, owner=person),
            "problem": OpenProblemFactory(account=account),
            "feedback": FeedbackFactory(account=account, contact=contact),
        }
    # Someone in no team of the CSM's, and someone who left: neither is offered.
    UserFactory(first_name="Nadia", last_name="Nobody", team=None)
    UserFactory(first_name="Gone", last_name="Teammate", team=csm.team, is_active=False)
    return made


def _page(client, user, url):
    client.force_login(user)
    response = client.get(url, HTTP_ACCEPT="text/html")
    assert response.status_code == 200, url
    return response.content.decode()


def _hidden_from_csm(page: str) -> list[str]:
    # Names of people, accounts and contacts the CSM may not see (an interaction, a problem
    # or feedback shows as its account's name).
    leaks = ["Otto Other", "Nadia Nobody", "Gone Teammate", "Other AG", "Contact other"]
    return [text for text in leaks if text in page]


@pytest.mark.parametrize("name", WRITABLE + READABLE)
def test_browsable_api_lists_offer_a_csm_only_their_scope(client, csm, rows, name):
    page = _page(client, csm, reverse(f"api:{name}-list"))
    assert _hidden_from_csm(page) == []


@pytest.mark.parametrize("name", WRITABLE)
def test_browsable_api_edit_forms_offer_a_csm_only_their_scope(client, csm, rows, name):
    page = _page(client, csm, reverse(f"api:{name}-detail", args=[rows["mine"][name].pk]))
    assert _hidden_from_csm(page) == []


def test_the_follow_up_form_offers_the_csm_and_their_team(client, csm, teammate, rows):
    page = _page(client, csm, reverse("api:follow-up-list"))
    for person in (csm, teammate):
        assert f'<option value="{person.pk}"' in page


def test_an_admin_is_offered_everyone_active(client, admin_user, other_csm, rows):
    page = _page(client, admin_user, reverse("api:follow-up-list"))
    assert f'<option value="{other_csm.pk}"' in page
    assert "Nadia Nobody" in page
    assert "Gone Teammate" not in page


@pytest.mark.parametrize("name", WRITABLE)
@pytest.mark.parametrize("value", [10**30, -1, "abc"])
def test_a_related_id_past_any_row_is_a_400_not_an_error(csm, book, name, value):
    response = client_for(csm).post(reverse(f"api:{name}-list"), {"account": value})
    assert response.status_code == 400
    assert "account" in response.json()
