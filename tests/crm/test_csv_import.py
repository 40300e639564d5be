"""What every CSV import shares (``crm.csv_import``), through the kinds a user imports:

- checking a file costs time and memory linear in its size, and its report is bounded: a key
  repeated on many rows names three other lines and a count, at most 1,000 problems are listed
  (with a count of the rest), the header and each cell are bounded, and a file over
  ``IMPORT_MAX_BYTES`` is refused before it is read (issue 14, finding 1);
- a text cell with a formula start anywhere a spreadsheet could split it is refused, while
  numbers, phone numbers and notes with "•" bullets still import (finding 4, the import side);
- German Excel's files import: semicolons, decimal commas, German dates (issue 13).
"""

import datetime as dt
import io
import re
import zoneinfo
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import multipartparser

from crm.admin_import import SESSION_KEY, UPLOAD_DIR
from crm.csv_import.errors import MAX_ERRORS, ImportFailed
from crm.csv_import.reading import MAX_CELL_CHARS, MAX_COLUMNS
from crm.csv_import.runner import run_import
from customers.models import Account, Contact, Contract
from interactions.models import Interaction

from ..factories import AccountFactory

pytestmark = pytest.mark.django_db
URL = "/admin/import/"
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def lines(*rows: str, end="\n") -> bytes:
    return (end.join(rows) + end).encode()


def plain(text: str) -> str:
    """``text`` with the no-break spaces of file sizes ("2.2 KB") as plain ones."""
    return text.replace("\xa0", " ")


def refused(kind: str, data: bytes) -> ImportFailed:
    with pytest.raises(ImportFailed) as failed:
        run_import(kind=kind, data=data, dry_run=True)
    return failed.value


