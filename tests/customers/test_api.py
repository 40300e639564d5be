"""The REST API of accounts, contacts, contracts and segments (customers/api.py)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from customers.models import Contact, Contract
from tests.factories import (
    AccountFactory,
    ContactFactory,
    ContractFactory,
    SegmentFactory,
)

from ..api_clients import client_for, token_client

pytestmark = pytest.mark.django_db

ACCOUNTS = "/api/v1/accounts/"
CONTACTS = "/api/v1/contacts/"
CONTRACTS = "/api/v1/contracts/"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()


def names(response) -> set[str]:
    return {row["name"] for row in response.json()["results"]}


# --- authentication -----------------------------------------------------------------------


def test_anonymous_request_is_refused_with_a_token_challenge(book):
    response = APIClient().get(ACCOUNTS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_token_client_reads_its_accounts(csm, book):
    response = token_client(csm).get(ACCOUNTS)
    assert response.status_code == 200
    assert names(response) == {"Mine AG", "Teammate AG"}


def test_wrong_token_is_refused(book):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get(ACCOUNTS).status_code == 401


def test_session_login_reads_the_api(client, csm, book):
    client.force_login(csm)
    response = client.get(ACCOUNTS)
    assert response.status_code == 200
    assert names(response) == {"Mine AG", "Teammate AG"}


def test_token_is_handed_out_for_username_and_password(csm):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "carla", "password": "treue-test-pass"}
    )
    assert response.status_code == 200
    assert response.json()["token"] == Token.objects.get(user=csm).key


def test_no_token_for_a_wrong_password(csm):
    response = APIClient().post("/api/v1/auth/token/", {"username": "carla", "password": "nope"})
    assert response.status_code == 400
    assert not Token.objects.exists()


# --- accounts: the scope matrix -----------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("csm", {"Mine AG", "Teammate AG"}),
        ("teammate", {"Mine AG", "Teammate AG"}),
        ("team_lead", {"Mine AG", "Teammate AG"}),
        ("other_csm", {"Other AG"}),
        ("admin_user", {"Mine AG", "Teammate AG", "Other AG"}),
    ],
)
def test_account_list_shows_what_the_role_may_see(request, book, persona, expected):
    user = request.getfixturevalue(persona)
    assert names(client_for(user).get(ACCOUNTS)) == expected


@pytest.mark.parametrize(
    ("persona", "status"),
    [("csm", 404), ("team_lead", 404), ("other_csm", 200), ("admin_user", 200)],
)
def test_account_of_another_team_is_not_found(request, book, persona, status):
    user = request.getfixturevalue(persona)
    response = client_for(user).get(f"{ACCOUNTS}{book['other'].pk}/")
    assert response.status_code == status


def test_account_detail_names_owner_team_and_segment(csm, book):
    account = book["mine"]
    data = client_for(csm).get(f"{ACCOUNTS}{account.pk}/").json()
    assert data["owner"] == csm.pk
    assert data["owner_name"] == "Carla CSM"
    assert data["team_name"] == "Team A"
    assert data["segment_name"] == account.segment.name
    assert data["is_customer"] is False


def test_accounts_filter_by_segment_owner_status_and_renewal(csm, teammate, admin_user):
    smb, enterprise = SegmentFactory(name="SMB"), SegmentFactory(name="Enterprise")
    customer = AccountFactory(name="Customer", owner=csm, segment=smb)
    customer.customer_since = dt.date(2025, 1, 1)
    customer.next_renewal_on = dt.date(2026, 3, 31)
    customer.save()
    churned = AccountFactory(name="Churned", owner=teammate, segment=enterprise)
    churned.churned_on = dt.date(2025, 6, 1)
    churned.save()
    AccountFactory(name="Prospect", owner=teammate, segment=smb)
    api = client_for(admin_user)

    assert names(api.get(ACCOUNTS, {"segment": smb.pk})) == {"Customer", "Prospect"}
    assert names(api.get(ACCOUNTS, {"segment_name": "enterprise"})) == {"Churned"}
    assert names(api.get(ACCOUNTS, {"owner": teammate.pk})) == {"Churned", "Prospect"}
    assert names(api.get(ACCOUNTS, {"status": "customer"})) == {"Customer"}
    assert names(api.get(ACCOUNTS, {"status": "churned"})) == {"Churned"}
    assert names(api.get(ACCOUNTS, {"status": "prospect"})) == {"Prospect"}
    assert names(api.get(ACCOUNTS, {"renewal_before": "2026-04-30"})) == {"Customer"}
    assert names(api.get(ACCOUNTS, {"team": csm.team_id})) == {"Customer", "Churned", "Prospect"}
    assert names(api.get(ACCOUNTS, {"q": "urn"})) == {"Churned"}


def test_bad_filter_value_is_a_400_naming_the_parameter(admin_user):
    response = client_for(admin_user).get(ACCOUNTS, {"status": "asleep"})
    assert response.status_code == 400
    assert "status" in response.json()


def test_accounts_order_by_mrr(admin_user):
    for name, mrr in [("Small", "10"), ("Big", "900"), ("Middle", "300")]:
        account = AccountFactory(name=name)
        account.mrr = Decimal(mrr)
        account.save()
    rows = client_for(admin_user).get(ACCOUNTS, {"ordering": "-mrr"}).json()["results"]
    assert [r["name"] for r in rows] == ["Big", "Middle", "Small"]


def test_accounts_come_in_pages_of_50_and_at_most_200(admin_user):
    AccountFactory.create_batch(205, owner=admin_user)
    api = client_for(admin_user)
    first = api.get(ACCOUNTS).json()
    assert first["count"] == 205
    assert len(first["results"]) == 50
    assert first["next"].endswith("page=2")
    assert len(api.get(ACCOUNTS, {"page_size": 500}).json()["results"]) == 200


def test_account_list_query_count_does_not_grow_with_rows(
    csm, teammate, django_assert_max_num_queries
):
    for owner in (csm, teammate):
        AccountFactory.create_batch(30, owner=owner)
    api = token_client(csm)
    with django_assert_max_num_queries(6):
        response = api.get(ACCOUNTS)
    assert response.json()["count"] == 60


def test_admin_creates_an_account_through_the_service(admin_user, csm):
    segment = SegmentFactory(name="SMB")
    response = client_for(admin_user).post(
        ACCOUNTS, {"name": "  Neu GmbH ", "owner": csm.pk, "segment": segment.pk}
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["name"] == "Neu GmbH"
    # The service puts the account in its owner's team.
    assert data["team"] == csm.team_id


def test_duplicate_account_name_is_a_400_naming_the_field(admin_user):
    AccountFactory(name="Acme")
    response = client_for(admin_user).post(ACCOUNTS, {"name": "Acme"})
    assert response.status_code == 400
    assert list(response.json()) == ["name"]


def test_csm_cannot_create_accounts(csm):
    response = client_for(csm).post(ACCOUNTS, {"name": "Mine now"})
    assert response.status_code == 403


def test_accounts_cannot_be_edited_or_deleted_here(admin_user, book):
    api = client_for(admin_user)
    url = f"{ACCOUNTS}{book['mine'].pk}/"
    assert api.patch(url, {"name": "Renamed"}).status_code == 405
    assert api.delete(url).status_code == 405


# --- contacts -----------------------------------------------------------------------------


def test_contacts_are_scoped_like_their_accounts(csm, other_csm, book):
    ContactFactory(account=book["mine"], name="Mina")
    ContactFactory(account=book["teammates"], name="Tina")
    ContactFactory(account=book["other"], name="Olga")
    assert names(client_for(csm).get(CONTACTS)) == {"Mina", "Tina"}
    assert names(client_for(other_csm).get(CONTACTS)) == {"Olga"}


def test_csm_adds_a_contact_to_their_account(csm, book):
    response = client_for(csm).post(
        CONTACTS,
        {"account": book["mine"].pk, "name": "Mara", "is_champion": True, "email": "m@x.example"},
    )
    assert response.status_code == 201, response.json()
    contact = Contact.objects.get(pk=response.json()["id"])
    assert contact.is_champion and contact.account == book["mine"]


def test_contact_on_an_account_one_may_only_read_is_a_400_naming_account(csm, book):
    response = client_for(csm).post(CONTACTS, {"account": book["teammates"].pk, "name": "X"})
    assert response.status_code == 400
    assert list(response.json()) == ["account"]
    assert not Contact.objects.exists()


def test_contact_on_an_invisible_account_reads_like_a_missing_one(csm, book):
    hidden = client_for(csm).post(CONTACTS, {"account": book["other"].pk, "name": "X"}).json()
    missing = client_for(csm).post(CONTACTS, {"account": 999999, "name": "X"}).json()
    assert hidden["account"][0].replace(str(book["other"].pk), "N") == missing["account"][
        0
    ].replace("999999", "N")


def test_contact_errors_name_the_field(csm, book):
    response = client_for(csm).post(
        CONTACTS, {"account": book["mine"].pk, "name": "   ", "email": "not-an-email"}
    )
    assert response.status_code == 400
    assert set(response.json()) == {"name", "email"}


def test_service_error_on_contact_names_the_field(csm, book):
    response = client_for(csm).post(CONTACTS, {"account": book["mine"].pk, "name": " "})
    assert response.status_code == 400
    assert "name" in response.json()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("csm", 200), ("team_lead", 200), ("teammate", 404), ("other_csm", 404), ("admin_user", 200)],
)
def test_who_may_change_a_contact(request, book, persona, status):
    contact = ContactFactory(account=book["mine"], name="Mara")
    user = request.getfixturevalue(persona)
    response = client_for(user).patch(f"{CONTACTS}{contact.pk}/", {"title": "CFO"})
    assert response.status_code == status
    contact.refresh_from_db()
    assert (contact.title == "CFO") == (status == 200)


def test_contact_cannot_move_to_another_account(csm, book):
    contact = ContactFactory(account=book["mine"])
    other_mine = AccountFactory(owner=csm)
    response = client_for(csm).patch(f"{CONTACTS}{contact.pk}/", {"account": other_mine.pk})
    assert response.status_code == 400
    assert list(response.json()) == ["account"]


def test_contacts_filter_by_account_and_role(csm, book):
    ContactFactory(account=book["mine"], name="Champ", is_champion=True)
    ContactFactory(account=book["mine"], name="Gone", left_on=dt.date(2025, 1, 1))
    ContactFactory(account=book["teammates"], name="Elsewhere", is_champion=True)
    api = client_for(csm)
    assert names(api.get(CONTACTS, {"account": book["mine"].pk})) == {"Champ", "Gone"}
    assert names(api.get(CONTACTS, {"is_champion": "true"})) == {"Champ", "Elsewhere"}
    assert names(api.get(CONTACTS, {"active": "false"})) == {"Gone"}


def test_contact_list_query_count_does_not_grow_with_rows(csm, book, django_assert_max_num_queries):
    ContactFactory.create_batch(60, account=book["mine"])
    with django_assert_max_num_queries(6):
        response = token_client(csm).get(CONTACTS)
    assert response.json()["count"] == 60


# --- contracts ----------------------------------------------------------------------------


def test_admin_adds_a_contract_and_the_ledger_follows(admin_user, book):
    account = book["mine"]
    response = client_for(admin_user).post(
        CONTRACTS,
        {
            "account": account.pk,
            "reference": "C-1",
            "start_date": "2025-01-01",
            "end_date": "2027-12-31",
            "monthly_value": "1500.00",
            "renewal_confirmed": True,
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["renewal_confirmed"] is True
    account.refresh_from_db()
    assert account.customer_since == dt.date(2025, 1, 1)
    assert account.mrr == Decimal("1500.00")


def test_contract_ending_before_it_starts_is_a_400_naming_end_date(admin_user, book):
    response = client_for(admin_user).post(
        CONTRACTS,
        {
            "account": book["mine"].pk,
            "reference": "C-2",
            "start_date": "2025-06-01",
            "end_date": "2025-01-01",
            "monthly_value": "10",
        },
    )
    assert response.status_code == 400
    assert list(response.json()) == ["end_date"]


def test_negative_or_duplicate_contract_is_a_400_naming_the_field(admin_user, book):
    ContractFactory(account=book["mine"], reference="C-9")
    response = client_for(admin_user).post(
        CONTRACTS,
        {
            "account": book["mine"].pk,
            "reference": "C-9",
            "start_date": "2025-06-01",
            "monthly_value": "-1",
        },
    )
    assert response.status_code == 400
    assert list(response.json()) == ["monthly_value"]
    response = client_for(admin_user).post(
        CONTRACTS,
        {
            "account": book["mine"].pk,
            "reference": "C-9",
            "start_date": "2025-06-01",
            "monthly_value": "1",
        },
    )
    assert response.status_code == 400
    assert list(response.json()) == ["reference"]


def test_admin_cancels_a_contract_and_the_account_churns(admin_user, book):
    account = book["mine"]
    contract = ContractFactory(account=account, start_date=dt.date(2024, 1, 1))
    response = client_for(admin_user).patch(
        f"{CONTRACTS}{contract.pk}/", {"cancelled_on": "2025-01-01"}
    )
    assert response.status_code == 200, response.json()
    account.refresh_from_db()
    assert account.churned_on == dt.date(2025, 1, 1)
    assert account.customer_since is None


@pytest.mark.parametrize("persona", ["csm", "team_lead"])
def test_only_admins_change_contracts(request, book, persona):
    contract = ContractFactory(account=book["mine"])
    api = client_for(request.getfixturevalue(persona))
    assert api.patch(f"{CONTRACTS}{contract.pk}/", {"monthly_value": "1"}).status_code == 403
    payload = {
        "account": book["mine"].pk,
        "reference": "C-new",
        "start_date": "2025-01-01",
        "monthly_value": "5",
    }
    assert api.post(CONTRACTS, payload).status_code == 403
    assert Contract.objects.count() == 1


def test_contracts_are_scoped_and_filtered(csm, book):
    ContractFactory(
        account=book["mine"],
        reference="MINE-OLD",
        start_date=dt.date(2024, 1, 1),
        end_date=dt.date(2024, 12, 31),
    )
    ContractFactory(account=book["mine"], reference="MINE-NOW")
    ContractFactory(account=book["teammates"], reference="TEAM")
    ContractFactory(account=book["other"], reference="OTHER")
    api = client_for(csm)

    def refs(params=None):
        return {r["reference"] for r in api.get(CONTRACTS, params or {}).json()["results"]}

    assert refs() == {"MINE-OLD", "MINE-NOW", "TEAM"}
    assert refs({"account": book["mine"].pk}) == {"MINE-OLD", "MINE-NOW"}
    assert refs({"active_on": "2025-06-01"}) == {"MINE-NOW", "TEAM"}
    contract = Contract.objects.get(reference="OTHER")
    assert api.get(f"{CONTRACTS}{contract.pk}/").status_code == 404


def test_contract_list_query_count_does_not_grow_with_rows(
    admin_user, django_assert_max_num_queries
):
    ContractFactory.create_batch(60, account=AccountFactory(owner=admin_user))
    with django_assert_max_num_queries(6):
        response = token_client(admin_user).get(CONTRACTS)
    assert response.json()["count"] == 60


# --- segments -----------------------------------------------------------------------------


def test_segments_are_listed_for_filters(csm):
    SegmentFactory(name="SMB")
    SegmentFactory(name="Enterprise")
    assert names(client_for(csm).get("/api/v1/segments/")) == {"SMB", "Enterprise"}
