import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from crm.admin_import import SESSION_KEY, UPLOAD_DIR
from customers.models import Account, Contract

from ..factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/admin/import/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path / UPLOAD_DIR


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def upload(client, kind: str, text: str, name="data.csv"):
    file = SimpleUploadedFile(name, text.encode(), content_type="text/csv")
    return client.post(URL, {"kind": kind, "file": file})


def test_url_is_the_named_admin_import_page():
    assert reverse("admin_import_csv") == URL


def test_anonymous_user_is_sent_to_the_admin_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_non_staff_csm_is_sent_to_the_admin_login(client, csm):
    client.force_login(csm)
    response = upload(client, "accounts", "name\nAcme\n")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert not Account.objects.exists()


def test_staff_user_without_the_admin_role_is_refused(client, team_a):
    clerk = UserFactory(username="clerk", team=team_a, is_staff=True)
    client.force_login(clerk)
    assert client.get(URL).status_code == 403


def test_admin_index_links_to_the_import_page(admin_client):
    response = admin_client.get("/admin/")
    assert f'href="{URL}"' in response.content.decode()


def test_page_lists_every_kind_and_its_columns(admin_client):
    content = admin_client.get(URL).content.decode()
    for kind in ("accounts", "contacts", "contracts", "interactions"):
        assert f'<option value="{kind}"' in content
    assert "monthly_value*" in content


def test_preview_shows_the_dry_run_then_import_now_commits(admin_client, admin_user, media):
    AccountFactory(name="Acme", external_id="A-1")
    text = (
        "account,reference,start_date,monthly_value\n"
        "A-1,C-1,2025-01-01,100\n"
        "Acme,C-2,2025-02-01,200\n"
    )
    preview = upload(admin_client, "contracts", text)
    assert preview.status_code == 200
    content = preview.content.decode()
    assert "contracts: 2 created, 0 updated, 0 unchanged (dry run: nothing written)" in content
    assert "C-2" in content
    assert 'name="commit"' in content
    assert not Contract.objects.exists()
    token = admin_client.session[SESSION_KEY]["token"]
    assert (media / f"{token}.csv").read_text() == text

    committed = admin_client.post(URL, {"commit": "1", "token": token}, follow=True)
    assert "contracts: 2 created, 0 updated, 0 unchanged" in committed.content.decode()
    assert set(Contract.objects.values_list("reference", flat=True)) == {"C-1", "C-2"}
    assert Account.objects.get().mrr == 300
    assert SESSION_KEY not in admin_client.session
    assert list(media.iterdir()) == []


def test_preview_of_a_bad_file_lists_the_errors_and_offers_no_commit(admin_client, media):
    response = upload(admin_client, "accounts", "name,employees\nAcme,10\nBeta,-3\n,4\n")
    content = response.content.decode()
    assert "line 3: employees -3 is negative" in content
    assert "line 4: name is required" in content
    assert "2 problems; nothing was written." in content
    assert 'name="commit"' not in content
    assert SESSION_KEY not in admin_client.session
    assert list(media.iterdir()) == []
    assert not Account.objects.exists()


def test_commit_without_a_previewed_file_imports_nothing(admin_client):
    response = admin_client.post(URL, {"commit": "1", "token": "x" * 32}, follow=True)
    assert "Nothing to import: upload the file again." in response.content.decode()
    assert not Account.objects.exists()


def test_commit_from_a_stale_page_does_not_import_the_newer_upload(admin_client):
    upload(admin_client, "accounts", "name\nFirst\n")
    old_token = admin_client.session[SESSION_KEY]["token"]
    upload(admin_client, "accounts", "name\nSecond\n")
    response = admin_client.post(URL, {"commit": "1", "token": old_token}, follow=True)
    assert "Nothing to import" in response.content.decode()
    assert not Account.objects.exists()


def test_a_new_upload_replaces_the_previous_pending_file(admin_client, media):
    upload(admin_client, "accounts", "name\nFirst\n")
    upload(admin_client, "accounts", "name\nSecond\n")
    token = admin_client.session[SESSION_KEY]["token"]
    assert [path.name for path in media.iterdir()] == [f"{token}.csv"]
    admin_client.post(URL, {"commit": "1", "token": token})
    assert list(Account.objects.values_list("name", flat=True)) == ["Second"]


def test_commit_that_finds_the_data_changed_reports_it_and_writes_nothing(admin_client, media):
    upload(admin_client, "accounts", "name,external_id\nAcme,A-1\n")
    AccountFactory(name="Acme", external_id="A-9")  # someone else was quicker
    token = admin_client.session[SESSION_KEY]["token"]
    response = admin_client.post(URL, {"commit": "1", "token": token})
    assert "line 2: the name “Acme” belongs to the account with external_id A-9, not A-1" in (
        response.content.decode()
    )
    assert Account.objects.get().external_id == "A-9"
    assert list(media.iterdir()) == []


def test_the_page_checks_the_csrf_token_itself(admin_user, media):
    # The view is exempt from the CSRF middleware (so an oversized upload is refused unread)
    # and checks the token after the length: without it nothing is previewed or committed.
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert upload(client, "accounts", "name\nAcme\n").status_code == 403
    assert not media.exists() or list(media.iterdir()) == []
    assert client.post(URL, {"commit": "1", "token": "x" * 32}).status_code == 403
    page = client.get(URL)
    token = page.cookies["csrftoken"].value
    response = client.post(
        URL,
        {"kind": "accounts", "file": SimpleUploadedFile("a.csv", b"name\nAcme\n")},
        HTTP_X_CSRFTOKEN=token,
    )
    assert "accounts: 1 created" in response.content.decode()
    assert not Account.objects.exists()


def test_a_german_admin_reads_the_columns_in_german(admin_client, admin_user):
    admin_user.language = "de"
    admin_user.save(update_fields=["language"])
    content = admin_client.get(URL).content.decode()
    assert "<code>start_date*</code> — JJJJ-MM-TT oder TT.MM.JJJJ" in content
    assert "YYYY" not in content