@pytest.fixture
def admin_client(client, admin_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(admin_user)
    return client


def upload(client, kind: str, data: bytes, name="data.csv"):
    return client.post(URL, {"kind": kind, "file": SimpleUploadedFile(name, data)})


# --- linear checking and bounded reports ----------------------------------------------------


def test_ten_thousand_rows_with_one_name_give_a_bounded_report():
    failed = refused("accounts", lines("name", *["Acme"] * 10_000))

    assert failed.total == 10_000
    assert len(failed.errors) == MAX_ERRORS
    assert [str(e) for e in failed.errors[:2]] == [
        "line 2: the account name “Acme” is also on lines 3, 4, 5 and 9996 other lines",
        "line 3: the account name “Acme” is also on lines 2, 4, 5 and 9996 other lines",
    ]
    assert str(failed.errors[-1]) == (
        "line 1001: the account name “Acme” is also on lines 2, 3, 4 and 9996 other lines"
    )
    assert max(len(e.message) for e in failed.errors) < 100
    assert len(str(failed)) < 100 * MAX_ERRORS


def test_a_few_duplicates_name_every_other_line():
    failed = refused("accounts", lines("name", "Acme", "Beta", "Acme", "Acme"))
    assert [str(e) for e in failed.errors] == [
        "line 2: the account name “Acme” is also on lines 4, 5",
        "line 4: the account name “Acme” is also on lines 2, 5",
        "line 5: the account name “Acme” is also on lines 2, 4",
    ]


def test_problems_beyond_the_first_thousand_are_counted_not_listed():
    failed = refused("accounts", lines("name,employees", *[f"A{i},many" for i in range(1500)]))

    assert (failed.total, len(failed.errors), failed.more) == (1500, MAX_ERRORS, 500)
    assert [e.line for e in failed.errors] == list(range(2, 2 + MAX_ERRORS))


def test_the_command_and_the_admin_page_say_how_many_problems_are_not_listed(
    admin_client, tmp_path
):
    data = lines("name,employees", *[f"A{i},many" for i in range(1200)])
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    err = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("import_csv", "accounts", str(path), stdout=io.StringIO(), stderr=err)
    assert str(failed.value).endswith("1200 problems; nothing was written.")
    printed = err.getvalue().splitlines()
    assert len(printed) == MAX_ERRORS + 1
    assert printed[-1] == "... and 200 more (the first 1000 are listed)"

    content = upload(admin_client, "accounts", data).content.decode()
    assert "The file has 1200 problems; nothing was written." in content
    assert "…and 200 more." in content
    assert content.count("is not a whole number") == MAX_ERRORS


def test_a_header_with_too_many_columns_is_refused_before_its_names_are_checked():
    header = ",".join(f"c{i}" for i in range(100_000))
    failed = refused("accounts", lines(header, ",".join(["x"] * 100_000)))
    assert [str(e) for e in failed.errors] == [
        f"line 1: The header has more than {MAX_COLUMNS} columns."
    ]


def test_a_cell_over_the_length_bound_is_a_row_error_and_the_next_rows_are_checked():
    failed = refused("accounts", lines("name,industry", f"Acme,{'x' * 20_001}", "Beta,x,y"))
    assert [str(e) for e in failed.errors] == [
        f"line 2: a value is 20001 characters long (at most {MAX_CELL_CHARS})",
        "line 3: 3 values but the header has 2 columns "
        "(a comma inside a value needs the value in double quotes)",
    ]


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.IMPORT_MAX_BYTES = 1000
    failed = refused("accounts", lines("name", *[f"Account {i}" for i in range(200)]))
    assert [plain(str(e)) for e in failed.errors] == [
        "The file is 2.2 KB; an import takes at most 1000 bytes. Split it and import the parts."
    ]


def test_the_command_refuses_a_file_over_the_limit_before_reading_it(
    settings, tmp_path, monkeypatch
):
    settings.IMPORT_MAX_BYTES = 1000
    path = tmp_path / "big.csv"
    path.write_bytes(lines("name", *[f"Account {i}" for i in range(200)]))

    def read_bytes(self):
        raise AssertionError("the file was read")

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_csv", "accounts", str(path), stdout=io.StringIO(), stderr=err)
    assert plain(err.getvalue()).startswith(
        "The file is 2.2 KB; an import takes at most 1000 bytes."
    )


def test_the_admin_page_refuses_an_upload_over_the_limit_before_reading_it(
    admin_client, settings, monkeypatch
):
    settings.IMPORT_MAX_BYTES = 1000

    def parse(self):
        raise AssertionError("the upload was read")

    monkeypatch.setattr(multipartparser.MultiPartParser, "parse", parse)
    response = upload(admin_client, "accounts", b"name\n" + b"Acme GmbH\n" * 10_000)

    assert response.status_code == 413
    assert re.search(
        r"The file is 9\d\.\d KB; an import takes at most 1000 bytes\.",
        plain(response.content.decode()),
    )
    assert SESSION_KEY not in admin_client.session


def test_the_admin_page_refuses_a_file_just_over_the_limit_without_keeping_it(
    admin_client, settings, tmp_path
):
    settings.IMPORT_MAX_BYTES = 1000
    response = upload(admin_client, "accounts", b"name\n" + b"Acme GmbH\n" * 200)
    assert "The file is 2.0 KB; an import takes at most 1000 bytes." in plain(
        response.content.decode()
    )
    assert not (tmp_path / UPLOAD_DIR).exists() or not list((tmp_path / UPLOAD_DIR).iterdir())
    assert not Account.objects.exists()


# --- formulas inside a cell -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "after"),
    [
        ('"Acme;=1+1"', "“;”"),
        ('"Acme,=HYPERLINK(""x"")"', "“,”"),
        ('"Acme; @SUM(A1)"', None),  # a space after the separator: a spreadsheet reads text
        ('"Acme;@SUM(A1)"', "“;”"),
        ('"Acme;-2+3"', "“;”"),
        ('"Acme;+cmd|calc"', "“;”"),
        ('"Notes\n=1+1"', "a tab or line break"),
        ('"Notes\r\n\t=1+1"', "a tab or line break"),
        ('"Notes\t@x"', "a tab or line break"),
        ('"\t=1+1"', "leading"),  # the cell's own tab is stripped: "=" leads
        # A dash and a space still make a formula: "=- cmd|..." runs.
        ("\"- cmd|' /C calc'!A0\"", "leading"),
        ("\"Notes\n- cmd|' /C calc'!A0\"", "a tab or line break"),
        ('"Acme,- later"', "“,”"),
    ],
)
def test_a_formula_after_a_separator_inside_a_cell_is_refused(cell, after):
    data = lines("name,industry", f"Acme GmbH,{cell}")
    if after is None:
        run_import(kind="accounts", data=data, dry_run=True)
        return
    (error,) = refused("accounts", data).errors
    assert error.line == 2
    assert "spreadsheet formula" in error.message
    if after == "leading":
        assert "remove the leading “" in error.message
    else:
        assert f"after {after}" in error.message


