import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Account, OwnershipTransfer

from ..factories import (
    AccountFactory,
    ContactFactory,
    ContractFactory,
    FeedbackFactory,
    FollowUpFactory,
    InteractionFactory,
    OpenProblemFactory,
    OwnershipTransferFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(csm):
    return AccountFactory(owner=csm, name="Acme Logistics")


def detail(account):
    return reverse("customers:account_detail", args=[account.pk])


def login(client, user):
    client.force_login(user)
    return client


# --- the account page ---


@pytest.mark.parametrize(
    ("persona", "status", "can_log", "can_transfer"),
    [
        ("csm", 200, True, False),
        ("teammate", 200, False, False),
        ("team_lead", 200, True, True),
        ("other_csm", 404, False, False),
        ("admin_user", 200, True, True),
    ],
)
def test_account_page_by_persona(client, request, account, persona, status, can_log, can_transfer):
    user = request.getfixturevalue(persona)
    response = login(client, user).get(detail(account))
    assert response.status_code == status
    if status != 200:
        assert b"Acme Logistics" not in response.content
        return
    html = response.content.decode()
    assert "Acme Logistics" in html
    assert ('id="log-panel"' in html) is can_log
    assert (reverse("customers:account_transfer", args=[account.pk]) in html) is can_transfer


def test_account_page_shows_header_contacts_contracts_problems_and_follow_ups(client, csm, account):
    ContractFactory(account=account, reference="C-ACME-1", monthly_value="2500.00")
    account.mrr = 2500
    account.customer_since = dt.date(2024, 3, 1)
    account.next_renewal_on = timezone.localdate() + dt.timedelta(days=40)
    account.save()
    ContactFactory(
        account=account,
        name="Petra Pfeiffer",
        is_champion=True,
        preferences="Calls after 4 pm; never on Fridays",
    )
    OpenProblemFactory(account=account, title="Invoices arrive late", severity="high")
    OpenProblemFactory(
        account=account,
        title="Old issue",
        status="resolved",
        opened_at=timezone.now() - dt.timedelta(days=9),
        resolved_at=timezone.now(),
        resolution="Fixed",
    )
    FollowUpFactory(account=account, title="Send the QBR deck")
    html = login(client, csm).get(detail(account)).content.decode()
    for text in [
        "Carla CSM",
        "Team A",
        "2,500",
        "Mar 2024",
        "Petra Pfeiffer",
        "champion",
        "Calls after 4 pm; never on Fridays",
        "C-ACME-1",
        "Invoices arrive late",
        "Send the QBR deck",
    ]:
        assert text in html, text
    problems = html.split('id="problems"')[1].split('id="contacts"')[0]
    assert "Old issue" not in problems


def test_timeline_merges_kinds_newest_first(client, csm, teammate, account):
    now = timezone.now()
    InteractionFactory(
        account=account, summary="Kick-off call", occurred_at=now - dt.timedelta(days=5)
    )
    OpenProblemFactory(account=account, title="Login broken", opened_at=now - dt.timedelta(days=3))
    FeedbackFactory(
        account=account,
        score=3,
        comment="Too slow",
        received_on=timezone.localdate() - dt.timedelta(days=2),
    )
    OwnershipTransferFactory(
        account=account,
        from_owner=teammate,
        to_owner=csm,
        transferred_at=now - dt.timedelta(days=1),
        reason="Rebalancing",
    )
    InteractionFactory(account=account, summary="Deleted call", deleted_at=now)
    html = login(client, csm).get(detail(account)).content.decode()
    timeline = html.split('data-testid="timeline"')[1]
    order = [
        timeline.index(s) for s in ["Rebalancing", "Too slow", "Login broken", "Kick-off call"]
    ]
    assert order == sorted(order)
    assert "Deleted call" not in timeline


def test_timeline_filters_by_kind_and_pages(client, csm, account):
    base = timezone.now() - dt.timedelta(days=100)
    for i in range(25):
        InteractionFactory(
            account=account, summary=f"Call number {i:02d}", occurred_at=base + dt.timedelta(days=i)
        )
    OpenProblemFactory(account=account, title="Only problem")
    login(client, csm)
    url = reverse("customers:account_timeline", args=[account.pk])
    first = client.get(url, {"kind": "interaction"}).content.decode()
    assert "Only problem" not in first
    assert "Call number 24" in first and "Call number 05" in first
    assert "Call number 04" not in first
    second = client.get(url, {"kind": "interaction", "page": 2}).content.decode()
    assert "Call number 04" in second and "Call number 00" in second
    assert "Call number 05" not in second
    problems = client.get(url, {"kind": "problem"}).content.decode()
    assert "Only problem" in problems and "Call number" not in problems


def test_timeline_of_another_team_is_404(client, other_csm, account):
    url = reverse("customers:account_timeline", args=[account.pk])
    assert login(client, other_csm).get(url).status_code == 404


def test_account_page_queries_do_not_grow_with_history(
    client, csm, teammate, account, django_assert_max_num_queries
):
    contacts = ContactFactory.create_batch(3, account=account)
    for i in range(60):
        interaction = InteractionFactory(account=account, summary=f"Call {i}")
        interaction.contacts.set(contacts)
        FollowUpFactory(account=account, interaction=interaction)
        OpenProblemFactory(account=account)
        FeedbackFactory(account=account)
        ContractFactory(account=account)
    OwnershipTransferFactory.create_batch(5, account=account, from_owner=teammate, to_owner=csm)
    login(client, csm)
    # 27: the survey history card reads its 12 months of answers in one query.
    with django_assert_max_num_queries(27):
        response = client.get(detail(account))
    assert response.status_code == 200
    with django_assert_max_num_queries(14):
        client.get(reverse("customers:account_timeline", args=[account.pk]))


def test_account_page_asks_the_new_owner_to_acknowledge(client, csm, teammate, account):
    OwnershipTransferFactory(account=account, from_owner=teammate, to_owner=csm, reason="Tom left")
    html = login(client, csm).get(detail(account)).content.decode()
    assert 'data-testid="handover-banner"' in html and "Tom left" in html


# --- contacts ---


def test_csm_adds_a_contact_with_preferences(client, csm, account):
    url = reverse("customers:contact_create", args=[account.pk])
    response = login(client, csm).post(
        url,
        {
            "name": "Jana Jung",
            "title": "COO",
            "email": "jana@acme.example",
            "is_champion": "on",
            "preferred_channel": "phone",
            "preferences": "Prefers short calls",
        },
        follow=True,
    )
    contact = account.contacts.get()
    assert (contact.name, contact.is_champion, contact.preferences) == (
        "Jana Jung",
        True,
        "Prefers short calls",
    )
    assert "Jana Jung added to the contacts." in response.content.decode()


def test_contact_form_refuses_a_missing_name_and_a_duplicate_email(client, csm, account):
    ContactFactory(account=account, email="dup@acme.example")
    url = reverse("customers:contact_create", args=[account.pk])
    login(client, csm)
    response = client.post(url, {"name": ""})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    response = client.post(url, {"name": "Second", "email": "dup@acme.example"})
    assert response.status_code == 200
    assert account.contacts.count() == 1
    assert "Another contact of this account has this email address." in response.content.decode()


def test_csm_edits_a_contact(client, csm, account):
    contact = ContactFactory(account=account, name="Old Name")
    url = reverse("customers:contact_edit", args=[contact.pk])
    login(client, csm).post(url, {"name": "New Name", "left_on": "2025-05-01"})
    contact.refresh_from_db()
    assert contact.name == "New Name" and contact.left_on == dt.date(2025, 5, 1)


@pytest.mark.parametrize("persona", ["teammate", "other_csm"])
def test_contacts_of_accounts_one_may_not_change_are_404(client, request, account, persona):
    contact = ContactFactory(account=account)
    login(client, request.getfixturevalue(persona))
    assert client.get(reverse("customers:contact_edit", args=[contact.pk])).status_code == 404
    url = reverse("customers:contact_create", args=[account.pk])
    assert client.post(url, {"name": "Intruder"}).status_code == 404
    assert account.contacts.count() == 1


def test_contact_page_readable_by_team_not_by_other_team(client, teammate, other_csm, account):
    contact = ContactFactory(account=account, name="Visible Person")
    url = reverse("customers:contact_detail", args=[contact.pk])
    assert b"Visible Person" in login(client, teammate).get(url).content
    assert login(client, other_csm).get(url).status_code == 404


# --- transfers and handovers ---


def test_team_lead_transfers_an_account(client, team_lead, csm, teammate, account):
    url = reverse("customers:account_transfer", args=[account.pk])
    response = login(client, team_lead).post(
        url,
        {
            "to_owner": teammate.pk,
            "reason": "Carla goes on parental leave",
            "handover_notes": "Be gentle",
        },
        follow=True,
    )
    account.refresh_from_db()
    assert account.owner == teammate
    transfer = OwnershipTransfer.objects.get(account=account)
    assert (transfer.from_owner, transfer.transferred_by, transfer.handover_notes) == (
        csm,
        team_lead,
        "Be gentle",
    )
    assert "asked to acknowledge" in response.content.decode()


def test_transfer_needs_a_reason_and_an_owner_in_scope(client, team_lead, other_csm, account):
    url = reverse("customers:account_transfer", args=[account.pk])
    login(client, team_lead)
    response = client.post(url, {"to_owner": other_csm.pk, "reason": ""})
    html = response.content.decode()
    assert "Select a valid choice" in html and "This field is required" in html
    assert other_csm.get_full_name() not in html
    account.refresh_from_db()
    assert account.owner.username == "carla"


@pytest.mark.parametrize("persona", ["csm", "teammate", "other_csm"])
def test_only_team_leads_and_admins_transfer(client, request, account, persona):
    login(client, request.getfixturevalue(persona))
    assert client.get(reverse("customers:account_transfer", args=[account.pk])).status_code == 404
    assert client.get(reverse("customers:portfolio_transfer")).status_code == 404


def test_team_lead_hands_over_a_whole_portfolio(client, team_lead, csm, teammate):
    AccountFactory.create_batch(3, owner=csm)
    url = reverse("customers:portfolio_transfer")
    login(client, team_lead)
    html = client.get(url).content.decode()
    assert "Carla CSM" in html
    response = client.post(
        url,
        {"from_owner": csm.pk, "to_owner": teammate.pk, "reason": "Carla leaves"},
        follow=True,
    )
    assert "3 accounts handed from Carla CSM to Tom Teammate." in response.content.decode()
    assert Account.objects.filter(owner=teammate).count() == 3
    assert OwnershipTransfer.objects.filter(to_owner=teammate, reason="Carla leaves").count() == 3


def test_portfolio_handover_refuses_owners_of_another_team(client, team_lead, teammate, other_csm):
    AccountFactory(owner=other_csm)
    login(client, team_lead)
    response = client.post(
        reverse("customers:portfolio_transfer"),
        {"from_owner": other_csm.pk, "to_owner": teammate.pk, "reason": "Grab"},
    )
    assert "Select a valid choice" in response.content.decode()
    assert not Account.objects.filter(owner=teammate).exists()


def test_new_owner_sees_and_acknowledges_the_handover(client, csm, teammate, account):
    transfer = OwnershipTransferFactory(
        account=account,
        from_owner=teammate,
        to_owner=csm,
        reason="Tom left",
        handover_notes="Loves golf",
    )
    login(client, csm)
    html = client.get(reverse("customers:handover_list")).content.decode()
    assert "Acme Logistics" in html and "Loves golf" in html
    assert 'data-testid="handover-count">1<' in html
    response = client.post(
        reverse("customers:handover_acknowledge", args=[transfer.pk]), follow=True
    )
    transfer.refresh_from_db()
    assert transfer.acknowledged_at is not None
    html = response.content.decode()
    assert "Handover of Acme Logistics acknowledged" in html
    assert 'data-testid="handover-count"' not in html


@pytest.mark.parametrize("persona", ["teammate", "team_lead", "other_csm"])
def test_only_the_new_owner_acknowledges(client, request, csm, teammate, account, persona):
    transfer = OwnershipTransferFactory(account=account, from_owner=teammate, to_owner=csm)
    login(client, request.getfixturevalue(persona))
    url = reverse("customers:handover_acknowledge", args=[transfer.pk])
    assert client.post(url).status_code == 404
    transfer.refresh_from_db()
    assert transfer.acknowledged_at is None


def test_acknowledge_needs_post(client, csm, teammate, account):
    transfer = OwnershipTransferFactory(account=account, from_owner=teammate, to_owner=csm)
    login(client, csm)
    assert (
        client.get(reverse("customers:handover_acknowledge", args=[transfer.pk])).status_code == 405
    )


# --- the directory ---


def test_account_list_is_scoped_and_queries_are_constant(
    client, csm, teammate, other_csm, django_assert_max_num_queries
):
    AccountFactory.create_batch(55, owner=teammate)
    AccountFactory(owner=other_csm, name="Hidden Corp")
    login(client, csm)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("customers:account_list"))
    html = response.content.decode()
    assert "(55)" in html and "Hidden Corp" not in html
    assert (
        "Hidden Corp"
        not in client.get(reverse("customers:account_list"), {"q": "Hidden"}).content.decode()
    )


