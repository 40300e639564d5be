import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from retention.models import MonthlySnapshot

pytestmark = pytest.mark.django_db


@time_machine.travel(dt.datetime(2026, 3, 15, 12, tzinfo=dt.UTC), tick=False)
def test_stores_each_closed_month_once_however_often_it_runs():
    out = StringIO()
    call_command("snapshot_retention", "--months", "3", stdout=out)
    call_command("snapshot_retention", "--months", "3", stdout=out)
    months = sorted(MonthlySnapshot.objects.filter(segment=None).values_list("month", flat=True))
    assert months == [dt.date(2025, 12, 1), dt.date(2026, 1, 1), dt.date(2026, 2, 1)]
    assert "snapshots: 3" in out.getvalue()


def test_refuses_zero_months():
    with pytest.raises(CommandError):
        call_command("snapshot_retention", "--months", "0")
