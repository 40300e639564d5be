"""The ``import_csv`` command: any kind, the summary on stdout, every problem on stderr and exit
status 1, its help, and files refused before they are read."""

import io

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import connections

from customers.models import Account, Contract

from ..factories import AccountFactory

pytestmark = pytest.mark.django_db


def write(tmp_path, *lines: str, name="data.csv") -> str:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_csv", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def fail(*args) -> tuple[str, str]:
    err = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("import_csv", *args, stdout=io.StringIO(), stderr=err)
    return str(failed.value), err.getvalue()


def test_command_imports_accounts_and_prints_the_summary(tmp_path, csm):
    path = write(tmp_path, "name,external_id,owner_email", "Acme,A-1,carla@treue.example")
    out, err = run("accounts", path)
    assert out == "accounts: 1 created, 0 updated, 0 unchanged\n"
    assert err == ""
    assert Account.objects.get().owner == csm


def test_command_dry_run_writes_nothing(tmp_path):
    AccountFactory(name="Acme")
    path = write(tmp_path, "account,reference,start_date,monthly_value", "Acme,C-1,2025-01-01,10")
    out, _err = run("contracts", path, "--dry-run")
    assert out.splitlines() == [
        "ledger to refresh for 1 account",
        "contracts: 1 created, 0 updated, 0 unchanged (dry run: nothing written)",
    ]
    assert not Contract.objects.exists()


def test_command_reports_every_bad_row_on_stderr_and_fails(tmp_path):
    AccountFactory(name="Acme")
    path = write(
        tmp_path,
        "account,reference,start_date,end_date,monthly_value",
        "Acme,C-1,2025-01-01,2024-01-01,10",
        "Acme,C-2,2025-01-01,,10",
        "Nowhere,C-3,2025-01-01,,abc",
    )
    message, err = fail("contracts", path)
    assert message == f"{path}: 3 problems; nothing was written."
    assert err.splitlines() == [
        "line 2: end_date 2024-01-01: The end date is before the start date.",
        "line 4: account “Nowhere” not found: no account has this external_id or name",
        "line 4: monthly_value “abc” is not a number (write it like 1200.50)",
    ]
    assert not Contract.objects.exists()


def test_command_exits_with_status_1_on_a_bad_file(tmp_path, capsys, monkeypatch):
    # run_from_argv closes the connections when done; keep the test's connection open.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    path = write(tmp_path, "name,colour", "Acme,blue")
    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(["manage.py", "import_csv", "accounts", path, "--skip-checks"])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "line 1: unknown column “colour”" in err
    assert "1 problem; nothing was written." in err
    assert not Account.objects.exists()


def test_command_refuses_a_missing_file(tmp_path):
    message, _err = fail("accounts", str(tmp_path / "missing.csv"))
    assert message.startswith(f"Cannot read {tmp_path / 'missing.csv'}")


def test_command_refuses_a_binary_file(tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    message, err = fail("accounts", str(path))
    assert err == "This is not a CSV file: it holds binary data.\n"
    assert message.endswith("1 problem; nothing was written.")


def test_command_help_documents_the_columns_of_every_kind(capsys):
    with pytest.raises(SystemExit):
        execute_from_command_line(["manage.py", "import_csv", "--help"])
    help_text = capsys.readouterr().out
    assert "{accounts,contacts,contracts,interactions}" in help_text
    for column in ("owner_email", "is_decision_maker", "preferred_channel", "cancelled_on"):
        assert column in help_text
    assert "(account, email) when email is given, else (account, name)" in help_text
