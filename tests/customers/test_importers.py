import datetime as dt
from decimal import Decimal

import pytest

from crm.csv_import import runner
from crm.csv_import.errors import ImportFailed
from crm.csv_import.runner import run_import
from customers.importers import import_accounts, import_contacts, import_contracts
from customers.models import Account, Contact, Contract, CustomerSpan, OwnershipTransfer, Segment

from ..factories import (
    AccountFactory,
    ContactFactory,
    ContractFactory,
    SegmentFactory,
    UserFactory,
)

D = dt.date
pytestmark = pytest.mark.django_db


def csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def problems(importer, data: bytes) -> list[str]:
    with pytest.raises(ImportFailed) as failed:
        importer(data=data)
    return [str(error) for error in failed.value.errors]


def updated_at(model) -> list:
    return list(model.objects.order_by("pk").values_list("pk", "updated_at"))


# --- reading the file -----------------------------------------------------------------------


def test_byte_order_mark_and_columns_in_any_order_are_fine(csm):
    data = "\ufeffowner_email,employees,name,external_id\ncarla@treue.example,40,Acme,A-1\n"
    result = import_accounts(data=data.encode())
    account = Account.objects.get()
    assert (account.name, account.external_id, account.employees) == ("Acme", "A-1", 40)
    assert account.owner == csm
    assert result.created == 1


def test_header_names_ignore_case_and_spaces_and_crlf_lines_are_fine():
    result = import_accounts(data=b" Name , EXTERNAL_ID\r\nAcme,A-1\r\n\r\nBeta,B-2\r\n")
    assert result.created == 2
    assert set(Account.objects.values_list("name", flat=True)) == {"Acme", "Beta"}


def test_unknown_column_is_named_and_nothing_is_written():
    errors = problems(import_accounts, csv("name,colour", "Acme,blue"))
    assert len(errors) == 1
    assert errors[0].startswith("line 1: unknown column “colour”")
    assert not Account.objects.exists()


def test_missing_required_column_is_reported():
    errors = problems(import_contracts, csv("account,reference,start_date", "Acme,C-1,2025-01-01"))
    assert errors == ["line 1: missing required column “monthly_value”"]


def test_repeated_column_is_reported():
    assert problems(import_accounts, csv("name,name", "Acme,Acme")) == [
        "line 1: column “name” appears twice in the header"
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"  \n\n", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a CSV file: it holds binary data."),
    ],
)
def test_empty_or_binary_file_is_refused(data, message):
    assert problems(import_accounts, data) == [message]


def test_file_that_is_not_utf8_is_refused_with_its_line():
    data = "name\nAcme\nMüller GmbH\n".encode("latin-1")
    errors = problems(import_accounts, data)
    assert len(errors) == 1
    assert errors[0].startswith("line 3: the file is not UTF-8 text")
    assert not Account.objects.exists()


def test_row_with_too_many_values_is_reported_with_its_physical_line():
    data = csv("name,industry", '"Acme","Software,\nand more"', "Beta,Retail,extra")
    assert problems(import_accounts, data) == [
        "line 4: 3 values but the header has 2 columns "
        "(a comma inside a value needs the value in double quotes)"
    ]


def test_broken_quoting_is_reported_as_not_csv():
    errors = problems(import_accounts, csv("name", '"Acme"x'))
    assert len(errors) == 1
    assert errors[0].startswith("line 2: this is not valid CSV")


# --- accounts -------------------------------------------------------------------------------


def test_accounts_import_creates_segments_and_follows_the_owners_team(csm):
    data = csv(
        "name,external_id,segment,industry,employees,owner_email",
        "Acme,A-1,Enterprise,Software,1200,CARLA@treue.example",
        "Beta,,Enterprise,,,",
    )
    result = import_accounts(data=data)
    assert result.summary() == "accounts: 2 created, 0 updated, 0 unchanged"
    assert result.notes == ["new segments: Enterprise"]
    acme, beta = Account.objects.order_by("name")
    assert acme.segment == beta.segment == Segment.objects.get(name="Enterprise")
    assert (acme.owner, acme.team, acme.employees) == (csm, csm.team, 1200)
    assert (beta.owner, beta.team, beta.external_id, beta.employees) == (None, None, None, None)