def test_account_list_exports_only_what_the_user_may_read_as_csv(client, csm, other_csm):
    from ..factories import AccountFactory

    AccountFactory(owner=csm, name="Mine GmbH")
    AccountFactory(owner=other_csm, name="Theirs AG")
    AccountFactory(owner=csm, name="=HYPERLINK(evil)")
    client.force_login(csm)
    response = client.get(reverse("customers:account_list_export"))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert "Mine GmbH" in text and "Theirs AG" not in text
    assert "'=HYPERLINK(evil)" in text


# --- handover requests: a CSM asks, a lead decides ---


def ask(client, csm, account, to_owner, **extra):
    return login(client, csm).post(
        reverse("customers:handover_request", args=[account.pk]),
        {"to_owner": to_owner.pk, "reason": "Parental leave", "handover_notes": "Petra", **extra},
    )


def test_a_csm_asks_to_hand_an_account_over_from_its_page(client, csm, teammate, account):
    html = login(client, csm).get(detail(account)).content.decode()
    assert reverse("customers:handover_request", args=[account.pk]) in html
    form = client.get(reverse("customers:handover_request", args=[account.pk])).content.decode()
    choices = form.split('name="to_owner"', 1)[1].split("</select>", 1)[0]
    assert "Tom Teammate" in choices and "Carla CSM" not in choices

    response = ask(client, csm, account, teammate)
    assert response.status_code == 302 and response.url == detail(account)
    html = client.get(detail(account)).content.decode()
    assert "to hand this account to Tom Teammate; a team lead decides." in html
    assert 'data-testid="handover-request-banner"' in html
    assert reverse("customers:handover_request", args=[account.pk]) not in html  # asked once


