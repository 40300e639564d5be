"""The CSV importers (``crm.csv_import.runner.run_import``, the ``import_csv`` command and the
admin's import page), fed hostile files: random bytes and encodings, BOMs, ragged rows, huge
cells, formulas, malformed dates and numbers. A file is imported whole or refused whole with
every problem listed (README "Importing data"); no other exception escapes."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from crm.csv_import.errors import ImportFailed
from crm.csv_import.runner import ImportResult, importers, run_import

from .nasty import (
    EXAMPLES_PER_CASE,
    HUGE,
    NASTY,
    XSS_SCRIPT,
    assert_no_server_error,
    baseline,
    fuzz_settings,
    rolled_back,
    snapshot,
    unicode_text,
)

pytestmark = pytest.mark.django_db

EXAMPLES = EXAMPLES_PER_CASE
KINDS = ["accounts", "contacts", "contracts", "interactions"]


def _columns(kind: str) -> list[str]:
    return [c.name for c in importers()[kind].columns]


def _valid_row(kind: str, world, n: int) -> dict:
    author = world["csm"].email
    return {
        "accounts": {"name": f"Neu {n} GmbH", "external_id": f"NEU-{n}", "employees": "12"},
        "contacts": {"account": "Acme Logistics", "name": f"Kim {n}", "email": f"k{n}@x.example"},
        "contracts": {
            "account": "Acme Logistics",
            "reference": f"C-NEU-{n}",
            "start_date": "2025-01-01",
            "monthly_value": "100.00",
        },
        "interactions": {
            "account": "Acme Logistics",
            "kind": "call",
            "occurred_at": f"2025-03-0{n % 9 + 1} 10:00",
            "author_email": author,
            "summary": f"Call {n}",
        },
    }[kind]


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _run(kind: str, data: bytes, *, dry_run: bool):
    """Run the import in a rolled-back savepoint: it answers with a result or ``ImportFailed``
    (and then wrote nothing)."""
    with rolled_back():
        before = baseline()
        try:
            result = run_import(kind=kind, data=data, dry_run=dry_run)
        except ImportFailed as failed:
            assert failed.errors, "refused without saying why"
            assert all(str(e) for e in failed.errors)
            assert snapshot() == before, f"{kind}: refused but wrote"
            return failed
        assert isinstance(result, ImportResult)
        if dry_run:
            assert snapshot() == before, f"{kind}: dry run wrote"
        return result


cell = st.one_of(st.sampled_from(NASTY), unicode_text)
encodings = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252", "ascii"])


@st.composite
def csv_files(draw, kind: str, world):
    """A file with the kind's columns (some unknown, some left out), valid rows and hostile
    rows mixed, ragged rows, and an encoding that may not be UTF-8."""
    columns = _columns(kind)
    header = draw(st.lists(st.sampled_from([*columns, "bogus", ""]), min_size=1, unique=True))
    rows = []
    for n in range(draw(st.integers(0, 6))):
        if draw(st.booleans()):
            valid = _valid_row(kind, world, n)
            rows.append([valid.get(name, "") for name in header])
        else:
            width = len(header) + draw(st.sampled_from([0, 0, 0, -1, 1]))
            rows.append(draw(st.lists(cell, min_size=max(width, 0), max_size=max(width, 0))))
    text = _csv(header, rows)
    encoding = draw(encodings)
    return text.encode(encoding, errors="replace")


@pytest.mark.hypothesis  # its @given is inside: `make fuzz` runs it
@pytest.mark.parametrize("kind", KINDS)
def test_random_bytes_are_refused_or_imported_never_an_exception(world, kind):
    @fuzz_settings(EXAMPLES)
    @given(data=st.binary(max_size=2000), dry_run=st.booleans())
    @example(data=b"", dry_run=False)
    @example(data=b"\xef\xbb\xbf", dry_run=False)
    @example(data=b"\xff\xfe" + "name\r\nx\r\n".encode("utf-16-le"), dry_run=False)
    @example(data=b'name\n"unterminated', dry_run=False)
    @example(data=b"name\nx\x00y\n", dry_run=False)
    def run(data, dry_run):
        _run(kind, data, dry_run=dry_run)

    run()


@pytest.mark.hypothesis  # its @given is inside: `make fuzz` runs it
@pytest.mark.parametrize("kind", KINDS)
def test_random_csv_files_are_imported_whole_or_refused_whole(world, kind):
    @fuzz_settings(EXAMPLES)
    @given(data=csv_files(kind, world), dry_run=st.booleans())
    def run(data, dry_run):
        outcome = _run(kind, data, dry_run=dry_run)
        if isinstance(outcome, ImportResult):
            body = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:]
            assert outcome.rows == sum(1 for r in body if any(v.strip() for v in r))

    run()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "column_value",
    [
        "\x00",
        HUGE,
        XSS_SCRIPT,
        "=cmd|' /C calc'!A0",
        "0001-01-01",
        "9999-12-31",
        "9999-12-31 23:59",
        "-1",
        "1e30",
        "NaN",
        str(10**40),
    ],
    ids=lambda v: repr(v[:20]),
)
def test_each_column_alone_with_a_hostile_value(world, kind, column_value):
    """One hostile cell in an otherwise valid row: the deepest the value gets."""
    valid = _valid_row(kind, world, 1)
    for column in _columns(kind):
        row = {**valid, column: column_value}
        header = list(row)
        data = _csv(header, [[row[c] for c in header]]).encode()
        _run(kind, data, dry_run=False)


def test_one_bad_row_among_good_ones_refuses_the_file_naming_its_line(world):
    rows = [["Good 1 GmbH", "12"], ["Bad GmbH", "lots"], ["Good 2 GmbH", "7"]]
    failed = _run("accounts", _csv(["name", "employees"], rows).encode(), dry_run=False)
    assert isinstance(failed, ImportFailed)
    assert [e.line for e in failed.errors] == [3]


def test_a_nul_byte_late_in_the_file_is_a_row_error_not_a_crash(world):
    rows = [[f"Filler {n} GmbH"] for n in range(600)] + [["Nul\x00 GmbH"]]
    data = _csv(["name"], rows).encode()
    assert len(data) > 8192  # past the first block the binary-file check reads
    failed = _run("accounts", data, dry_run=False)
    assert isinstance(failed, ImportFailed)
    assert [e.line for e in failed.errors] == [602]


def test_an_interaction_in_year_one_is_a_row_error(world):
    row = {**_valid_row("interactions", world, 1), "occurred_at": "0001-01-01 00:00"}
    failed = _run("interactions", _csv(list(row), [list(row.values())]).encode(), dry_run=False)
    assert isinstance(failed, ImportFailed)
    assert failed.errors[0].line == 2


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00\x01\x02", b"name,bogus\nx,y\n", b"name\n" + HUGE.encode() + b"\n"],
)
def test_the_command_reports_a_bad_file_as_a_command_error(world, tmp_path, data):
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    with pytest.raises(CommandError):
        call_command(
            "import_csv", "accounts", str(path), stdout=io.StringIO(), stderr=io.StringIO()
        )


@pytest.mark.hypothesis  # its @given is inside: `make fuzz` runs it
def test_the_admin_import_page_answers_every_hostile_file(client, world):
    client.force_login(world["admin"])
    url = reverse("admin_import_csv")

    @fuzz_settings(EXAMPLES)
    @given(kind=st.sampled_from([*KINDS, "bogus", "\x00"]), data=st.binary(max_size=500))
    @example(kind="accounts", data=_csv(["name"], [[XSS_SCRIPT]]).encode())
    @example(kind="accounts", data=b"name\n" + HUGE.encode())
    def run(kind, data):
        with rolled_back():
            upload = SimpleUploadedFile("in.csv", data, content_type="text/csv")
            response = client.post(url, {"kind": kind, "file": upload})
            assert_no_server_error(response, f"admin import {kind} {data[:40]!r}")
            token = response.context.get("token") if response.context else None
            if token:
                commit = client.post(url, {"commit": "1", "token": token})
                assert_no_server_error(commit, "admin import commit")

    run()


def test_the_admin_import_preview_escapes_the_file(client, world):
    client.force_login(world["admin"])
    upload = SimpleUploadedFile("x.csv", _csv(["name"], [[XSS_SCRIPT]]).encode())
    response = client.post(reverse("admin_import_csv"), {"kind": "accounts", "file": upload})
    html = response.content.decode()
    assert XSS_SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("column", ["start_date", "end_date", "cancelled_on"])
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_contract_day_beyond_the_ledger_is_a_row_error(world, column, day):
    row = {**_valid_row("contracts", world, 1), "end_date": "", "cancelled_on": ""}
    row[column] = day
    if column == "start_date" and day == "0001-01-01":
        row["end_date"] = "0001-01-01"  # the ledger would compute the day before it
    failed = _run("contracts", _csv(list(row), [list(row.values())]).encode(), dry_run=False)
    assert isinstance(failed, ImportFailed)
    assert any("between 1900 and 2999" in e.message for e in failed.errors)