def test_segment_names_match_existing_segments_in_any_case():
    smb = SegmentFactory(name="SMB")
    import_accounts(data=csv("name,segment", "Acme,smb"))
    assert Account.objects.get().segment == smb
    assert Segment.objects.count() == 1


def test_reimporting_accounts_changes_nothing(csm):
    data = csv(
        "name,external_id,segment,industry,employees,owner_email",
        "Acme,A-1,SMB,Software,12,carla@treue.example",
        "Beta,,,,,",
    )
    import_accounts(data=data)
    before = updated_at(Account)
    result = import_accounts(data=data)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert updated_at(Account) == before


def test_account_is_matched_by_external_id_and_renamed():
    account = AccountFactory(name="Acme", external_id="A-1", industry="Software")
    result = import_accounts(data=csv("external_id,name,industry", "A-1,Acme Corp,Retail"))
    account.refresh_from_db()
    assert (account.name, account.industry) == ("Acme Corp", "Retail")
    assert result.updated == 1
    assert Account.objects.count() == 1


def test_account_found_by_name_takes_the_external_id_it_lacked():
    account = AccountFactory(name="Acme", external_id=None)
    import_accounts(data=csv("name,external_id", "Acme,A-1"))
    account.refresh_from_db()
    assert account.external_id == "A-1"


def test_empty_external_id_does_not_remove_a_stored_one():
    account = AccountFactory(name="Acme", external_id="A-1")
    result = import_accounts(data=csv("name,external_id", "Acme,"))
    account.refresh_from_db()
    assert account.external_id == "A-1"
    assert result.unchanged == 1


def test_column_left_out_keeps_the_stored_value_and_empty_value_clears_it():
    account = AccountFactory(name="Acme", industry="Software", employees=50)
    import_accounts(data=csv("name,employees", "Acme,"))
    account.refresh_from_db()
    assert (account.industry, account.employees) == ("Software", None)


def test_empty_owner_leaves_the_account_unassigned(csm):
    account = AccountFactory(name="Acme", owner=csm)
    import_accounts(data=csv("name,owner_email", "Acme,"))
    account.refresh_from_db()
    assert (account.owner, account.team) == (None, None)
    assert not OwnershipTransfer.objects.exists()


def test_changed_owner_moves_the_team_and_is_recorded_as_a_transfer(csm, other_csm, admin_user):
    account = AccountFactory(name="Acme", owner=csm)
    result = import_accounts(data=csv("name,owner_email", "Acme,otto@treue.example"), by=admin_user)
    account.refresh_from_db()
    assert (account.owner, account.team) == (other_csm, other_csm.team)
    transfer = OwnershipTransfer.objects.get()
    assert (transfer.from_owner, transfer.to_owner, transfer.transferred_by) == (
        csm,
        other_csm,
        admin_user,
    )
    assert result.notes == ["ownership transfers recorded: 1"]


def test_unknown_or_deactivated_owner_is_reported():
    UserFactory(username="gone", is_active=False)
    data = csv("name,owner_email", "Acme,nobody@treue.example", "Beta,gone@treue.example")
    assert problems(import_accounts, data) == [
        "line 2: owner_email nobody@treue.example is not the email of any user",
        "line 3: owner_email gone@treue.example belongs to a deactivated user",
    ]
    assert not Account.objects.exists()


def test_name_belonging_to_an_account_with_another_external_id_is_reported():
    AccountFactory(name="Acme", external_id="A-1")
    AccountFactory(name="Beta", external_id="B-2")
    data = csv("name,external_id", "Acme,X-9", "Beta,A-1")
    assert problems(import_accounts, data) == [
        "line 2: the name “Acme” belongs to the account with external_id A-1, not X-9",
        "line 3: cannot rename account A-1 to “Beta”: another account has that name",
    ]


