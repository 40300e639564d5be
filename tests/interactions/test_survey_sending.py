"""Sending surveys (interactions.surveys): the shipped texts when an admin deleted the
templates, a bulk send from a selection in the lists, scoped, and what the sender is told."""

import pytest
from django.core import mail

import interactions.tasks  # noqa: F401 (its tasks known to the test's Celery app)
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


# --- a selection in a list ----------------------------------------------------------------

SELECTION = "/retention/selection/survey/"


def _said(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.mark.usefixtures("deliver_now")
def test_bulk_send_asks_decision_makers_and_champions_of_the_users_accounts_only(
    client, csm, account, other_csm
):
    second = AccountFactory(owner=csm)
    boss = ContactFactory(account=account, is_decision_maker=True)
    fan = ContactFactory(account=second, is_champion=True)
    ContactFactory(account=second)  # neither: not asked
    foreign = ContactFactory(account=AccountFactory(owner=other_csm), is_decision_maker=True)
    client.force_login(csm)
    response = client.post(
        SELECTION, {"survey_kind": "nps", "account": [account.pk, second.pk, foreign.account_id]}
    )
    assert response.status_code == 302
    assert {s.contact for s in SurveySend.objects.all()} == {boss, fan}
    assert {m.to[0] for m in mail.outbox} == {boss.email, fan.email}


@pytest.mark.usefixtures("deliver_now")
def test_a_csm_sends_from_the_accounts_list_and_is_told_what_was_queued_skipped_and_refused(
    client, csm, teammate, account, other_csm
):
    ContactFactory(account=account, is_decision_maker=True)
    ContactFactory(account=account, is_champion=True, email="")  # skipped: no email
    nobody = AccountFactory(owner=csm)  # no decision maker or champion
    ContactFactory(account=nobody)
    theirs = AccountFactory(owner=teammate)  # on the CSM's list, but the teammate's to change
    ContactFactory(account=theirs, is_decision_maker=True)
    foreign = AccountFactory(owner=other_csm)  # another team's: refused like a missing id
    ContactFactory(account=foreign, is_decision_maker=True)
    client.force_login(csm)

    page = client.get("/customers/").content.decode()
    assert 'data-testid="send-survey"' in page
    assert "Start a play" not in page  # a lead's action
    assert f'name="account" value="{account.pk}" form="campaign"' in page
    assert f'name="account" value="{theirs.pk}"' not in page  # nothing to tick there

    response = client.post(
        SELECTION,
        {
            "survey_kind": "csat",
            "account": [account.pk, nobody.pk, theirs.pk, foreign.pk, 10**9],
            "next": "/customers/",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/customers/"
    assert _said(response) == [
        "3 selected accounts were left out: you may not change them.",
        "Survey sent to 1 contact(s). Skipped 1: 1 no email address. "
        "1 account has no decision maker or champion to ask.",
    ]
    assert list(SurveySend.objects.values_list("account_id", "kind")) == [(account.pk, "csat")]


@pytest.mark.usefixtures("deliver_now")
def test_all_accounts_of_a_filtered_list_are_asked_not_only_the_ticked_ones(client, csm):
    kept = [AccountFactory(owner=csm, name=f"Kranich {i}") for i in range(3)]
    other = AccountFactory(owner=csm, name="Zebra")
    for a in [*kept, other]:
        ContactFactory(account=a, is_decision_maker=True)
    client.force_login(csm)
    page = client.get("/retention/portfolio/?q=Kranich").content.decode()
    assert "all 3 accounts of this list" in page
    assert 'name="query" value="q=Kranich"' in page
    client.post(
        SELECTION,
        {"survey_kind": "nps", "all": "1", "list": "portfolio", "query": "q=Kranich"},
    )
    assert set(SurveySend.objects.values_list("account_id", flat=True)) == {a.pk for a in kept}


@pytest.mark.usefixtures("deliver_now")
def test_all_of_the_accounts_list_leaves_out_the_teammates_accounts(client, csm, teammate):
    mine = AccountFactory(owner=csm)
    theirs = AccountFactory(owner=teammate)
    for a in (mine, theirs):
        ContactFactory(account=a, is_decision_maker=True)
    client.force_login(csm)
    response = client.post(
        SELECTION,
        {"survey_kind": "nps", "all": "1", "list": "accounts", "query": ""},
        follow=True,
    )
    assert list(SurveySend.objects.values_list("account_id", flat=True)) == [mine.pk]
    assert "1 selected account was left out: you may not change it." in _said(response)


@pytest.mark.usefixtures("deliver_now")
def test_a_csm_sends_from_the_at_risk_list(client, csm):
    from tests.factories import RiskFlagFactory

    flagged = AccountFactory(owner=csm)
    RiskFlagFactory(account=flagged)
    ContactFactory(account=flagged, is_champion=True)
    calm = AccountFactory(owner=csm)
    ContactFactory(account=calm, is_champion=True)
    client.force_login(csm)
    page = client.get("/retention/at-risk/").content.decode()
    assert f'name="account" value="{flagged.pk}" form="campaign"' in page
    assert 'data-testid="send-survey"' in page and "Start a play" not in page
    client.post(SELECTION, {"survey_kind": "nps", "all": "1", "list": "at_risk", "query": ""})
    assert list(SurveySend.objects.values_list("account_id", flat=True)) == [flagged.pk]


def test_a_selection_too_large_sends_nothing_and_says_so(client, csm, monkeypatch):
    from retention.health import selection

    monkeypatch.setattr(selection, "MAX_SURVEY_ACCOUNTS", 1)
    accounts = [AccountFactory(owner=csm) for _ in range(2)]
    for a in accounts:
        ContactFactory(account=a, is_decision_maker=True)
    client.force_login(csm)
    response = client.post(
        SELECTION, {"survey_kind": "nps", "account": [a.pk for a in accounts]}, follow=True
    )
    assert _said(response) == ["A survey goes to at most 1 accounts at once; 2 are selected."]
    assert not SurveySend.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"survey_kind": "xyz", "account": ["1"]},
        {"survey_kind": "nps", "account": ["abc"]},
        {"survey_kind": "nps", "all": "1", "list": "elsewhere", "query": ""},
        {"survey_kind": "nps", "all": "1", "list": "accounts", "query": "q=" + "x" * 3000},
    ],
)
def test_a_malformed_selection_is_404(client, csm, data):
    client.force_login(csm)
    assert client.post(SELECTION, data).status_code == 404
    assert not SurveySend.objects.exists()


