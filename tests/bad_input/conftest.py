"""One small book every bad-input test attacks: Carla's account with a contact, a contract, an
interaction, a follow-up, a problem, feedback and an open risk flag, plus a pending handover."""

import pytest

from ..factories import (
    AccountFactory,
    ContactFactory,
    ContractFactory,
    FeedbackFactory,
    FollowUpFactory,
    InteractionFactory,
    OpenProblemFactory,
    RiskFlagFactory,
    SegmentFactory,
)
from .nasty import forget_baseline


@pytest.fixture
def world(csm, teammate, team_lead, other_csm, admin_user, health_waits_for_the_night):
    # Its flag is made by hand and stays open while the tests write to the account.
    account = AccountFactory(name="Acme Logistics", owner=csm, segment=SegmentFactory(name="SMB"))
    contact = ContactFactory(account=account, name="Petra Pfeiffer", email="petra@acme.example")
    interaction = InteractionFactory(account=account, author=csm, summary="Kick-off")
    interaction.contacts.add(contact)
    return {
        "account": account,
        "other_account": AccountFactory(name="Other AG", owner=other_csm),
        "contact": contact,
        "contract": ContractFactory(account=account, reference="C-ACME-1"),
        "interaction": interaction,
        "follow_up": FollowUpFactory(account=account, owner=csm),
        "problem": OpenProblemFactory(account=account),
        "feedback": FeedbackFactory(account=account, contact=contact),
        "flag": RiskFlagFactory(account=account),
        "csm": csm,
        "teammate": teammate,
        "team_lead": team_lead,
        "other_csm": other_csm,
        "admin": admin_user,
    }


@pytest.fixture(autouse=True)
def _fresh_baseline():
    forget_baseline()
    yield
    forget_baseline()
