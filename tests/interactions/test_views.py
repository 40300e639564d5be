import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from interactions.models import Feedback, FollowUp, Interaction, OpenProblem

from ..factories import (
    AccountFactory,
    ContactFactory,
    ContractFactory,
    FeedbackFactory,
    FollowUpFactory,
    InteractionFactory,
    OpenProblemFactory,
    OwnershipTransferFactory,
    make_customer,
)

pytestmark = pytest.mark.django_db

LOG = reverse("interactions:log")


@pytest.fixture
def account(csm):
    return AccountFactory(owner=csm, name="Acme Logistics")


@pytest.fixture
def petra(account):
    return ContactFactory(account=account, name="Petra Pfeiffer", is_champion=True)


def login(client, user):
    client.force_login(user)
    return client


def when(days_ago=0):
    return (timezone.localtime() - dt.timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M")


def log_data(account, **extra):
    return {
        "account": account.pk,
        "kind": "call",
        "occurred_at": when(),
        "summary": "Call",
        **extra,
    }


# --- logging ---


def test_chooser_offers_only_accounts_the_user_may_change(
    client, csm, teammate, other_csm, account
):
    AccountFactory(owner=teammate, name="Teammate Corp")
    AccountFactory(owner=other_csm, name="Other Team Corp")
    html = login(client, csm).get(LOG).content.decode()
    assert "Acme Logistics" in html
    assert "Teammate Corp" not in html and "Other Team Corp" not in html


def test_log_form_offers_only_current_contacts_of_the_account(client, csm, account, petra):
    ContactFactory(account=account, name="Gone Person", left_on=dt.date(2024, 1, 1))
    ContactFactory(name="Stranger Person")
    html = login(client, csm).get(LOG, {"account": account.pk}).content.decode()
    assert "Petra Pfeiffer" in html
    assert "Gone Person" not in html and "Stranger Person" not in html
    assert 'accesskey="s"' in html and "autofocus" in html


def test_plain_post_logs_a_call_with_a_follow_up_and_returns_to_the_account(
    client, csm, account, petra
):
    due = timezone.localdate() + dt.timedelta(days=3)
    response = login(client, csm).post(
        LOG,
        log_data(
            account,
            summary="Renewal call with Petra",
            contacts=[petra.pk],
            tone="positive",
            notes="Happy with support",
            next_steps="Send the offer",
            follow_up_title="Send the renewal offer",
            follow_up_due=due.isoformat(),
        ),
        follow=True,
    )
    interaction = Interaction.objects.get()
    assert (interaction.author, interaction.kind, interaction.tone) == (
        csm,
        "call",
        "positive",
    )
    assert list(interaction.contacts.all()) == [petra]
    follow_up = FollowUp.objects.get()
    assert (follow_up.title, follow_up.due_on, follow_up.owner) == (
        "Send the renewal offer",
        due,
        csm,
    )
    account.refresh_from_db()
    assert account.last_meeting_or_call_at is not None
    assert response.redirect_chain[-1][0] == account.get_absolute_url()
    html = response.content.decode()
    assert "Call logged." in html and "Renewal call with Petra" in html


def test_htmx_post_swaps_the_form_and_updates_the_timeline(client, csm, account):
    response = login(client, csm).post(
        LOG,
        log_data(account, summary="Quick check-in", source="account"),
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="log-saved"' in html
    assert '<div class="card" id="timeline" hx-swap-oob="true">' in html
    assert "Quick check-in" in html.split('data-testid="timeline"')[1]
    assert "<html" not in html
    assert '<div class="fw-semibold" id="last-contact" hx-swap-oob="true">' in html
    assert "never" not in html.split('id="last-contact"')[1]


def test_htmx_post_on_an_overdue_customer_sends_the_next_touch_along(client, csm):
    # Logged on the account page, the call moves the next touch by the cadence: the card
    # follows out of band instead of still saying "overdue" until the page is reloaded.
    customer = make_customer(owner=csm, name="Rot GmbH")
    customer.mark_contacted(timezone.now() - dt.timedelta(days=200))
    page = login(client, csm).get(customer.get_absolute_url()).content.decode()
    assert "overdue" in page.split('id="planned"', 1)[1].split('id="follow-ups"', 1)[0]

    response = client.post(LOG, log_data(customer, source="account"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    card = html.split('id="planned"', 1)[1]  # the last of the out-of-band swaps
    assert card.startswith(' data-testid="next-touch" hx-swap-oob="true">')
    assert "overdue" not in card and "by cadence" in card


def test_htmx_post_from_the_portfolio_does_not_touch_a_timeline(client, csm, account):
    response = login(client, csm).post(
        LOG, log_data(account, summary="From portfolio", source="portfolio"), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert 'data-testid="log-saved"' in html and 'id="timeline"' not in html


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"summary": ""}, "This field is required."),
        ({"occurred_at": when(-2)}, "An interaction cannot be in the future."),
        ({"follow_up_title": "Promise"}, "When is it due?"),
        (
            {"follow_up_title": "Late", "follow_up_due": "2020-01-01"},
            "A new follow-up cannot be due in the past.",
        ),
        ({"kind": "telepathy"}, "Select a valid choice."),
    ],
)
def test_log_form_validation(client, csm, account, extra, message):
    response = login(client, csm).post(LOG, log_data(account, **extra), HTTP_HX_REQUEST="true")
    assert message in response.content.decode()
    assert not Interaction.objects.exists() and not FollowUp.objects.exists()


def test_contacts_of_another_account_are_refused(client, csm, account):
    stranger = ContactFactory(name="Stranger")
    response = login(client, csm).post(LOG, log_data(account, contacts=[stranger.pk]))
    assert "Select a valid choice" in response.content.decode()
    assert not Interaction.objects.exists()


@pytest.mark.parametrize("persona", ["teammate", "other_csm"])
def test_logging_on_an_account_one_may_not_change_is_404(client, request, account, persona):
    login(client, request.getfixturevalue(persona))
    assert client.get(LOG, {"account": account.pk}).status_code == 404
    assert client.post(LOG, log_data(account)).status_code == 404
    assert not Interaction.objects.exists()


# --- reading and editing an interaction ---


@pytest.mark.parametrize(
    ("persona", "status", "can_edit"),
    [
        ("csm", 200, True),
        ("teammate", 200, False),
        ("team_lead", 200, True),
        ("other_csm", 404, False),
        ("admin_user", 200, True),
    ],
)
def test_interaction_page_by_persona(client, request, account, persona, status, can_edit):
    interaction = InteractionFactory(account=account, summary="Secret strategy call")
    login(client, request.getfixturevalue(persona))
    response = client.get(interaction.get_absolute_url())
    assert response.status_code == status
    edit_url = reverse("interactions:interaction_edit", args=[interaction.pk])
    assert (edit_url in response.content.decode()) is can_edit
    assert client.get(edit_url).status_code == (200 if can_edit else 404)


def test_author_who_lost_the_account_can_still_edit_while_reading_it(client, teammate, account):
    interaction = InteractionFactory(account=account, author=teammate, summary="Frist call")
    url = reverse("interactions:interaction_edit", args=[interaction.pk])
    assert login(client, teammate).get(url).status_code == 200
    edit = {"kind": "call", "occurred_at": when(1), "summary": "First call", "notes": ""}
    assert client.post(url, edit).status_code == 302
    interaction.refresh_from_db()
    assert interaction.summary == "First call"


def test_editing_keeps_the_interaction_and_marks_it_edited(client, csm, account, petra):
    interaction = InteractionFactory(account=account, summary="Frist call", notes="Old notes")
    Interaction.objects.filter(pk=interaction.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=2),
        updated_at=timezone.now() - dt.timedelta(hours=2),
    )
    url = reverse("interactions:interaction_edit", args=[interaction.pk])
    response = login(client, csm).post(
        url,
        {
            "kind": "meeting",
            "occurred_at": when(1),
            "summary": "First call",
            "notes": "Old notes, and more",
            "contacts": [petra.pk],
            "tone": "",
            "next_steps": "",
        },
        follow=True,
    )
    interaction.refresh_from_db()
    assert (interaction.summary, interaction.kind, interaction.pk) == (
        "First call",
        "meeting",
        interaction.pk,
    )
    assert list(interaction.contacts.all()) == [petra]
    html = response.content.decode()
    assert "Changes saved." in html and 'data-testid="edited"' in html
    page = client.get(account.get_absolute_url()).content.decode()
    assert 'data-testid="edited"' in page