def test_a_request_to_someone_outside_the_team_is_refused_on_the_form(
    client, csm, other_csm, account
):
    response = ask(client, csm, account, other_csm)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_a_lead_is_sent_to_the_transfer_form_instead(client, team_lead, account):
    response = login(client, team_lead).get(
        reverse("customers:handover_request", args=[account.pk])
    )
    assert response.url == reverse("customers:account_transfer", args=[account.pk])


def test_the_lead_sees_the_request_and_approves_it_to_another_owner(
    client, csm, teammate, team_lead, account
):
    from customers.models import HandoverRequest

    ask(client, csm, account, teammate)
    asked = HandoverRequest.objects.get()
    html = login(client, team_lead).get(reverse("customers:handover_list")).content.decode()
    assert 'data-testid="handover-count">1<' in html  # the request to decide
    assert 'data-testid="handover-request"' in html and "Parental leave" in html

    response = client.post(
        reverse("customers:handover_approve", args=[asked.pk]),
        {"to_owner": team_lead.pk},
        follow=True,
    )
    assert "now belongs to Lena Lead" in response.content.decode()
    account.refresh_from_db()
    asked.refresh_from_db()
    assert account.owner == team_lead and asked.status == "approved"
    assert asked.transfer.handover_notes == "Petra"

    mine = login(client, csm).get(reverse("customers:handover_list")).content.decode()
    assert 'data-testid="my-requests"' in mine and ">approved<" in mine and "Lena Lead" in mine