def test_the_api_refuses_an_account_outside_the_senders_scope(client, csm, teammate, other_csm):
    client.force_login(csm)
    for owner in (teammate, other_csm):  # readable but not theirs; another team's
        contact = ContactFactory(account=AccountFactory(owner=owner), is_decision_maker=True)
        response = client.post(
            "/api/v1/surveys/",
            {"account": contact.account_id, "contacts": [contact.pk], "kind": "nps"},
            content_type="application/json",
        )
        assert response.status_code == 400 and "account" in response.json()
    assert not SurveySend.objects.exists()


def test_a_lead_starts_a_play_on_all_accounts_of_the_list(client, csm, team_lead):
    from retention.models import Playbook, PlaybookRun
    from tests.factories import make_customer

    accounts = [make_customer(owner=csm, name=f"Kranich {i}") for i in range(2)]
    make_customer(owner=csm, name="Zebra")
    playbook = Playbook.objects.get(name="Re-engagement")
    client.force_login(team_lead)
    client.post(
        "/retention/plays/start/",
        {"playbook": playbook.pk, "all": "1", "list": "accounts", "query": "q=Kranich"},
    )
    started = set(PlaybookRun.objects.values_list("account_id", flat=True))
    assert started == {a.pk for a in accounts}


# --- delivery -----------------------------------------------------------------------------