def test_edit_refuses_an_empty_summary(client, csm, account):
    interaction = InteractionFactory(account=account, summary="Keep me")
    url = reverse("interactions:interaction_edit", args=[interaction.pk])
    response = login(client, csm).post(url, {"kind": "call", "occurred_at": when(), "summary": ""})
    assert "This field is required." in response.content.decode()
    interaction.refresh_from_db()
    assert interaction.summary == "Keep me"


# --- follow-ups ---


def test_csm_promises_edits_and_completes_a_follow_up_in_one_click(client, csm, account):
    login(client, csm)
    due = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    client.post(
        reverse("interactions:follow_up_create", args=[account.pk]),
        {"title": "Send pricing", "due_on": due, "owner": csm.pk},
    )
    follow_up = FollowUp.objects.get()
    client.post(
        reverse("interactions:follow_up_edit", args=[follow_up.pk]),
        {"title": "Send pricing v2", "due_on": due, "owner": csm.pk},
    )
    follow_up.refresh_from_db()
    assert follow_up.title == "Send pricing v2"
    response = client.post(
        reverse("interactions:follow_up_done", args=[follow_up.pk]), HTTP_HX_REQUEST="true"
    )
    follow_up.refresh_from_db()
    assert follow_up.done_at is not None
    assert 'class="followup-done"' in response.content.decode()
    assert "<html" not in response.content.decode()
    client.post(reverse("interactions:follow_up_reopen", args=[follow_up.pk]))
    follow_up.refresh_from_db()
    assert follow_up.done_at is None