def test_duplicate_account_keys_in_the_file_report_every_line():
    data = csv("name,external_id", "Acme,A-1", "Beta,B-2", "Gamma,A-1", "Beta,")
    assert problems(import_accounts, data) == [
        "line 2: external_id A-1 is also on line 4",
        "line 3: the account name “Beta” is also on line 5",
        "line 4: external_id A-1 is also on line 2",
        "line 5: the account name “Beta” is also on line 3",
    ]


def test_two_rows_matching_the_same_stored_account_are_reported():
    AccountFactory(name="Acme", external_id="A-1")
    data = csv("name,external_id", "Acme Corp,A-1", "Acme,")
    assert problems(import_accounts, data) == [
        "line 2: the account “Acme” is also on line 3",
        "line 3: the account “Acme” is also on line 2",
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-5", "line 2: employees -5 is negative"),
        ("many", "line 2: employees “many” is not a whole number"),
        ("12.5", "line 2: employees “12.5” is not a whole number"),
    ],
)
def test_bad_employee_count_is_reported(value, message):
    assert problems(import_accounts, csv("name,employees", f"Acme,{value}")) == [message]


def test_required_value_left_empty_is_reported():
    assert problems(import_accounts, csv("name,industry", ",Software")) == [
        "line 2: name is required"
    ]


def test_one_bad_row_among_good_rows_writes_nothing():
    rows = [f"Account {i},A-{i},SMB,10" for i in range(50)]
    rows.insert(30, "Broken,B-1,SMB,ten")
    errors = problems(import_accounts, csv("name,external_id,segment,employees", *rows))
    assert errors == ["line 32: employees “ten” is not a whole number"]
    assert not Account.objects.exists()
    assert not Segment.objects.exists()


def test_dry_run_reports_the_same_counts_and_writes_nothing(csm):
    AccountFactory(name="Acme", external_id="A-1", industry="Software")
    data = csv("name,external_id,industry,segment", "Acme,A-1,Retail,New", "Beta,B-2,,New")
    before = updated_at(Account)
    result = import_accounts(data=data, dry_run=True)
    assert (
        result.summary() == "accounts: 1 created, 1 updated, 0 unchanged (dry run: nothing written)"
    )
    assert [(row.line, row.action) for row in result.preview] == [(2, "update"), (3, "create")]
    assert updated_at(Account) == before
    assert not Segment.objects.filter(name="New").exists()


def test_run_import_dispatches_by_kind():
    result = run_import(kind="accounts", data=csv("name", "Acme"))
    assert result.created == 1
    with pytest.raises(ImportFailed):
        run_import(kind="invoices", data=csv("name", "Acme"))


# --- contacts -------------------------------------------------------------------------------


def test_contacts_import_reads_booleans_channels_and_dates():
    AccountFactory(name="Acme", external_id="A-1")
    data = csv(
        "account,name,email,phone,title,is_decision_maker,is_champion,preferred_channel,"
        "preferences,left_on",
        "A-1,Jane Roe,jane@acme.example,+49 30 1,CTO,yes,TRUE,Video call,Mornings only,",
        "Acme,John Doe,,,,0,,phone,,2025-03-31",
    )
    result = import_contacts(data=data)
    assert result.created == 2
    jane = Contact.objects.get(name="Jane Roe")
    assert (jane.is_decision_maker, jane.is_champion, jane.preferred_channel) == (
        True,
        True,
        Contact.Channel.VIDEO,
    )
    assert jane.preferences == "Mornings only"
    john = Contact.objects.get(name="John Doe")
    assert (john.is_decision_maker, john.is_champion, john.left_on) == (
        False,
        False,
        D(2025, 3, 31),
    )


def test_reimporting_contacts_changes_nothing():
    AccountFactory(name="Acme")
    data = csv(
        "account,name,email,is_champion",
        "Acme,Jane Roe,jane@acme.example,yes",
        "Acme,Jane Roe,,no",
        "Acme,John Doe,,no",
    )
    assert import_contacts(data=data).created == 3
    before = updated_at(Contact)
    result = import_contacts(data=data)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    assert updated_at(Contact) == before


