"""Health follows the work (retention/follow.py): a write that changes what a measure sees
scores its account again before the response; a bulk write has its accounts scored by Celery
in chunks once it has committed."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from crm import events
from crm.models import PendingTask
from customers import services as customer_services
from interactions import services as interaction_services
from interactions.models import Interaction
from retention import follow
from retention.health import scoring
from retention.models import AccountHealth, HealthScore, RiskFlag
from tests.retention.test_tasks import make_red

from ..factories import AccountFactory, ContactFactory, ContractFactory, make_customer

pytestmark = pytest.mark.django_db

ENTERED_RED = RiskFlag.Reason.ENTERED_RED


@pytest.fixture
def red_account(csm):
    """A customer last met 200 days ago whose owner read it red yesterday: red, with an open
    "entered red" flag."""
    account = make_customer(owner=csm, name="Rot GmbH")
    now = timezone.now()
    interaction_services.log_interaction(
        account=account,
        author=csm,
        kind="meeting",
        summary="Last review",
        occurred_at=now - dt.timedelta(days=200),
    )
    scoring.record_sentiment(
        account=account,
        author=csm,
        sentiment="red",
        comment="No answer for months",
        at=now - dt.timedelta(days=1),
    )
    assert AccountHealth.objects.get(account=account).band == "red"
    assert RiskFlag.objects.get(account=account).status == RiskFlag.Status.OPEN
    return account


def test_the_retention_handlers_are_registered():
    # Health follows first; the playbooks listen after it (the full list: tests/crm/test_events.py).
    registered = events.handlers()
    assert registered["AccountChanged"][0] == "retention.follow.rescore_account"
    assert registered["AccountsChanged"] == ["retention.follow.rescore_accounts_later"]


def test_logging_a_call_on_a_red_account_shows_the_new_score_after_the_redirect(
    client, csm, red_account
):
    client.force_login(csm)
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("interactions:log"),
        {
            "account": red_account.pk,
            "kind": "call",
            "occurred_at": now,
            "summary": "Long call, all sorted",
            "tone": "positive",
        },
    )
    assert response.status_code == 302
    health = AccountHealth.objects.get(account=red_account)
    assert (health.band, health.score) == ("green", 100)
    assert HealthScore.objects.get(account=red_account, scored_on=timezone.localdate()).score == 100
    flag = RiskFlag.objects.get(account=red_account)
    assert (flag.status, flag.auto_resolved) == (RiskFlag.Status.RESOLVED, True)

    page = client.get(response["Location"]).content.decode()
    assert '<span class="stat score">100</span>' in page
    reasons = page.split('data-testid="health-reasons"', 1)[1].split("</ul>", 1)[0]
    assert "Nothing costs points right now." in reasons
    # The flag's history says so, without a person's name (nor a colon left where it would be).
    assert '<div class="small muted">resolved itself: the condition no longer holds' in page


def test_logging_from_the_account_page_under_htmx_sends_the_new_health_along(
    client, csm, red_account
):
    client.force_login(csm)
    response = client.post(
        reverse("interactions:log") + "?source=account",
        {
            "account": red_account.pk,
            "source": "account",
            "kind": "call",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "summary": "Call",
            "tone": "positive",
        },
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    card = html.split('id="health"', 1)[1].split('data-testid="health-reasons"', 1)[0]
    assert 'hx-swap-oob="true"' in card and '<span class="stat score">100</span>' in card


def test_deleting_the_call_brings_the_red_score_and_a_flag_back(client, csm, red_account):
    call = interaction_services.log_interaction(
        account=red_account, author=csm, kind="call", summary="Call", tone="positive"
    )
    assert AccountHealth.objects.get(account=red_account).band == "green"

    client.force_login(csm)
    assert client.delete(f"/api/v1/interactions/{call.pk}/").status_code == 204
    assert AccountHealth.objects.get(account=red_account).band == "red"
    open_flag = RiskFlag.objects.exclude(status=RiskFlag.Status.RESOLVED).get(account=red_account)
    assert open_flag.reason == ENTERED_RED

    interaction_services.restore_interaction(interaction=Interaction.objects.get(pk=call.pk))
    assert AccountHealth.objects.get(account=red_account).band == "green"
    assert not RiskFlag.objects.exclude(status=RiskFlag.Status.RESOLVED).exists()


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(
            lambda a, u: interaction_services.open_problem(
                account=a, title="Outage", severity="high", by=u
            ),
            id="problem opened",
        ),
        pytest.param(
            lambda a, u: interaction_services.record_feedback(
                account=a, kind="nps", score=2, received_on=timezone.localdate()
            ),
            id="feedback recorded",
        ),
        pytest.param(
            lambda a, u: scoring.record_sentiment(
                account=a, author=u, sentiment="red", comment="Angry about the invoice"
            ),
            id="sentiment read",
        ),
        pytest.param(
            lambda a, u: customer_services.create_contact(account=a, name="Neu", is_champion=True),
            id="contact added",
        ),
    ],
)
def test_each_write_a_measure_sees_rescores_its_account(csm, write):
    account = make_customer(owner=csm)
    interaction_services.log_interaction(
        account=account, author=csm, kind="meeting", summary="Kick-off", tone="positive"
    )
    before = HealthScore.objects.get(account=account, scored_on=timezone.localdate()).measures
    write(account, csm)
    after = HealthScore.objects.get(account=account, scored_on=timezone.localdate()).measures
    assert after != before


def test_a_champion_who_leaves_raises_the_flag_at_once_and_a_new_one_resolves_it(csm):
    account = make_customer(owner=csm)
    champion = customer_services.create_contact(account=account, name="Petra", is_champion=True)
    assert not RiskFlag.objects.filter(account=account).exists()

    customer_services.update_contact(contact=champion, left_on=timezone.localdate())
    flag = RiskFlag.objects.get(account=account, reason=RiskFlag.Reason.CHAMPION_LEFT)
    assert flag.status == RiskFlag.Status.OPEN

    customer_services.create_contact(account=account, name="Paul", is_champion=True)
    flag.refresh_from_db()
    assert (flag.status, flag.auto_resolved) == (RiskFlag.Status.RESOLVED, True)


def test_a_renamed_contact_does_not_rescore_a_new_role_does(csm, listen):
    contact = ContactFactory(account=make_customer(owner=csm), name="Petra")
    heard = listen(events.AccountChanged)
    customer_services.update_contact(contact=contact, name="Petra Pfeiffer", phone="123")
    customer_services.update_contact(contact=contact, is_decision_maker=True)
    assert heard == [events.AccountChanged(contact.account_id, events.What.CONTACT)]


def test_a_contract_write_and_a_transfer_rescore_the_account(csm, teammate, team_lead):
    account = make_customer(owner=csm, monthly_value=Decimal("500"))
    contract = account.contracts.get()
    customer_services.update_contract(contract=contract, notice_given_on=timezone.localdate())
    score = HealthScore.objects.get(account=account, scored_on=timezone.localdate())
    assert score.measures["commercial"]["rating"] == "poor"

    customer_services.transfer_ownership(
        account=account, to_owner=teammate, by=team_lead, reason="Leave"
    )
    score.refresh_from_db()
    assert score.on_watch is True


def test_an_account_that_stops_being_a_customer_keeps_no_open_flag(csm, red_account):
    contract = red_account.contracts.get()
    customer_services.cancel_contract(
        contract=contract, cancelled_on=timezone.localdate() - dt.timedelta(days=1)
    )
    flag = RiskFlag.objects.get(account=red_account)
    assert (flag.status, flag.auto_resolved) == (RiskFlag.Status.RESOLVED, True)


# --- bulk writes ----------------------------------------------------------------------------


@pytest.fixture
def sent(monkeypatch):
    """The tasks ``crm.queue`` sends, instead of a broker."""
    calls = []
    monkeypatch.setattr(
        "crm.queue.send_or_keep", lambda task, args=(), kwargs=None: calls.append((task, args))
    )
    return calls


def test_a_bulk_write_enqueues_one_task_per_chunk_on_commit(
    csm, teammate, team_lead, sent, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(follow, "RESCORE_CHUNK", 2)
    accounts = [AccountFactory(owner=csm) for _ in range(5)]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        customer_services.transfer_portfolio(
            from_owner=csm, to_owner=teammate, by=team_lead, reason="Parental leave"
        )
        assert sent == []  # nothing is sent before the commit
    for callback in callbacks:
        callback()
    ids = sorted(a.pk for a in accounts)
    assert [(task.name, args) for task, args in sent] == [
        ("retention.tasks.rescore_accounts", (ids[0:2],)),
        ("retention.tasks.rescore_accounts", (ids[2:4],)),
        ("retention.tasks.rescore_accounts", (ids[4:5],)),
    ]


def test_a_bulk_write_with_the_broker_down_keeps_its_tasks(csm, django_capture_on_commit_callbacks):
    from tests.faults.helpers import DEAD_REDIS, celery_app_on

    accounts = [make_customer(owner=csm) for _ in range(3)]
    with celery_app_on(DEAD_REDIS), django_capture_on_commit_callbacks(execute=True):
        interaction_services.delete_interactions(
            interaction_ids=[
                interaction_services.log_interaction(
                    account=a, author=csm, kind="note", summary="Note"
                ).pk
                for a in accounts
            ]
        )
    kept = PendingTask.objects.get()
    assert (kept.task, kept.args) == (
        "retention.tasks.rescore_accounts",
        [sorted(a.pk for a in accounts)],
    )


def test_the_rescoring_task_scores_its_accounts_and_raises_their_flags(csm):
    from retention import tasks

    accounts = [make_customer(owner=csm) for _ in range(3)]
    for account in accounts[:2]:
        make_red(account)  # behind the services' back: nothing rescored yet
    summary = tasks.rescore_accounts([a.pk for a in accounts])
    assert (summary["accounts"], summary["raised"]) == (3, 2)
    assert tasks.rescore_accounts([a.pk for a in accounts])["raised"] == 0  # twice: no more
    assert RiskFlag.objects.filter(reason=ENTERED_RED).count() == 2


def test_rebuild_derived_announces_only_the_accounts_that_changed(csm, listen):
    kept = make_customer(owner=csm)
    ending = make_customer(owner=csm, end_date=timezone.localdate() + dt.timedelta(days=1))
    heard = listen(events.AccountsChanged)
    customer_services.rebuild_derived()
    assert heard == []  # nothing moved
    customer_services.rebuild_derived(today=timezone.localdate() + dt.timedelta(days=2))
    assert [e.account_ids for e in heard] == [frozenset({ending.pk})]
    assert kept.pk not in heard[0].account_ids


def test_a_contract_of_a_new_customer_says_a_span_started(csm, listen):
    account = AccountFactory(owner=csm)
    heard = listen(events.CustomerSpanStarted)
    customer_services.create_contract(
        account=account,
        reference="C-1",
        start_date=dt.date(2026, 1, 1),
        monthly_value=Decimal("100"),
        end_date=dt.date(2026, 3, 31),
    )
    # A contract that continues the span starts nothing; a win-back does.
    ContractFactory(account=account, start_date=dt.date(2026, 4, 1), end_date=dt.date(2026, 6, 30))
    customer_services.refresh_ledger(account_ids=[account.pk])
    customer_services.create_contract(
        account=account, reference="C-3", start_date=dt.date(2030, 1, 1), monthly_value=Decimal(1)
    )
    assert heard == [
        events.CustomerSpanStarted(account.pk, dt.date(2026, 1, 1)),
        events.CustomerSpanStarted(account.pk, dt.date(2030, 1, 1)),
    ]


def test_a_clash_with_the_nights_chunk_is_tried_once_more(csm, monkeypatch):
    from django.db import IntegrityError

    account = make_customer(owner=csm)
    real, calls = scoring.score_chunk, []

    def clashing(**kwargs):
        calls.append(kwargs["start_id"])
        if len(calls) == 1:  # the night's chunk inserted the same flag first
            raise IntegrityError("duplicate key value violates riskflag_one_unresolved")
        return real(**kwargs)

    monkeypatch.setattr(scoring, "score_chunk", clashing)
    assert scoring.rescore(account_ids=[account.pk])["accounts"] == 1
    assert calls == [account.pk, account.pk]
