"""Nothing is served to someone who has not signed in, except an explicit, short list.

The test walks every URL pattern the resolver knows (pages, the REST API's router, the admin),
fills its parameters with ids of rows it created, and requests it anonymously with GET and
POST. A page must redirect to the sign-in form (``settings.LOGIN_URL`` with ``?next=`` the
page), the API must answer 401 or 403, the admin must redirect to the admin's sign-in form.
A URL added later without a login check makes ``test_only_the_allow_list_is_public`` fail;
a URL whose parameters the filler cannot fill fails ``test_every_url_pattern_is_requested``.
"""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone

from retention.models import Playbook
from retention.playbooks import services as playbook_services

from ..factories import (
    AccountFactory,
    ChurnRecordFactory,
    ContactFactory,
    ContractFactory,
    CustomerSpanFactory,
    FeedbackFactory,
    FollowUpFactory,
    HandoverRequestFactory,
    HealthScoreFactory,
    InboxItemFactory,
    InteractionFactory,
    OpenProblemFactory,
    OwnershipTransferFactory,
    PlannedMeetingFactory,
    RiskFlagFactory,
    SentimentReadingFactory,
)
from .url_walk import endpoints, fill, verdict

pytestmark = pytest.mark.django_db

# The URL patterns anyone may request without signing in, and why. Keep it short: a pattern
# that is public without being listed here (or listed without being public) fails the test.
# Static files are not among the patterns: the web server (or ``runserver``) serves them.
PUBLIC = {
    "login": "the sign-in form",
    "logout": "signing out: without a session it only redirects to the sign-in form",
    "favicon": "redirects to the site's icon, a static file",
    "healthz": "liveness for the load balancer: answers {'status': 'ok'}, no data",
    "calendar:feed": "a user's private calendar feed: its signed token is the secret (else 404)",
    "survey_answer": "a survey's personal link /s/<token>/, for a customer's contact who has "
    "no account: the question and the answer form (POST to itself), and with ?unsubscribe=1 "
    "the unsubscribe confirmation (POST unsubscribe=1). The random token (only its SHA-256 "
    "stored, valid 30 days) is the secret; unknown, forged and expired links get one 404 page "
    "that names nothing; rate-limited per client address; CSRF-checked",
    "api:token": "trades a username and password for an API token (throttled per IP)",
    "admin:login": "the admin's sign-in form",
    "admin:logout": "redirects to the admin index, which redirects to the admin sign-in form",
}


@pytest.fixture
def rows(csm):
    """One row of every model a URL names, owned by the CSM."""
    account = AccountFactory(name="Anonymous Probe AG", owner=csm)
    made = [
        account,
        account.segment,
        ContactFactory(account=account),
        ContractFactory(account=account),
        CustomerSpanFactory(account=account),
        InteractionFactory(account=account),
        FollowUpFactory(account=account),
        OpenProblemFactory(account=account),
        FeedbackFactory(account=account),
        OwnershipTransferFactory(account=account, from_owner=None, to_owner=csm),
        HandoverRequestFactory(account=account, proposed_owner=csm),
        ChurnRecordFactory(account=account),
        HealthScoreFactory(account=account),
        RiskFlagFactory(account=account),
        SentimentReadingFactory(account=account),
        PlannedMeetingFactory(account=account),
        InboxItemFactory(user=csm),
        ContentType.objects.get_for_model(account),
    ]
    run = playbook_services.start_campaign(
        playbook=Playbook.objects.get(name="Re-engagement"), account_ids=[account.pk], by=csm
    )[0]
    made += [run, run.steps.first()]
    return {type(row): row for row in made}


