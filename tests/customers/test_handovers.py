"""customers/handovers.py: a CSM asks for an account to go to a colleague of its team; a lead
of the team (or an admin) approves, maybe to someone else, or declines, saying why."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from crm import events
from customers import handovers
from customers.models import HandoverRequest, OwnershipTransfer

from ..factories import AccountFactory

pytestmark = pytest.mark.django_db

Status = HandoverRequest.Status


@pytest.fixture
def account(csm):
    return AccountFactory(owner=csm, name="Acme Logistics")


@pytest.fixture
def asked(account, csm, teammate):
    return handovers.request_handover(
        account=account,
        by=csm,
        to_owner=teammate,
        reason="Parental leave",
        handover_notes="Petra decides; call after 4 pm.",
    )


def test_a_csm_asks_to_hand_their_account_to_a_colleague(asked, account, csm, teammate):
    assert (asked.status, asked.requested_by, asked.proposed_owner) == (
        Status.REQUESTED,
        csm,
        teammate,
    )
    account.refresh_from_db()
    assert account.owner == csm  # nothing changes hands until a lead approves
    assert not OwnershipTransfer.objects.exists()


def test_asking_is_announced(account, csm, teammate, listen):
    heard = listen(events.HandoverRequested)
    asked = handovers.request_handover(account=account, by=csm, to_owner=teammate, reason="Leave")
    assert heard == [events.HandoverRequested(asked.pk)]


@pytest.mark.parametrize(
    "who, whom, message",
    [
        ("csm", "other_csm", "Choose an active colleague of the account's team."),
        ("csm", "csm", "Choose an active colleague of the account's team."),
        ("csm", "teammate", "Say why the account should change hands."),
    ],
)
def test_a_request_goes_to_a_colleague_of_the_team_with_a_reason(
    request, account, who, whom, message
):
    reason = "" if "Say why" in message else "Leave"
    with pytest.raises(ValidationError, match=message):
        handovers.request_handover(
            account=account,
            by=request.getfixturevalue(who),
            to_owner=request.getfixturevalue(whom),
            reason=reason,
        )


def test_only_who_may_change_the_account_asks(account, teammate, team_lead):
    with pytest.raises(PermissionDenied):
        handovers.request_handover(account=account, by=teammate, to_owner=team_lead, reason="x")


def test_one_open_request_per_account(asked, account, csm, team_lead):
    with pytest.raises(ValidationError, match="already asked for"):
        handovers.request_handover(account=account, by=csm, to_owner=team_lead, reason="x")


def test_the_lead_approves_and_the_transfer_is_for_the_new_owner_to_acknowledge(
    asked, account, team_lead, teammate
):
    transfer = handovers.approve_handover(handover=asked, by=team_lead)
    account.refresh_from_db()
    asked.refresh_from_db()
    assert account.owner == teammate
    assert (transfer.to_owner, transfer.transferred_by, transfer.acknowledged_at) == (
        teammate,
        team_lead,
        None,
    )
    assert (transfer.reason, transfer.handover_notes) == (
        "Parental leave",
        "Petra decides; call after 4 pm.",
    )
    assert (asked.status, asked.decided_by) == (Status.APPROVED, team_lead)
    assert asked.transfer == transfer


def test_the_lead_may_choose_another_new_owner(asked, account, team_lead, admin_user):
    transfer = handovers.approve_handover(handover=asked, by=team_lead, to_owner=team_lead)
    account.refresh_from_db()
    assert account.owner == team_lead == transfer.to_owner


def test_the_lead_declines_saying_why(asked, account, csm, team_lead):
    with pytest.raises(ValidationError, match="Say why"):
        handovers.decline_handover(handover=asked, by=team_lead, comment=" ")
    handovers.decline_handover(handover=asked, by=team_lead, comment="Renewal first")
    asked.refresh_from_db()
    account.refresh_from_db()
    assert (asked.status, asked.decision_comment, account.owner) == (
        Status.DECLINED,
        "Renewal first",
        csm,
    )
    # A decided request is closed; a new one may be asked.
    with pytest.raises(ValidationError, match="decided already"):
        handovers.approve_handover(handover=asked, by=team_lead)


@pytest.mark.parametrize("who", ["csm", "teammate", "other_lead"])
def test_only_a_lead_of_the_team_or_an_admin_decides(request, asked, who):
    from crm.models import Role

    from ..factories import UserFactory

    if who == "other_lead":
        user = UserFactory(team=request.getfixturevalue("team_b"), role=Role.TEAM_LEAD)
    else:
        user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        handovers.approve_handover(handover=asked, by=user)
    with pytest.raises(PermissionDenied):
        handovers.decline_handover(handover=asked, by=user, comment="No")
    asked.refresh_from_db()
    assert asked.status == Status.REQUESTED


def test_an_admin_decides_too(asked, admin_user, teammate):
    assert handovers.approve_handover(handover=asked, by=admin_user).to_owner == teammate