def test_the_formula_check_reads_notes_and_contacts_too(csm):
    AccountFactory(name="Acme GmbH")
    failed = refused(
        "interactions",
        lines(
            "account,kind,occurred_at,author_email,summary,notes",
            f'Acme GmbH,call,2026-01-05 10:00,{csm.email},Call,"Agreed\n@SUM(A1)"',
        ),
    )
    assert "notes “Agreed\n@SUM(A1)” holds a spreadsheet formula after" in failed.errors[0].message
    failed = refused("contacts", lines("account,name,title", 'Acme GmbH,Bea,"CTO;=1+1"'))
    assert "title “CTO;=1+1” holds a spreadsheet formula after “;”" in failed.errors[0].message


def test_numbers_phone_numbers_and_lists_still_import_with_separators_inside(csm):
    AccountFactory(name="Acme GmbH")
    result = run_import(
        kind="contacts",
        data=lines(
            "account,name,phone,preferences",
            'Acme GmbH,Bea,+49 (30) 1234-56,"Call +49 30 1;+49 171 555,-5"',
            'Acme GmbH,Cem,-,"Coffee; - no sugar; tea, 100,-; ;-)\n• called back\n-"',
            'Acme GmbH,Dan,,"Mondays, 9-10; Fridays\r\n\r\nNot: Tuesdays"',
        ),
    )
    assert result.created == 3
    assert Contact.objects.get(name="Bea").phone == "+49 (30) 1234-56"


def test_a_negative_number_in_a_semicolon_file_is_a_number_not_a_formula():
    AccountFactory(name="Acme")
    failed = refused(
        "contracts",
        lines("account;reference;start_date;monthly_value", "Acme;C-1;01.01.2026;-1.234,50"),
    )
    assert [str(e) for e in failed.errors] == [
        "line 2: monthly_value -1.234,50: The monthly value cannot be negative."
    ]


# --- German Excel ---------------------------------------------------------------------------

GERMAN_ACCOUNTS = lines(
    "name;external_id;segment;industry;employees;owner_email",
    "Müller, Schmidt & Co. KG;K-1;Mittelstand;Maschinenbau;1.200;carla@treue.example",
    "Beta GmbH;K-2;Mittelstand;Handel;85;",
    end="\r\n",
)
GERMAN_CONTRACTS = lines(
    "account;reference;start_date;end_date;cancelled_on;monthly_value",
    "K-1;V-1;01.01.2025;31.12.2026;;1.234,50",
    "Beta GmbH;V-2;2025-03-01;;;99,9",
    "K-2;V-3;1.4.2025;;30.06.2025;1500",
    end="\r\n",
)


def assert_german_book_imported() -> None:
    acme = Account.objects.get(external_id="K-1")
    assert (acme.name, acme.employees) == ("Müller, Schmidt & Co. KG", 1200)
    terms = {
        c.reference: (c.start_date, c.end_date, c.cancelled_on, c.monthly_value)
        for c in Contract.objects.all()
    }
    assert terms == {
        "V-1": (dt.date(2025, 1, 1), dt.date(2026, 12, 31), None, Decimal("1234.50")),
        "V-2": (dt.date(2025, 3, 1), None, None, Decimal("99.90")),
        "V-3": (dt.date(2025, 4, 1), None, dt.date(2025, 6, 30), Decimal("1500.00")),
    }
    acme.refresh_from_db()
    assert acme.customer_since == dt.date(2025, 1, 1)