def test_contact_is_matched_by_email_in_any_case_and_updated():
    contact = ContactFactory(name="Jane", email="Jane@Acme.example", title="CTO")
    stamp = contact.updated_at
    data = csv(
        "account,name,email,title,is_champion,preferred_channel,left_on",
        f"{contact.account.name},Jane Roe,jane@acme.example,CEO,yes,chat,2025-05-31",
    )
    assert import_contacts(data=data).updated == 1
    contact.refresh_from_db()
    assert (contact.name, contact.title, contact.email) == ("Jane Roe", "CEO", "Jane@Acme.example")
    assert (contact.is_champion, contact.preferred_channel, contact.left_on) == (
        True,
        "chat",
        D(2025, 5, 31),
    )
    assert contact.updated_at > stamp


def test_contact_stored_without_email_is_found_by_name_and_gets_the_email():
    contact = ContactFactory(name="Jane Roe", email="")
    import_contacts(data=csv("account,name,email", f"{contact.account.name},Jane Roe,j@x.example"))
    contact.refresh_from_db()
    assert contact.email == "j@x.example"
    assert Contact.objects.count() == 1


def test_contact_without_email_is_matched_by_name():
    contact = ContactFactory(name="Jane Roe", title="CTO")
    import_contacts(data=csv("account,name,title", f"{contact.account.name},Jane Roe,CEO"))
    contact.refresh_from_db()
    assert contact.title == "CEO"
    assert Contact.objects.count() == 1


def test_contact_name_shared_by_two_stored_contacts_needs_an_email():
    account = AccountFactory(name="Acme")
    ContactFactory(account=account, name="Jane Roe")
    ContactFactory(account=account, name="Jane Roe")
    assert problems(import_contacts, csv("account,name,title", "Acme,Jane Roe,CEO")) == [
        "line 2: account “Acme” has 2 contacts named “Jane Roe”: add their email to tell them apart"
    ]


def test_bad_contact_values_are_all_reported():
    AccountFactory(name="Acme")
    data = csv(
        "account,name,email,is_champion,preferred_channel,left_on",
        "Acme,Jane,not-an-email,maybe,pigeon,31/03/2025",
        "Nowhere,John,,,,",
        "Acme,,,,,",
    )
    assert problems(import_contacts, data) == [
        "line 2: email “not-an-email” is not an email address",
        "line 2: is_champion “maybe” is not yes or no (use true/false, yes/no or 1/0)",
        "line 2: left_on “31/03/2025” is not a date (use YYYY-MM-DD or DD.MM.YYYY)",
        "line 2: preferred_channel “pigeon” is not one of: email, phone, video, in_person, chat",
        "line 3: account “Nowhere” not found: no account has this external_id or name",
        "line 4: name is required",
    ]
    assert not Contact.objects.exists()


def test_duplicate_contact_in_the_file_reports_both_lines():
    AccountFactory(name="Acme", external_id="A-1")
    data = csv("account,name,email", "Acme,Jane,jane@acme.example", "A-1,J. Roe,JANE@acme.example")
    assert problems(import_contacts, data) == [
        "line 2: the contact with email “jane@acme.example” of this account is also on line 3",
        "line 3: the contact with email “jane@acme.example” of this account is also on line 2",
    ]


# --- contracts ------------------------------------------------------------------------------

CONTRACT_HEADER = "account,reference,start_date,end_date,cancelled_on,monthly_value"


def test_contracts_import_creates_contracts_and_refreshes_the_ledger():
    acme = AccountFactory(name="Acme", external_id="A-1")
    beta = AccountFactory(name="Beta", external_id=None)
    data = csv(
        CONTRACT_HEADER,
        "A-1,C-1,2024-01-01,2024-12-31,,1000",
        "A-1,C-2,2025-01-01,,,250.50",
        "Beta,C-3,2023-01-01,,2023-07-01,99.99",
    )
    result = import_contracts(data=data)
    assert result.summary() == "contracts: 3 created, 0 updated, 0 unchanged"
    assert result.notes == ["ledger refreshed for 2 accounts"]
    acme.refresh_from_db()
    beta.refresh_from_db()
    assert acme.customer_since == D(2024, 1, 1)
    assert acme.mrr == Decimal("250.50")
    assert beta.churned_on == D(2023, 7, 1)
    assert list(
        CustomerSpan.objects.filter(account=acme).values_list("start_date", "end_date")
    ) == [(D(2024, 1, 1), None)]