def test_follow_up_form_validation_and_owner_choices(client, csm, other_csm, account):
    login(client, csm)
    url = reverse("interactions:follow_up_create", args=[account.pk])
    assert "Otto Other" not in client.get(url).content.decode()
    response = client.post(url, {"title": "", "due_on": "2020-01-01", "owner": other_csm.pk})
    html = response.content.decode()
    assert "This field is required." in html and "Select a valid choice" in html
    response = client.post(url, {"title": "Old", "due_on": "2020-01-01", "owner": csm.pk})
    assert "A new follow-up cannot be due in the past." in response.content.decode()
    assert not FollowUp.objects.exists()


def test_follow_up_owner_on_a_teammates_account_can_complete_it(client, csm, teammate):
    follow_up = FollowUpFactory(account=AccountFactory(owner=teammate), owner=csm)
    login(client, csm).post(reverse("interactions:follow_up_done", args=[follow_up.pk]))
    follow_up.refresh_from_db()
    assert follow_up.done_at is not None


@pytest.mark.parametrize("persona", ["teammate", "other_csm"])
def test_follow_ups_out_of_scope_are_404(client, request, account, persona):
    follow_up = FollowUpFactory(account=account)
    login(client, request.getfixturevalue(persona))
    assert (
        client.post(reverse("interactions:follow_up_done", args=[follow_up.pk])).status_code == 404
    )
    assert (
        client.get(reverse("interactions:follow_up_edit", args=[follow_up.pk])).status_code == 404
    )
    url = reverse("interactions:follow_up_create", args=[account.pk])
    assert client.get(url).status_code == 404
    follow_up.refresh_from_db()
    assert follow_up.done_at is None


# --- open problems ---


def test_problem_moves_open_in_progress_resolved_with_a_resolution(client, csm, account):
    login(client, csm)
    client.post(
        reverse("interactions:problem_create", args=[account.pk]),
        {"title": "Export is slow", "category": "complaint", "severity": "high"},
    )
    problem = OpenProblem.objects.get()
    assert (problem.status, problem.opened_by) == ("open", csm)
    url = reverse("interactions:problem_edit", args=[problem.pk])
    fields = {"title": "Export is slow", "category": "complaint", "severity": "high"}
    client.post(url, {**fields, "status": "in_progress"})
    problem.refresh_from_db()
    assert problem.status == "in_progress"
    response = client.post(url, {**fields, "status": "resolved", "resolution": ""})
    assert "Say how the problem was resolved." in response.content.decode()
    problem.refresh_from_db()
    assert problem.status == "in_progress"
    client.post(url, {**fields, "status": "resolved", "resolution": "Added an index"})
    problem.refresh_from_db()
    assert (problem.status, problem.resolution) == ("resolved", "Added an index")
    assert problem.resolved_at is not None


def test_problem_form_validation(client, csm, account):
    response = login(client, csm).post(
        reverse("interactions:problem_create", args=[account.pk]),
        {"title": "", "category": "complaint", "severity": "catastrophic"},
    )
    html = response.content.decode()
    assert "This field is required." in html and "Select a valid choice" in html
    assert not OpenProblem.objects.exists()


@pytest.mark.parametrize("persona", ["teammate", "other_csm"])
def test_problems_out_of_scope_are_404(client, request, account, persona):
    problem = OpenProblemFactory(account=account)
    login(client, request.getfixturevalue(persona))
    assert client.get(reverse("interactions:problem_edit", args=[problem.pk])).status_code == 404
    url = reverse("interactions:problem_create", args=[account.pk])
    assert (
        client.post(url, {"title": "X", "category": "complaint", "severity": "low"}).status_code
        == 404
    )


# --- feedback ---