class FlakyBackend:
    """An SMTP server that takes ``FlakyBackend.allowed`` messages, then fails (an OSError,
    as smtplib's errors are)."""

    allowed = 0

    def __init__(self, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send_messages(self, messages):
        if FlakyBackend.allowed < len(messages):
            raise OSError("connection lost")
        FlakyBackend.allowed -= len(messages)
        mail.outbox.extend(messages)
        return len(messages)


def test_a_delivery_that_fails_midway_is_retried_for_the_rest_only(account, settings, monkeypatch):
    batches = []
    monkeypatch.setattr(services, "deliver_later", batches.extend)
    contacts = [ContactFactory(account=account) for _ in range(3)]
    services.send_surveys(account=account, contacts=contacts, kind="nps")
    (batch,) = batches
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.allowed = 1
    with pytest.raises(OSError):
        services.deliver(batch)  # the task fails and Celery retries it
    statuses = sorted(SurveySend.objects.values_list("status", flat=True))
    assert statuses == ["failed", "failed", "sent"]
    FlakyBackend.allowed = 10
    assert services.deliver(batch) == 2
    assert set(SurveySend.objects.values_list("status", flat=True)) == {"sent"}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(c.email for c in contacts)


def test_with_the_broker_down_every_chunk_waits_in_the_outbox(
    account, monkeypatch, django_capture_on_commit_callbacks
):
    from crm.models import PendingTask
    from tests.faults.helpers import DEAD_REDIS, celery_app_on

    monkeypatch.setattr(services, "BATCH", 2)
    contacts = [ContactFactory(account=account) for _ in range(5)]
    with celery_app_on(DEAD_REDIS), django_capture_on_commit_callbacks(execute=True):
        result = services.send_surveys(account=account, contacts=contacts, kind="nps")
    kept = list(PendingTask.objects.order_by("pk"))
    assert [row.task for row in kept] == ["interactions.tasks.deliver_surveys"] * 3
    assert sorted(pk for row in kept for pk, _token in row.args[0]) == sorted(result.queued_ids)
    for row in kept:  # what the drain sends once the broker is back, a worker then runs
        services.deliver(*row.args)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(c.email for c in contacts)


@pytest.mark.celery
def test_the_chunks_go_to_the_broker_over_one_connection(
    account, monkeypatch, settings, django_capture_on_commit_callbacks
):
    import json

    import redis
    from kombu import Connection

    from crm.models import PendingTask
    from tests.faults.helpers import celery_app_on

    monkeypatch.setattr(services, "BATCH", 2)
    connected = []
    original = Connection.ensure_connection

    def counting(self, *args, **kwargs):
        connected.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Connection, "ensure_connection", counting)
    broker = settings.CELERY_BROKER_URL  # this run's own Redis database: others' stay as they are
    queue = redis.Redis.from_url(broker)
    before = set(queue.lrange("celery", 0, -1))
    contacts = [ContactFactory(account=account) for _ in range(5)]
    with celery_app_on(broker), django_capture_on_commit_callbacks(execute=True):
        services.send_surveys(account=account, contacts=contacts, kind="nps")
    new = [raw for raw in queue.lrange("celery", 0, -1) if raw not in before]
    for raw in new:
        queue.lrem("celery", 1, raw)
    assert [json.loads(raw)["headers"]["task"] for raw in new] == [
        "interactions.tasks.deliver_surveys"
    ] * 3
    assert len(connected) == 1 and not PendingTask.objects.exists()


def test_an_answer_leaves_the_rescoring_to_a_worker(
    client, account, monkeypatch, django_capture_on_commit_callbacks
):
    import retention.follow

    queued = []
    monkeypatch.setattr(retention.follow, "enqueue_safely", lambda t, *a: queued.append((t, a)))
    monkeypatch.setattr(services, "deliver_later", services.deliver_here)
    contact = ContactFactory(account=account)
    services.send_surveys(account=account, contacts=[contact], kind="nps")
    path = LINK.search(mail.outbox[0].body).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(path, {"score": "9"}).status_code == 200
    assert [(t.name, a) for t, a in queued] == [
        ("retention.tasks.rescore_accounts", ([account.pk],))
    ]
