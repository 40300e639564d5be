import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from customers.models import Account, CustomerSpan
from interactions.models import Interaction

from ..factories import AccountFactory, ContractFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def test_rebuilds_fields_that_were_written_around_the_services():
    account = AccountFactory()
    ContractFactory(
        account=account,
        start_date=dt.date(2025, 1, 1),
        end_date=dt.date(2025, 12, 31),
        monthly_value=Decimal("250"),
    )
    meeting = InteractionFactory(account=account, kind=Interaction.Kind.MEETING)
    Account.objects.filter(pk=account.pk).update(mrr=Decimal("999"), last_meeting_or_call_at=None)
    out = StringIO()
    call_command("rebuild_derived", "--date", "2025-06-01", stdout=out)
    account.refresh_from_db()
    assert account.mrr == Decimal("250.00")
    assert account.customer_since == dt.date(2025, 1, 1)
    assert account.next_renewal_on == dt.date(2025, 12, 31)
    assert account.last_meeting_or_call_at == meeting.occurred_at
    assert CustomerSpan.objects.filter(account=account).count() == 1
    assert "1 accounts" in out.getvalue()


def test_a_malformed_date_is_a_one_line_error():
    with pytest.raises(CommandError, match="not a date"):
        call_command("rebuild_derived", "--date", "yesterday")