def test_csm_records_and_corrects_feedback(client, csm, account, petra):
    login(client, csm)
    url = reverse("interactions:feedback_create", args=[account.pk])
    client.post(
        url,
        {
            "kind": "nps",
            "score": 4,
            "received_on": "2025-06-01",
            "contact": petra.pk,
            "comment": "Meh",
        },
    )
    feedback = Feedback.objects.get()
    assert (feedback.score, feedback.contact, feedback.author) == (4, petra, csm)
    client.post(
        reverse("interactions:feedback_edit", args=[feedback.pk]),
        {"kind": "csat", "score": 5, "received_on": "2025-06-01"},
    )
    feedback.refresh_from_db()
    assert (feedback.kind, feedback.score, feedback.contact) == ("csat", 5, None)


def test_feedback_score_out_of_range_is_a_form_error(client, csm, account):
    url = reverse("interactions:feedback_create", args=[account.pk])
    response = login(client, csm).post(
        url, {"kind": "csat", "score": 7, "received_on": "2025-06-01"}
    )
    assert "A CSAT score is between 1 and 5." in response.content.decode()
    assert not Feedback.objects.exists()


def test_feedback_contact_choices_are_the_accounts(client, csm, account, petra):
    stranger = ContactFactory(name="Stranger Danger")
    url = reverse("interactions:feedback_create", args=[account.pk])
    login(client, csm)
    assert "Stranger Danger" not in client.get(url).content.decode()
    response = client.post(
        url, {"kind": "nps", "score": 9, "received_on": "2025-06-01", "contact": stranger.pk}
    )
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize("persona", ["teammate", "other_csm"])
def test_feedback_out_of_scope_is_404(client, request, account, persona):
    feedback = FeedbackFactory(account=account)
    login(client, request.getfixturevalue(persona))
    assert client.get(reverse("interactions:feedback_edit", args=[feedback.pk])).status_code == 404
    assert client.get(reverse("interactions:feedback_create", args=[account.pk])).status_code == 404


# --- the handover brief ---


def test_brief_puts_everything_on_one_page(client, csm, teammate, account, petra):
    petra.preferences = "Loves sailing; no calls before 10"
    petra.save()
    ContractFactory(account=account, reference="C-ACME-7")
    OpenProblemFactory(
        account=account, title="Invoices wrong", opened_at=timezone.now() - dt.timedelta(days=40)
    )
    FollowUpFactory(account=account, title="Send the SLA")
    call = InteractionFactory(account=account, summary="Budget call", author=csm)
    call.contacts.add(petra)
    FeedbackFactory(account=account, score=2, comment="Support is slow")
    OwnershipTransferFactory(
        account=account, from_owner=teammate, to_owner=csm, handover_notes="Petra is key"
    )
    html = login(client, csm).get(reverse("interactions:brief", args=[account.pk])).content.decode()
    for text in [
        "Petra Pfeiffer",
        "Loves sailing; no calls before 10",
        "C-ACME-7",
        "Invoices wrong",
        "open for 1",
        "Send the SLA",
        "Budget call",
        "Support is slow",
        "Petra is key",
        "Carla CSM",
        "Acknowledge the handover",
    ]:
        assert text in html, text


def test_brief_warns_when_only_one_of_us_has_met_the_customer(client, csm, teammate, account):
    InteractionFactory(account=account, author=csm, kind="meeting")
    InteractionFactory(account=account, author=csm, kind="call")
    InteractionFactory(account=account, author=teammate, kind="email")
    url = reverse("interactions:brief", args=[account.pk])
    html = login(client, csm).get(url).content.decode()
    assert 'data-testid="single-threaded"' in html and "Only Carla CSM" in html
    InteractionFactory(account=account, author=teammate, kind="meeting")
    html = client.get(url).content.decode()
    assert 'data-testid="single-threaded"' not in html
    assert "Tom Teammate" in html


@pytest.mark.parametrize(
    ("persona", "status"),
    [("csm", 200), ("teammate", 200), ("team_lead", 200), ("other_csm", 404), ("admin_user", 200)],
)
def test_brief_by_persona(client, request, account, persona, status):
    login(client, request.getfixturevalue(persona))
    response = client.get(reverse("interactions:brief", args=[account.pk]))
    assert response.status_code == status
    assert (b"Acme Logistics" in response.content) is (status == 200)


def test_brief_queries_do_not_grow_with_history(
    client, csm, teammate, account, django_assert_max_num_queries
):
    contacts = ContactFactory.create_batch(12, account=account)
    for i in range(30):
        interaction = InteractionFactory(
            account=account, author=csm if i % 2 else teammate, kind="meeting"
        )
        interaction.contacts.set(contacts[:3])
        FollowUpFactory(account=account)
        OpenProblemFactory(account=account)
        FeedbackFactory(account=account)
        ContractFactory(account=account)
    login(client, csm)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("interactions:brief", args=[account.pk]))
    assert response.status_code == 200