@pytest.fixture
def anonymous_walk(rows):
    """Every pattern requested anonymously: ({name: [(method, url, status, verdict)]},
    [patterns the filler could not fill], how many patterns were requested)."""
    results, unfilled, requested = {}, [], 0
    for endpoint in endpoints():
        try:
            urls = endpoint.urls(fill(endpoint, rows))
        except LookupError as error:
            unfilled.append(str(error))
            continue
        requested += 1
        outcomes = results.setdefault(endpoint.name, [])
        for url in urls:
            for method in ("get", "post"):
                response = getattr(Client(), method)(url)
                outcomes.append(
                    (method.upper(), url, response.status_code, verdict(endpoint, url, response))
                )
    return results, unfilled, requested


def test_every_url_pattern_is_requested(anonymous_walk):
    results, unfilled, requested = anonymous_walk
    assert not unfilled, "Extend the URL filler for:\n" + "\n".join(unfilled)
    assert requested == len(endpoints())
    # The walk reaches the apps' pages, the DRF router's routes and the admin.
    for name in (
        "customers:account_detail",
        "retention:flag_action",
        "api:interaction-detail",
        "api:risk-flag-snooze",
        "admin:customers_account_change",
        "admin_import_csv",
        "set_language",
    ):
        assert name in results, f"{name} was not found by the resolver walk"


def test_only_the_allow_list_is_public(anonymous_walk):
    results, *_rest = anonymous_walk
    public = {
        name
        for name, outcomes in results.items()
        if any(v == "served" for *_rest, v in outcomes)
        or not any(v == "protected" for *_rest, v in outcomes)
    }
    unexpected = {
        name: [o for o in results[name] if o[3] != "protected"] for name in public - PUBLIC.keys()
    }
    assert not unexpected, (
        "These URLs answer without a login (require one, or add them to PUBLIC with the "
        f"reason): {unexpected}"
    )
    assert public == PUBLIC.keys(), f"Listed as public but protected: {PUBLIC.keys() - public}"


def test_protected_pages_redirect_to_the_sign_in_form_with_next(anonymous_walk):
    """A spot check of what ``verdict`` accepts, so a broken check cannot pass everything."""
    results, *_rest = anonymous_walk
    method, url, status, seen = results["customers:account_list"][0]
    assert (method, url, status, seen) == ("GET", "/customers/", 302, "protected")
    assert {o[2] for o in results["api:account-list"]} <= {401, 403}
    assert {o[3] for o in results["admin:customers_account_changelist"]} == {"protected"}
    assert {o[3] for o in results["healthz"]} == {"served"}


def test_language_choice_is_not_public(anonymous_walk):
    """Choosing the language saves it on the user: it needs a signed-in user."""
    results, *_rest = anonymous_walk
    assert {o[3] for o in results["set_language"]} == {"protected"}


def test_the_public_survey_page_is_the_answer_and_unsubscribe_page_of_a_live_link(client, csm):
    """The allow-listed survey URL serves a live link's question and its unsubscribe
    confirmation without sign-in; the survey pages of our users (report, CSV, sending) are not
    public."""
    from django.urls import reverse

    from interactions.models import SurveySend
    from interactions.surveys import services

    account = AccountFactory(owner=csm, name="Geheim GmbH")
    token, digest = services.new_token()
    SurveySend.objects.create(
        account=account,
        contact=ContactFactory(account=account),
        kind="nps",
        language="en",
        token_hash=digest,
        expires_at=timezone.now() + dt.timedelta(days=30),
    )
    link = reverse("survey_answer", args=[token])
    assert "unsubscribe" in PUBLIC["survey_answer"] and "404" in PUBLIC["survey_answer"]
    question = client.get(link)
    assert question.status_code == 200 and b'name="score"' in question.content
    assert b"Geheim GmbH" not in question.content
    assert b"No more surveys?" in client.get(link + "?unsubscribe=1").content
    for url in (
        reverse("interactions:survey_report"),
        reverse("interactions:survey_answers_export"),
        reverse("interactions:survey_send", args=[account.pk]),
        reverse("retention:survey_selection"),
    ):
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code in (302, 405), url
            if response.status_code == 302:
                assert response["Location"].startswith(reverse("login")), url
