"""A German admin imports the file German Excel saves, in Debian's Chromium: semicolons,
decimal commas (``1.234,50``) and German dates (``31.12.2026``), through the admin's import page
(crm/admin_import.py), in a German UI."""

import datetime as dt
from decimal import Decimal

import pytest

from crm.admin_import import UPLOAD_DIR
from customers.models import Contract

from ..factories import AccountFactory
from .test_journeys import Shots, browser, page, sign_in  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# As German Excel saves "CSV (Trennzeichen-getrennt)": semicolons, decimal commas, dd.mm.yyyy.
CONTRACTS = (
    "account;reference;start_date;end_date;monthly_value\r\n"
    "A-1;V-2026-01;01.01.2026;31.12.2026;1.234,50\r\n"
    "Bäckerei Brandt;V-2026-02;15.02.2026;;980,00\r\n"
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path / UPLOAD_DIR


def test_german_admin_imports_a_semicolon_file_with_decimal_commas(
    live_server,
    page,  # noqa: F811 (the fixture)
    admin_user,
):
    admin_user.language = "de"
    admin_user.save(update_fields=["language"])
    AccountFactory(name="Acme Logistik", external_id="A-1")
    AccountFactory(name="Bäckerei Brandt")
    shot = Shots("import-de")

    sign_in(page, live_server, "ada")
    page.goto(f"{live_server.url}/admin/import/")
    page.get_by_role("heading", name="CSV-Datei hochladen").wait_for()
    assert page.locator("html").get_attribute("lang") == "de"
    shot(page, "upload")

    page.select_option("#id_kind", "contracts")
    page.set_input_files(
        "#id_file",
        {"name": "Verträge.csv", "mimeType": "text/csv", "buffer": CONTRACTS.encode()},
    )
    page.get_by_role("button", name="Datei prüfen").click()
    preview = page.locator("#import-preview")
    preview.wait_for()
    text = preview.inner_text()
    # The kind stays the identifier the select offers; the sentence around it is German.
    assert "contracts: 2 neu, 0 geändert, 0 unverändert (Probelauf: nichts gespeichert)" in text
    assert "V-2026-01" in text and "V-2026-02" in text
    assert not page.locator("#import-errors").count()
    assert not Contract.objects.exists()  # a preview writes nothing
    shot(page, "preview")

    page.get_by_role("button", name="Jetzt importieren").click()
    page.wait_for_url(f"{live_server.url}/admin/import/")
    done = page.locator("body").inner_text()
    assert "contracts: 2 neu, 0 geändert, 0 unverändert" in done
    assert "Probelauf" not in done
    shot(page, "imported")

    first, second = Contract.objects.order_by("reference")
    assert (first.account.name, first.monthly_value) == ("Acme Logistik", Decimal("1234.50"))
    assert (first.start_date, first.end_date) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert (second.account.name, second.monthly_value) == ("Bäckerei Brandt", Decimal("980.00"))
    assert (second.start_date, second.end_date) == (dt.date(2026, 2, 15), None)
