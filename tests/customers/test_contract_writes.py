"""Every path into a contract (the admin's contract page, the account's inline, deletions, the
API, the CSV import) goes through ``customers.services``: the ledger (customer spans, MRR spans,
the account's cached status) follows each write, and bad terms are refused in the service's
own words on every path."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from crm.csv_import.errors import ImportFailed
from crm.csv_import.runner import run_import
from customers import services
from customers.models import Account, Contract, CustomerSpan, MrrSpan

from ..api_clients import client_for
from ..crm.test_admin import admin_url, contract_post, form_data, form_errors, run_action
from ..factories import AccountFactory

pytestmark = pytest.mark.django_db
D = dt.date
CONTRACTS = "/api/v1/contracts/"


@pytest.fixture
def web(client, admin_user):
    client.force_login(admin_user)
    return client


def ledger(account: Account) -> dict:
    """What the ledger says of ``account``: its spans, MRR spans and cached status."""
    account.refresh_from_db()
    return {
        "spans": list(
            CustomerSpan.objects.filter(account=account)
            .order_by("start_date")
            .values_list("start_date", "end_date")
        ),
        "mrr_spans": list(
            MrrSpan.objects.filter(account=account)
            .order_by("start_date")
            .values_list("start_date", "end_date", "mrr")
        ),
        "customer_since": account.customer_since,
        "churned_on": account.churned_on,
        "mrr": account.mrr,
        "derived_on": account.derived_on,
    }


CUSTOMER_SINCE_2025 = {
    "spans": [(D(2025, 1, 1), None)],
    "mrr_spans": [(D(2025, 1, 1), None, Decimal("250.00"))],
    "customer_since": D(2025, 1, 1),
    "churned_on": None,
    "mrr": Decimal("250.00"),
}


# --- the services the other paths call ------------------------------------------------------


def test_import_contracts_writes_in_bulk_and_refreshes_both_accounts_of_a_moved_contract():
    before, after = AccountFactory(), AccountFactory()
    moved = services.create_contract(
        account=before, reference="C-1", start_date=D(2025, 1, 1), monthly_value=Decimal(250)
    )
    revision = services.ledger_revision()

    refreshed = services.import_contracts(
        new=[Contract(account=after, reference="C-2", start_date=D(2025, 1, 1), monthly_value=250)],
        changed=[
            Contract(
                pk=moved.pk,
                account=after,
                reference="C-1",
                start_date=D(2025, 1, 1),
                monthly_value=Decimal(250),
            )
        ],
        fields={"account_id"},
        reason="CSV import",
    )

    assert refreshed == 2
    assert services.ledger_revision() > revision
    assert ledger(before)["spans"] == []
    assert ledger(after)["mrr_spans"] == [(D(2025, 1, 1), None, Decimal("500.00"))]
    assert Contract.objects.get(reference="C-2").history.get().history_change_reason == (
        "CSV import"
    )


def test_import_contracts_refuses_bad_terms_and_writes_nothing():
    account = AccountFactory()
    bad = Contract(
        account=account,
        reference="C-1",
        start_date=D(2025, 6, 1),
        end_date=D(2025, 1, 1),
        monthly_value=Decimal(10),
    )
    with pytest.raises(ValidationError) as refused:
        services.import_contracts(new=[bad], changed=[], fields=set(), reason="CSV import")
    assert refused.value.message_dict == {"end_date": ["The end date is before the start date."]}
    assert not Contract.objects.exists()


def test_delete_contracts_refreshes_the_ledger_of_their_accounts():
    account = AccountFactory()
    contracts = [
        services.create_contract(
            account=account, reference=f"C-{n}", start_date=D(2025, 1, 1), monthly_value=100
        )
        for n in range(2)
    ]
    assert services.delete_contracts(contracts=contracts) == 2
    assert ledger(account)["spans"] == [] and ledger(account)["mrr"] == 0


# --- the admin ------------------------------------------------------------------------------


def test_adding_a_contract_in_the_admin_writes_the_ledger(web):
    account = AccountFactory()

    response = web.post(admin_url(Contract, "add"), contract_post(account))

    assert response.status_code == 302, form_errors(response)
    assert ledger(account) == CUSTOMER_SINCE_2025 | {"derived_on": timezone.localdate()}
    contract = Contract.objects.get()
    assert response["Location"] == admin_url(Contract, "changelist")
    assert contract.history.get().history_type == "+"


def test_changing_a_contract_in_the_admin_rewrites_its_mrr_spans(web):
    account = AccountFactory()
    contract = services.create_contract(
        account=account, reference="C-1", start_date=D(2025, 1, 1), monthly_value=Decimal(250)
    )

    response = web.post(
        admin_url(Contract, "change", contract.pk),
        contract_post(account, end_date="2025-06-30", monthly_value="300.00"),
    )

    assert response.status_code == 302, form_errors(response)
    state = ledger(account)
    assert state["spans"] == [(D(2025, 1, 1), D(2025, 6, 30))]
    assert state["mrr_spans"] == [(D(2025, 1, 1), D(2025, 6, 30), Decimal("300.00"))]
    assert state["churned_on"] == D(2025, 7, 1)


def test_the_account_inline_adds_changes_and_deletes_contracts_through_the_services(web):
    account = AccountFactory()
    url = admin_url(Account, "change", account.pk)
    data = form_data(web.get(url)) | {
        "contracts-TOTAL_FORMS": "1",
        "contracts-0-account": str(account.pk),
        "contracts-0-reference": "C-1",
        "contracts-0-start_date": "2025-01-01",
        "contracts-0-end_date": "",
        "contracts-0-cancelled_on": "",
        "contracts-0-notice_given_on": "",
        "contracts-0-monthly_value": "250.00",
    }
    response = web.post(url, data)
    assert response.status_code == 302, form_errors(response)
    assert ledger(account) | {"derived_on": None} == CUSTOMER_SINCE_2025 | {"derived_on": None}

    data = form_data(web.get(url)) | {"contracts-0-monthly_value": "400.00"}
    response = web.post(url, data)
    assert response.status_code == 302, form_errors(response)
    assert ledger(account)["mrr_spans"] == [(D(2025, 1, 1), None, Decimal("400.00"))]

    data = form_data(web.get(url)) | {"contracts-0-DELETE": "on"}
    response = web.post(url, data)
    assert response.status_code == 302, form_errors(response)
    assert not Contract.objects.exists()
    assert ledger(account) | {"derived_on": None} == {
        "spans": [],
        "mrr_spans": [],
        "customer_since": None,
        "churned_on": None,
        "mrr": Decimal(0),
        "derived_on": None,
    }


def test_deleting_contracts_in_the_admin_clears_their_spans(web):
    account = AccountFactory()
    kept = services.create_contract(
        account=account, reference="C-1", start_date=D(2024, 1, 1), monthly_value=Decimal(100)
    )
    dropped = services.create_contract(
        account=account, reference="C-2", start_date=D(2025, 1, 1), monthly_value=Decimal(50)
    )

    run_action(web, Contract, "delete_selected", [dropped], post="yes")

    assert list(Contract.objects.all()) == [kept]
    assert ledger(account)["mrr_spans"] == [(D(2024, 1, 1), None, Decimal("100.00"))]
    web.post(admin_url(Contract, "delete", kept.pk), {"post": "yes"})
    assert ledger(account)["spans"] == []


# --- the API --------------------------------------------------------------------------------


def test_a_contract_added_and_changed_through_the_api_writes_the_ledger(admin_user):
    account = AccountFactory()
    api = client_for(admin_user)

    response = api.post(
        CONTRACTS,
        contract_post(account, end_date=None, cancelled_on=None, notice_given_on=None)
        | {"renewal_confirmed": True},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert ledger(account) == CUSTOMER_SINCE_2025 | {"derived_on": timezone.localdate()}
    assert Contract.objects.get().renewal_confirmed is True
    response = api.patch(f"{CONTRACTS}{response.json()['id']}/", {"cancelled_on": "2025-04-01"})
    assert response.status_code == 200, response.json()
    state = ledger(account)
    assert state["spans"] == [(D(2025, 1, 1), D(2025, 3, 31))]
    assert state["churned_on"] == D(2025, 4, 1)


# --- the same words everywhere --------------------------------------------------------------

BAD_TERMS = [
    pytest.param({"end_date": "2024-12-31"}, "end_date", id="end-before-start"),
    pytest.param({"cancelled_on": "2024-06-01"}, "cancelled_on", id="cancelled-before-start"),
    pytest.param({"monthly_value": "-5.00"}, "monthly_value", id="negative-value"),
    pytest.param({"start_date": "1899-12-31"}, "start_date", id="before-1900"),
]


def service_message(terms: dict, field: str) -> str:
    values = contract_post(AccountFactory.build()) | terms
    day = lambda name: D.fromisoformat(values[name]) if values[name] else None  # noqa: E731
    with pytest.raises(ValidationError) as refused:
        services.validate_contract_terms(
            day("start_date"),
            day("end_date"),
            day("cancelled_on"),
            Decimal(values["monthly_value"]),
        )
    (message,) = refused.value.message_dict[field]
    return message


@pytest.mark.parametrize(("terms", "field"), BAD_TERMS)
def test_bad_terms_are_refused_in_the_services_words_on_every_path(web, admin_user, terms, field):
    account = AccountFactory(name="Acme")
    expected = service_message(terms, field)

    page = web.post(admin_url(Contract, "add"), contract_post(account, **terms))
    assert page.status_code == 200
    assert page.context["adminform"].form.errors[field] == [expected]

    posted = {k: v for k, v in contract_post(account, **terms).items() if v}
    api = client_for(admin_user).post(CONTRACTS, posted)
    assert api.status_code == 400
    assert api.json() == {field: [expected]}

    row = contract_post(account, **terms) | {"account": "Acme"}
    del row["notice_given_on"]
    data = (",".join(row) + "\n" + ",".join(row.values()) + "\n").encode()
    with pytest.raises(ImportFailed) as failed:
        run_import(kind="contracts", data=data)
    assert [str(e) for e in failed.value.errors] == [f"line 2: {field} {row[field]}: {expected}"]

    assert not Contract.objects.exists()
    assert ledger(account)["spans"] == []