def test_declining_needs_a_reason_and_tells_the_csm(client, csm, teammate, team_lead, account):
    from customers.models import HandoverRequest

    ask(client, csm, account, teammate)
    asked = HandoverRequest.objects.get()
    url = reverse("customers:handover_decline", args=[asked.pk])
    refused = login(client, team_lead).post(url, {"comment": ""}, follow=True)
    assert "Say why, for the colleague who asked." in refused.content.decode()
    client.post(url, {"comment": "After the renewal"})
    asked.refresh_from_db()
    assert asked.status == "declined"
    mine = login(client, csm).get(reverse("customers:handover_list")).content.decode()
    assert "After the renewal" in mine and ">declined<" in mine


def test_a_csm_cannot_decide_a_request(client, csm, teammate, account):
    from customers.models import HandoverRequest

    ask(client, csm, account, teammate)
    asked = HandoverRequest.objects.get()
    for action in ("handover_approve", "handover_decline"):
        url = reverse(f"customers:{action}", args=[asked.pk])
        assert login(client, teammate).post(url, {"comment": "x"}).status_code == 404


def test_the_handover_page_costs_the_same_queries_for_many_requests(
    client, team_lead, csm, teammate, django_assert_max_num_queries
):
    from customers import handovers

    def requests(n):
        for _ in range(n):
            handovers.request_handover(
                account=AccountFactory(owner=csm), by=csm, to_owner=teammate, reason="Leave"
            )

    login(client, team_lead)
    requests(2)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("customers:handover_list"))
    requests(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(reverse("customers:handover_list")).content.decode()
    assert html.count('data-testid="handover-request"') == 32
