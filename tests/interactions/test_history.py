"""The audit history keeps every version of what people write (django-simple-history)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from customers import services as customer_services
from interactions import services
from interactions.models import Interaction

from ..factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def test_editing_an_interaction_keeps_the_previous_notes(csm):
    account = AccountFactory(owner=csm)
    interaction = services.log_interaction(
        account=account, author=csm, kind="call", summary="Renewal call", notes="They want 10 %"
    )
    interaction.notes = "They want 15 % off"
    interaction.save()
    versions = list(interaction.history.order_by("history_date"))
    assert [v.notes for v in versions] == ["They want 10 %", "They want 15 % off"]
    assert [v.history_type for v in versions] == ["+", "~"]


def test_deleting_an_interaction_keeps_it_and_it_can_be_restored(csm):
    interaction = services.log_interaction(
        account=AccountFactory(owner=csm), author=csm, kind="note", summary="Private note"
    )
    services.delete_interaction(interaction=interaction)
    assert not Interaction.objects.alive().filter(pk=interaction.pk).exists()
    services.restore_interaction(interaction=interaction)
    assert Interaction.objects.alive().filter(pk=interaction.pk).exists()


def test_history_records_who_changed_a_contact_in_the_admin(client, admin_user):
    contact = ContactFactory(preferences="Calls before 10")
    client.force_login(admin_user)
    url = reverse("admin:customers_contact_change", args=[contact.pk])
    page = client.get(url)
    data = {
        k: v
        for k, v in page.context["adminform"].form.initial.items()
        if v is not None and not isinstance(v, list)
    }
    data.update(account=contact.account_id, name=contact.name, preferences="No calls on Fridays")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    latest = contact.history.latest()
    assert latest.preferences == "No calls on Fridays"
    assert latest.history_user == admin_user
    assert contact.history.earliest().preferences == "Calls before 10"
    assert (
        client.get(reverse("admin:customers_contact_history", args=[contact.pk])).status_code == 200
    )


def test_contract_changes_are_kept_with_their_previous_terms(csm):
    contract = customer_services.create_contract(
        account=AccountFactory(owner=csm),
        reference="C-42",
        start_date=dt.date(2025, 1, 1),
        monthly_value=Decimal("100"),
    )
    customer_services.update_contract(contract=contract, monthly_value=Decimal("80"))
    assert [v.monthly_value for v in contract.history.order_by("history_date")] == [
        Decimal("100.00"),
        Decimal("80.00"),
    ]


def test_logging_a_call_does_not_write_account_history(csm):
    account = AccountFactory(owner=csm)
    before = account.history.count()
    services.log_interaction(account=account, author=csm, kind="call", summary="Check-in")
    account.refresh_from_db()
    assert account.last_meeting_or_call_at is not None
    assert account.history.count() == before


def test_interaction_page_shows_earlier_versions_with_who_changed_what(client, csm):
    interaction = services.log_interaction(
        account=AccountFactory(owner=csm),
        author=csm,
        kind="call",
        summary="Renewal call",
        notes="They want 10 %",
    )
    services.update_interaction(interaction=interaction, notes="They want 15 % off")
    client.force_login(csm)
    page = client.get(interaction.get_absolute_url())
    assert page.status_code == 200
    versions = page.context["versions"]
    assert [v.notes for v in versions] == ["They want 15 % off", "They want 10 %"]
    assert versions[0].changed_fields == ["notes"]
    assert b"They want 10 %" in page.content
