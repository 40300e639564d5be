import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from crm import scoping
from crm.models import Team
from customers.models import Account, Contact

from ..factories import AccountFactory, ContactFactory
from ..source import APPS, copies

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


def test_team_leads_and_admins_manage_csms_do_not(csm, team_lead, admin_user):
    from django.contrib.auth.models import AnonymousUser

    assert scoping.can_manage(team_lead) and scoping.can_manage(admin_user)
    assert not scoping.can_manage(csm)
    assert not scoping.can_manage(AnonymousUser())
    team_lead.is_active = False
    assert not scoping.can_manage(team_lead)


LEAD_PAGES = [
    "/customers/handovers/portfolio/",
    "/retention/team/",
    "/retention/report/",
    "/api/v1/retention/?start=2025-01-01&end=2025-12-31",
]


@pytest.mark.parametrize("url", LEAD_PAGES)
def test_every_lead_page_asks_can_manage(client, monkeypatch, team_lead, url):
    """Each page for leads asks ``can_manage`` (not its own copy of the roles): a lead it
    refuses gets the 404 a CSM gets."""
    client.force_login(team_lead)
    assert client.get(url).status_code == 200
    monkeypatch.setattr(scoping, "can_manage", lambda user: False)
    assert client.get(url).status_code == 404


def test_navigation_and_at_risk_list_ask_can_manage(client, monkeypatch, team_lead, book):
    client.force_login(team_lead)
    handover = 'href="/customers/handovers/portfolio/"'
    assert handover in client.get("/retention/portfolio/").content.decode()
    assert "owner" in client.get("/retention/at-risk/").context["form"].fields
    monkeypatch.setattr(scoping, "can_manage", lambda user: False)
    assert handover not in client.get("/retention/portfolio/").content.decode()
    assert "owner" not in client.get("/retention/at-risk/").context["form"].fields


def test_people_a_csm_or_lead_may_name_are_their_team_an_admin_everyone(
    csm, teammate, team_lead, other_csm, admin_user
):
    users = get_user_model().objects.all()
    team_a = {csm, teammate, team_lead}
    assert set(scoping.visible_people(csm, users)) == team_a
    assert set(scoping.visible_people(team_lead, users)) == team_a
    assert set(scoping.visible_people(other_csm, users)) == {other_csm}
    assert set(scoping.visible_people(admin_user, users)) == team_a | {other_csm, admin_user}
    assert not scoping.visible_people(AnonymousUser(), users).exists()


def test_teams_a_report_filter_offers_are_ones_own_an_admin_every_team(
    csm, team_lead, other_csm, admin_user
):
    teams = Team.objects.all()
    assert list(scoping.visible_teams(csm, teams)) == [csm.team]
    assert list(scoping.visible_teams(team_lead, teams)) == [csm.team]
    assert list(scoping.visible_teams(other_csm, teams)) == [other_csm.team]
    assert set(scoping.visible_teams(admin_user, teams)) == {csm.team, other_csm.team}
    assert not scoping.visible_teams(AnonymousUser(), teams).exists()


def test_visible_in_team_reads_what_visible_reads_of_that_team(
    csm, teammate, team_lead, other_csm, admin_user, book
):
    # An account of another team that the CSM owns still (a transfer between teams).
    AccountFactory(owner=csm, team=other_csm.team, name="Crossing")
    for user in (csm, teammate, team_lead, other_csm, admin_user, AnonymousUser()):
        for team_id in (csm.team_id, other_csm.team_id):
            expected = scoping.visible(user, Account.objects.all()).filter(team_id=team_id)
            got = scoping.visible_in_team(user, Account.objects.all(), team_id)
            assert names(got) == names(expected), (user, team_id)
            contacts = Contact.objects.all()
            assert set(scoping.visible_in_team(user, contacts, team_id, via="account")) == set(
                scoping.visible(user, contacts, via="account").filter(account__team_id=team_id)
            )


def test_handover_targets_are_a_leads_team_everyone_for_an_admin_nobody_for_a_csm(
    csm, teammate, team_lead, other_csm, admin_user
):
    users = get_user_model().objects.filter(is_active=True)
    team_a = {csm, teammate, team_lead}
    assert set(scoping.handover_targets(team_lead, users)) == team_a
    assert set(scoping.handover_targets(admin_user, users)) == team_a | {other_csm, admin_user}
    assert not scoping.handover_targets(csm, users).exists()
    team_lead.team = None
    assert not scoping.handover_targets(team_lead, users).exists()


def test_team_leads_are_the_active_leads():
    from crm.models import Role
    from tests.factories import UserFactory

    lead = UserFactory(role=Role.TEAM_LEAD)
    UserFactory(role=Role.TEAM_LEAD, is_active=False)
    UserFactory(role=Role.CSM)
    assert list(scoping.team_leads(get_user_model().objects.all())) == [lead]


# Where a user's role may be asked: the user model answers it, this module decides with it and
# the admin lists it. Anywhere else a role asked directly is a copy of a rule that lives here
# (issue 12: "team lead or admin" was checked in nine files).
def test_roles_are_asked_of_scoping_and_nowhere_else():
    asked = copies(
        r"\.is_team_lead\b|\.is_csm\b|groups__name|\.groups\.|Role\.TEAM_LEAD",
        homes={"crm/models.py", "crm/scoping.py", "crm/admin.py"},
        folders=(*APPS, "templates"),
        suffixes=(".py", ".html"),
    )
    assert asked == []