def test_reimporting_contracts_changes_nothing():
    AccountFactory(name="Acme")
    data = csv(CONTRACT_HEADER, "Acme,C-1,2024-01-01,2024-12-31,,1000", "Acme,C-2,2025-01-01,,,5")
    import_contracts(data=data)
    contracts_before, accounts_before = updated_at(Contract), updated_at(Account)
    spans_before = list(CustomerSpan.objects.values_list("pk", flat=True))
    result = import_contracts(data=data)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert result.notes == []
    assert updated_at(Contract) == contracts_before
    assert updated_at(Account) == accounts_before
    assert list(CustomerSpan.objects.values_list("pk", flat=True)) == spans_before


def test_changed_contract_is_updated_and_both_accounts_ledgers_follow():
    acme, beta = AccountFactory(name="Acme"), AccountFactory(name="Beta")
    contract = ContractFactory(account=acme, reference="C-1", monthly_value=Decimal("100"))
    result = import_contracts(data=csv(CONTRACT_HEADER, "Beta,C-1,2025-01-01,,,300"))
    assert result.updated == 1
    contract.refresh_from_db()
    assert (contract.account, contract.monthly_value) == (beta, Decimal("300.00"))
    acme.refresh_from_db()
    beta.refresh_from_db()
    assert acme.derived_on is not None
    assert acme.mrr == 0
    assert beta.mrr == Decimal("300.00")


def test_dates_left_out_keep_the_stored_ones_and_are_checked_against_them():
    ContractFactory(account=AccountFactory(name="Acme"), reference="C-1", end_date=D(2025, 6, 30))
    header = "account,reference,start_date,monthly_value"
    assert import_contracts(data=csv(header, "Acme,C-1,2025-02-01,1000")).updated == 1
    assert Contract.objects.get().end_date == D(2025, 6, 30)
    assert problems(import_contracts, csv(header, "Acme,C-1,2025-07-01,1000")) == [
        "line 2: end_date 2025-06-30: The end date is before the start date."
    ]


NOT_A_NUMBER = "is not a number (write it like 1200.50)"
NOT_A_DATE = "is not a date (use YYYY-MM-DD or DD.MM.YYYY)"
END_BEFORE_START = "The end date is before the start date."
CANCELLED_EARLY = "The cancellation is before the start date."
NOT_FOUND = "not found: no account has this external_id or name"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("Acme,C-1,2025-01-01,2024-01-01,,10", f"end_date 2024-01-01: {END_BEFORE_START}"),
        ("Acme,C-1,2025-01-01,,2024-12-31,10", f"cancelled_on 2024-12-31: {CANCELLED_EARLY}"),
        ("Acme,C-1,2025-02-30,,,10", f"start_date “2025-02-30” {NOT_A_DATE}"),
        ("Acme,C-1,30.02.2025,,,10", f"start_date “30.02.2025” {NOT_A_DATE}"),
        ("Acme,C-1,01/02/2025,,,10", f"start_date “01/02/2025” {NOT_A_DATE}"),
        ("Acme,C-1,2025-01-01,,,-10", "monthly_value -10: The monthly value cannot be negative."),
        ("Acme,C-1,2025-01-01,,,ten", f"monthly_value “ten” {NOT_A_NUMBER}"),
        ("Acme,C-1,2025-01-01,,,NaN", f"monthly_value “NaN” {NOT_A_NUMBER}"),
        ("Acme,C-1,2025-01-01,,,10.005", "monthly_value 10.005 has more than 2 decimal places"),
        ("Acme,C-1,2025-01-01,,,12345678901", "monthly_value 12345678901 is too large"),
        ("Acme,,2025-01-01,,,10", "reference is required"),
        ("Nowhere,C-1,2025-01-01,,,10", f"account “Nowhere” {NOT_FOUND}"),
    ],
)  # fmt: skip
def test_bad_contract_row_is_reported_with_its_line(row, message):
    AccountFactory(name="Acme")
    assert problems(import_contracts, csv(CONTRACT_HEADER, row)) == [f"line 2: {message}"]
    assert not Contract.objects.exists()


