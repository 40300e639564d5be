import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from customers import services
from customers.models import CustomerSpan, LedgerRevision, MrrSpan, OwnershipTransfer

from ..factories import AccountFactory, ChurnReasonFactory, UserFactory

D = dt.date
pytestmark = pytest.mark.django_db


def test_create_contract_keeps_spans_and_status_in_step():
    account = AccountFactory()
    services.create_contract(
        account=account,
        reference="C-1",
        start_date=D(2025, 1, 1),
        end_date=D(2025, 12, 31),
        monthly_value=Decimal("500"),
        today=D(2025, 6, 1),
    )
    account.refresh_from_db()
    assert account.customer_since == D(2025, 1, 1)
    assert account.mrr == Decimal("500.00")
    assert account.next_renewal_on == D(2025, 12, 31)
    assert list(CustomerSpan.objects.values_list("start_date", "end_date")) == [
        (D(2025, 1, 1), D(2025, 12, 31))
    ]


def test_cancelling_a_contract_churns_the_account():
    account = AccountFactory()
    contract = services.create_contract(
        account=account,
        reference="C-1",
        start_date=D(2025, 1, 1),
        monthly_value=Decimal("10"),
        today=D(2025, 6, 1),
    )
    services.cancel_contract(contract=contract, cancelled_on=D(2025, 5, 1), today=D(2025, 6, 1))
    account.refresh_from_db()
    assert account.customer_since is None
    assert account.churned_on == D(2025, 5, 1)
    assert account.mrr == 0


def test_contract_ending_before_it_starts_is_refused():
    with pytest.raises(ValidationError) as exc:
        services.create_contract(
            account=AccountFactory(),
            reference="C-1",
            start_date=D(2025, 1, 1),
            end_date=D(2024, 1, 1),
            monthly_value=Decimal("10"),
        )
    assert "end_date" in exc.value.message_dict


def test_transfer_moves_owner_and_team_and_awaits_acknowledgement(csm, other_csm, team_lead):
    account = AccountFactory(owner=csm)
    transfer = services.transfer_ownership(
        account=account,
        to_owner=other_csm,
        by=team_lead,
        reason="Carla leaves",
        handover_notes="Call Mr. Weber before 10.",
    )
    account.refresh_from_db()
    assert account.owner == other_csm
    assert account.team == other_csm.team
    assert transfer.from_owner == csm and transfer.acknowledged_at is None
    with pytest.raises(ValidationError):
        services.acknowledge_handover(transfer=transfer, user=csm)
    services.acknowledge_handover(transfer=transfer, user=other_csm)
    assert OwnershipTransfer.objects.get().acknowledged_at is not None


def test_transfer_to_the_current_owner_is_refused(csm, team_lead):
    with pytest.raises(ValidationError):
        services.transfer_ownership(
            account=AccountFactory(owner=csm), to_owner=csm, by=team_lead, reason="no-op"
        )


def test_only_a_lead_of_the_team_or_an_admin_transfers_an_account(
    csm, teammate, other_csm, admin_user
):
    from crm.models import Role

    account = AccountFactory(owner=csm)
    other_lead = UserFactory(team=other_csm.team, role=Role.TEAM_LEAD)
    for by in (csm, teammate, other_lead):
        with pytest.raises(PermissionDenied):
            services.transfer_ownership(account=account, to_owner=teammate, by=by, reason="x")
    assert not OwnershipTransfer.objects.exists()
    services.transfer_ownership(account=account, to_owner=teammate, by=admin_user, reason="x")
    account.refresh_from_db()
    assert account.owner == teammate


def test_only_leads_and_admins_hand_a_portfolio_over(csm, teammate, team_lead):
    AccountFactory(owner=csm)
    with pytest.raises(PermissionDenied):
        services.transfer_portfolio(from_owner=csm, to_owner=teammate, by=csm, reason="leaving")
    transfers = services.transfer_portfolio(
        from_owner=csm, to_owner=teammate, by=team_lead, reason="leaving"
    )
    assert len(transfers) == 1


def test_churn_can_only_be_recorded_for_a_churned_account():
    account = AccountFactory()
    with pytest.raises(ValidationError):
        services.record_churn(account=account, reason=ChurnReasonFactory())
    services.create_contract(
        account=account,
        reference="C-9",
        start_date=D(2024, 1, 1),
        end_date=D(2024, 12, 31),
        monthly_value=Decimal("10"),
        today=D(2025, 2, 1),
    )
    account.refresh_from_db()
    record = services.record_churn(account=account, reason=ChurnReasonFactory(), by=UserFactory())
    assert record.churned_on == D(2025, 1, 1)


def mrr_spans(account):
    return list(
        MrrSpan.objects.filter(account=account)
        .order_by("start_date")
        .values_list("start_date", "end_date", "mrr")
    )


def test_contract_services_keep_the_mrr_spans_in_step():
    account, other = AccountFactory(), AccountFactory()
    revisions = LedgerRevision.objects.count()
    base = services.create_contract(
        account=account,
        reference="C-1",
        start_date=D(2025, 1, 1),
        end_date=D(2025, 12, 31),
        monthly_value=Decimal("500"),
        today=D(2025, 6, 1),
    )
    assert mrr_spans(account) == [(D(2025, 1, 1), D(2025, 12, 31), Decimal("500.00"))]

    addon = services.create_contract(
        account=account,
        reference="C-2",
        start_date=D(2025, 4, 1),
        monthly_value=Decimal("100"),
        today=D(2025, 6, 1),
    )
    assert mrr_spans(account) == [
        (D(2025, 1, 1), D(2025, 3, 31), Decimal("500.00")),
        (D(2025, 4, 1), D(2025, 12, 31), Decimal("600.00")),
        (D(2026, 1, 1), None, Decimal("100.00")),
    ]

    services.update_contract(contract=base, monthly_value=Decimal("400"), today=D(2025, 6, 1))
    assert mrr_spans(account)[1] == (D(2025, 4, 1), D(2025, 12, 31), Decimal("500.00"))

    services.cancel_contract(contract=addon, cancelled_on=D(2025, 9, 1), today=D(2025, 6, 1))
    assert mrr_spans(account) == [
        (D(2025, 1, 1), D(2025, 3, 31), Decimal("400.00")),
        (D(2025, 4, 1), D(2025, 8, 31), Decimal("500.00")),
        (D(2025, 9, 1), D(2025, 12, 31), Decimal("400.00")),
    ]

    # moved to another account: both accounts' pieces follow
    services.update_contract(contract=base, account=other, today=D(2025, 6, 1))
    assert mrr_spans(account) == [(D(2025, 4, 1), D(2025, 8, 31), Decimal("100.00"))]
    assert mrr_spans(other) == [(D(2025, 1, 1), D(2025, 12, 31), Decimal("400.00"))]
    # every refresh is a new ledger revision, which caches of figures are keyed by
    assert LedgerRevision.objects.count() == revisions + 5


def test_rebuild_derived_rewrites_the_mrr_spans_and_keeps_one_revision():
    account = AccountFactory()
    services.create_contract(
        account=account,
        reference="C-1",
        start_date=D(2025, 1, 1),
        monthly_value=Decimal("50"),
        today=D(2025, 6, 1),
    )
    MrrSpan.objects.all().delete()
    newest = LedgerRevision.objects.order_by("-pk").first().pk

    services.rebuild_derived(today=D(2025, 6, 1))

    assert mrr_spans(account) == [(D(2025, 1, 1), None, Decimal("50.00"))]
    assert list(LedgerRevision.objects.values_list("pk", flat=True)) == [newest + 1]
