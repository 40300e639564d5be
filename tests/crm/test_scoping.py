import pytest

from crm import scoping
from customers.models import Account, Contact

from ..factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(csm, teammate, other_csm):
    return {
        "own": AccountFactory(owner=csm),
        "teammates": AccountFactory(owner=teammate),
        "other_team": AccountFactory(owner=other_csm),
    }


def names(qs):
    return set(qs.values_list("name", flat=True))


def test_csm_reads_team_accounts_but_edits_only_own(csm, book):
    assert names(scoping.visible(csm, Account.objects.all())) == {
        book["own"].name,
        book["teammates"].name,
    }
    assert names(scoping.editable(csm, Account.objects.all())) == {book["own"].name}
    assert scoping.can_edit(csm, book["own"]) and not scoping.can_edit(csm, book["teammates"])


def test_team_lead_reads_and_edits_the_team(team_lead, book):
    expected = {book["own"].name, book["teammates"].name}
    assert names(scoping.visible(team_lead, Account.objects.all())) == expected
    assert names(scoping.editable(team_lead, Account.objects.all())) == expected
    assert not scoping.can_edit(team_lead, book["other_team"])


def test_admin_sees_everything(admin_user, book):
    assert scoping.visible(admin_user, Account.objects.all()).count() == 3
    assert scoping.can_edit(admin_user, book["other_team"])


def test_scoping_follows_a_path_to_the_account(csm, book):
    ContactFactory(account=book["own"], name="Mine")
    ContactFactory(account=book["other_team"], name="Theirs")
    visible = scoping.visible(csm, Contact.objects.all(), via="account")
    assert names(visible) == {"Mine"}


def test_anonymous_sees_nothing(book):
    from django.contrib.auth.models import AnonymousUser

    assert not scoping.visible(AnonymousUser(), Account.objects.all()).exists()