def test_every_bad_contract_row_is_reported_and_nothing_is_written():
    AccountFactory(name="Acme")
    data = csv(
        CONTRACT_HEADER,
        "Acme,C-1,2025-01-01,,,10",
        "Acme,C-2,2025-01-01,2024-01-01,,10",
        "Acme,C-3,2025-01-01,,,10",
        "Acme,C-4,2025-01-01,,,-1",
    )
    assert problems(import_contracts, data) == [
        "line 3: end_date 2024-01-01: The end date is before the start date.",
        "line 5: monthly_value -1: The monthly value cannot be negative.",
    ]
    assert not Contract.objects.exists()
    assert not CustomerSpan.objects.exists()


def test_duplicate_reference_in_the_file_reports_both_lines():
    AccountFactory(name="Acme")
    data = csv(CONTRACT_HEADER, "Acme,C-1,2025-01-01,,,10", "Acme,C-2,2025-01-01,,,10",
               "Acme,C-1,2025-02-01,,,20")  # fmt: skip
    assert problems(import_contracts, data) == [
        "line 2: reference C-1 is also on line 4",
        "line 4: reference C-1 is also on line 2",
    ]


def test_contracts_dry_run_writes_nothing():
    account = AccountFactory(name="Acme")
    result = import_contracts(data=csv(CONTRACT_HEADER, "Acme,C-1,2025-01-01,,,10"), dry_run=True)
    assert result.created == 1
    assert result.notes == ["ledger to refresh for 1 account"]
    assert not Contract.objects.exists()
    account.refresh_from_db()
    assert account.derived_on is None


def test_contract_deleted_while_importing_refuses_the_file(monkeypatch):
    account = AccountFactory(name="Acme")
    contract = ContractFactory(account=account, reference="C-1", monthly_value=Decimal("10"))
    planned = runner.count_changes

    def plan_then_delete(result, changes):
        planned(result, changes)
        Contract.objects.filter(pk=contract.pk).delete()

    monkeypatch.setattr(runner, "count_changes", plan_then_delete)
    data = csv(CONTRACT_HEADER, "Acme,C-1,2025-01-01,,,20", "Acme,C-2,2025-01-01,,,30")
    errors = problems(import_contracts, data)
    assert len(errors) == 1
    assert errors[0].startswith("The data changed while importing, so nothing was written")
    assert not Contract.objects.exists()


def test_contract_created_elsewhere_while_importing_refuses_the_file(monkeypatch):
    account = AccountFactory(name="Acme")
    planned = runner.count_changes

    def plan_then_create(result, changes):
        planned(result, changes)
        ContractFactory(account=account, reference="C-2")

    monkeypatch.setattr(runner, "count_changes", plan_then_create)
    data = csv(CONTRACT_HEADER, "Acme,C-1,2025-01-01,,,20", "Acme,C-2,2025-01-01,,,30")
    errors = problems(import_contracts, data)
    assert errors[0].startswith("The data changed while importing, so nothing was written")
    assert list(Contract.objects.values_list("reference", flat=True)) == ["C-2"]


# --- audit history --------------------------------------------------------------------------


def test_import_keeps_the_audit_history_of_created_and_changed_rows():
    import_accounts(data=csv("name,external_id,industry", "Acme,A-1,Retail"))
    import_accounts(data=csv("name,external_id,industry", "Acme,A-1,Logistics"))
    account = Account.objects.get()
    versions = list(account.history.order_by("history_date", "history_id"))
    assert [(v.history_type, v.industry) for v in versions] == [("+", "Retail"), ("~", "Logistics")]
    assert {v.history_change_reason for v in versions} == {"CSV import"}


def test_unchanged_reimport_writes_no_history():
    data = csv("name,external_id,industry", "Acme,A-1,Retail")
    import_accounts(data=data)
    import_accounts(data=data)
    assert Account.objects.get().history.count() == 1
