import sys
import types

import pytest
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import clear_url_caches, path, reverse

from crm.views import add_service_errors
from customers.forms import ContactForm
from customers.models import Account

from ..factories import (
    AccountFactory,
    ContactFactory,
    FeedbackFactory,
    FollowUpFactory,
    InteractionFactory,
    OpenProblemFactory,
    OwnershipTransferFactory,
)

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


# --- signing in ---


def test_sign_in_leads_to_the_portfolio(client, csm):
    page = client.get(reverse("login"))
    assert page.status_code == 200 and b"Sign in to Treue" in page.content
    response = client.post(
        reverse("login"), {"username": "carla", "password": "treue-test-pass"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("retention:portfolio")
    assert b"My portfolio" in response.content


def test_wrong_password_is_explained(client, csm):
    response = client.post(reverse("login"), {"username": "carla", "password": "nope"})
    assert b"do not match" in response.content


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/retention/portfolio/",
        "/retention/team/",
        "/customers/",
        "/customers/handovers/",
        "/interactions/log/",
    ],
)
def test_pages_need_a_signed_in_user(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --- navigation by role ---


@pytest.mark.parametrize(
    ("persona", "lead", "admin"),
    [
        ("csm", False, False),
        ("team_lead", True, False),
        ("admin_user", True, True),
    ],
)
def test_navigation_by_role(client, request, persona, lead, admin):
    html = login(client, request.getfixturevalue(persona)).get("/customers/").content.decode()
    assert "My portfolio" in html and "Handovers to acknowledge" in html
    assert (reverse("retention:team_dashboard") in html) is lead
    assert (reverse("admin:index") in html) is admin


def test_navigation_counts_handovers_to_acknowledge(client, csm, teammate):
    for account in AccountFactory.create_batch(2, owner=csm):
        OwnershipTransferFactory(account=account, from_owner=teammate, to_owner=csm)
    html = login(client, csm).get("/customers/").content.decode()
    assert 'data-testid="handover-count">2<' in html


def _urlconf_with_at_risk():
    from crm import urls

    module = types.ModuleType("tests_crm_urls_with_at_risk")
    module.urlpatterns = [
        path("retention/at-risk/", lambda request: None, name="at_risk_stub"),
        *urls.urlpatterns,
    ]
    sys.modules[module.__name__] = module
    return module.__name__


def test_at_risk_link_only_when_the_page_exists(client, team_lead, settings):
    login(client, team_lead)
    if "/retention/at-risk/" not in client.get("/customers/").content.decode():
        settings.ROOT_URLCONF = _urlconf_with_at_risk()
        clear_url_caches()
    html = client.get("/customers/").content.decode()
    assert 'href="/retention/at-risk/"' in html
    clear_url_caches()


def test_messages_follow_an_action(client, csm):
    account = AccountFactory(owner=csm)
    response = login(client, csm).post(
        reverse("customers:contact_create", args=[account.pk]), {"name": "Ann"}, follow=True
    )
    assert b'role="alert"' in response.content and b"Ann added to the contacts." in response.content


# --- the scope matrix: a CSM of team B sees nothing of team A ---


@pytest.fixture
def team_a_book(csm, teammate):
    account = AccountFactory(owner=csm, name="Team A Secret GmbH")
    contact = ContactFactory(account=account, name="Secret Contact")
    return {
        "account": account,
        "contact": contact,
        "interaction": InteractionFactory(account=account, summary="Secret call"),
        "follow_up": FollowUpFactory(account=account, title="Secret promise"),
        "problem": OpenProblemFactory(account=account, title="Secret problem"),
        "feedback": FeedbackFactory(account=account, comment="Secret feedback"),
        "transfer": OwnershipTransferFactory(account=account, from_owner=teammate, to_owner=csm),
    }


GETS = [
    ("customers:account_detail", "account"),
    ("customers:account_timeline", "account"),
    ("customers:contact_create", "account"),
    ("customers:account_transfer", "account"),
    ("customers:contact_detail", "contact"),
    ("customers:contact_edit", "contact"),
    ("interactions:interaction_detail", "interaction"),
    ("interactions:interaction_edit", "interaction"),
    ("interactions:brief", "account"),
    ("interactions:follow_up_create", "account"),
    ("interactions:problem_create", "account"),
    ("interactions:feedback_create", "account"),
    ("interactions:follow_up_edit", "follow_up"),
    ("interactions:problem_edit", "problem"),
    ("interactions:feedback_edit", "feedback"),
]
POSTS = [
    ("interactions:follow_up_done", "follow_up"),
    ("interactions:follow_up_reopen", "follow_up"),
    ("customers:handover_acknowledge", "transfer"),
]


@pytest.mark.parametrize("persona", ["other_csm"])
@pytest.mark.parametrize(("name", "key"), GETS + POSTS)
def test_another_team_gets_404_and_sees_nothing(client, request, team_a_book, persona, name, key):
    login(client, request.getfixturevalue(persona))
    url = reverse(name, args=[team_a_book[key].pk])
    response = client.post(url, {}) if (name, key) in POSTS else client.get(url)
    assert response.status_code == 404
    assert b"Secret" not in response.content


def test_another_team_gets_404_from_the_log_form(client, other_csm, team_a_book):
    login(client, other_csm)
    account = team_a_book["account"]
    assert client.get(reverse("interactions:log"), {"account": account.pk}).status_code == 404
    response = client.post(
        reverse("interactions:log"), {"account": account.pk, "kind": "call", "summary": "x"}
    )
    assert response.status_code == 404
    assert team_a_book["account"].interactions.count() == 1


def test_another_team_sees_none_of_it_in_lists_exports_and_choices(client, other_csm, team_a_book):
    login(client, other_csm)
    pages = [
        reverse("retention:portfolio") + "?scope=all",
        reverse("retention:portfolio_export") + "?scope=all",
        reverse("customers:account_list") + "?q=GmbH",
        reverse("customers:handover_list"),
        reverse("interactions:log"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert b"Secret" not in body, url


def test_transfer_choices_are_scoped(client, team_lead, other_csm, team_a_book):
    html = (
        login(client, team_lead)
        .get(reverse("customers:account_transfer", args=[team_a_book["account"].pk]))
        .content.decode()
    )
    assert "Tom Teammate" in html and "Otto Other" not in html


def test_teammate_reads_but_does_not_change(client, teammate, team_a_book):
    login(client, teammate)
    assert client.get(team_a_book["account"].get_absolute_url()).status_code == 200
    assert (
        client.get(reverse("interactions:brief", args=[team_a_book["account"].pk])).status_code
        == 200
    )
    for name, key in [
        ("customers:contact_edit", "contact"),
        ("interactions:interaction_edit", "interaction"),
        ("interactions:problem_edit", "problem"),
        ("customers:account_transfer", "account"),
    ]:
        assert client.get(reverse(name, args=[team_a_book[key].pk])).status_code == 404, name


# --- error pages look like the product ---


def test_not_found_page_is_branded(client, other_csm, team_a_book):
    response = login(client, other_csm).get(team_a_book["account"].get_absolute_url())
    assert response.status_code == 404
    assert b"Treue" in response.content and b"Back to my portfolio" in response.content


@pytest.mark.parametrize("template", ["403.html", "404.html", "500.html"])
def test_error_pages_render_standalone(template):
    html = render_to_string(template)
    assert template[:3] in html and "bootstrap.min.css" in html and "Treue" in html


# --- service errors on forms ---


def test_service_errors_land_on_the_field_or_above_the_form():
    form = ContactForm(data={"name": "x"})
    form.is_valid()
    add_service_errors(form, ValidationError({"email": "Taken", "account": "Elsewhere"}))
    assert form.errors["email"] == ["Taken"] and "Elsewhere" in form.non_field_errors()
    add_service_errors(form, ValidationError("Plain"))
    assert "Plain" in form.non_field_errors()
    assert Account.objects.count() == 0


def test_every_page_names_the_icon_and_favicon_ico_leads_to_it(client, csm):
    from django.contrib.staticfiles import finders
    from django.templatetags.static import static

    icon = static("crm/favicon.svg")
    assert finders.find("crm/favicon.svg"), "the icon ships as a static file"
    link = f'<link rel="icon" href="{icon}"'
    assert link in client.get(reverse("login")).text
    assert link in login(client, csm).get(reverse("home"), follow=True).text

    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"] == icon