def test_the_command_imports_a_german_excel_file(tmp_path, csm):
    accounts, contracts = tmp_path / "accounts.csv", tmp_path / "contracts.csv"
    accounts.write_bytes(b"\xef\xbb\xbf" + GERMAN_ACCOUNTS)
    contracts.write_bytes(GERMAN_CONTRACTS)
    out = io.StringIO()
    call_command("import_csv", "accounts", str(accounts), stdout=out)
    call_command("import_csv", "contracts", str(contracts), stdout=out)
    assert out.getvalue().splitlines() == [
        "new segments: Mittelstand",
        "accounts: 2 created, 0 updated, 0 unchanged",
        "ledger refreshed for 2 accounts",
        "contracts: 3 created, 0 updated, 0 unchanged",
    ]
    assert_german_book_imported()


def test_the_admin_page_imports_a_german_excel_file(admin_client, csm):
    for kind, data in (("accounts", GERMAN_ACCOUNTS), ("contracts", GERMAN_CONTRACTS)):
        preview = upload(admin_client, kind, data)
        assert "(dry run: nothing written)" in preview.content.decode()
        token = admin_client.session[SESSION_KEY]["token"]
        admin_client.post(URL, {"commit": "1", "token": token})
    assert_german_book_imported()


def test_german_dates_and_times_and_yes_no_words_are_read(csm):
    AccountFactory(name="Acme")
    run_import(
        kind="interactions",
        data=lines(
            "account;kind;occurred_at;author_email;summary",
            f"Acme;call;05.03.2025 09:30;{csm.email};Anruf",
            f"Acme;meeting;06.03.2025;{csm.email};Termin",
        ),
    )
    assert dict(Interaction.objects.values_list("summary", "occurred_at")) == {
        "Anruf": dt.datetime(2025, 3, 5, 9, 30, tzinfo=BERLIN),
        "Termin": dt.datetime(2025, 3, 6, tzinfo=BERLIN),
    }
    run_import(
        kind="contacts",
        data=lines("account;name;is_champion;is_decision_maker", "Acme;Bea;WAHR;nein"),
    )
    assert Contact.objects.values_list("is_champion", "is_decision_maker").get() == (True, False)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            lines("name\temployees", "Acme\t12"),
            "line 1: missing required column “name”\n"
            "line 1: unknown column “name\temployees” (read as comma-separated; the columns "
            "are: name, external_id, segment, industry, employees, owner_email)",
        ),
        (
            lines("name;mitarbeiter", "Acme;12"),
            "line 1: unknown column “mitarbeiter” (read as semicolon-separated; the columns "
            "are: name, external_id, segment, industry, employees, owner_email)",
        ),
        (
            lines("name;industry", "Acme;Handel;Extra"),
            "line 2: 3 values but the header has 2 columns "
            "(a semicolon inside a value needs the value in double quotes)",
        ),
        (
            lines("name;employees", "Acme;zwölf"),
            "line 2: employees “zwölf” is not a whole number",
        ),
    ],
)
def test_a_file_that_does_not_match_says_how_it_was_read(data, message):
    assert str(refused("accounts", data)) == message


@pytest.mark.parametrize(
    ("separator", "value", "expected"),
    [
        (";", "1.234,50", Decimal("1234.50")),
        (";", "1234,5", Decimal("1234.50")),
        (";", "1.500", Decimal("1500.00")),  # a dot before three digits groups thousands
        (";", "1234.50", Decimal("1234.50")),  # any other dot is a decimal point
        (";", "12.345.678,9", Decimal("12345678.90")),
        (",", "1234.50", Decimal("1234.50")),
        (",", '"1.234,50"', None),  # decimal commas only in semicolon files
        (";", "1.23.45", None),
        (";", "1,234,5", None),
    ],
)
def test_numbers_in_semicolon_files_may_be_german(separator, value, expected):
    AccountFactory(name="Acme")
    header = separator.join(["account", "reference", "start_date", "monthly_value"])
    data = lines(header, separator.join(["Acme", "C-1", "2025-01-01", value]))
    if expected is None:
        (error,) = refused("contracts", data).errors
        assert "is not a number (write it like" in error.message
        return
    run_import(kind="contracts", data=data)
    assert Contract.objects.get().monthly_value == expected
