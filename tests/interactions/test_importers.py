import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from crm.csv_import.errors import ImportFailed
from customers.models import Account
from interactions.importers import import_interactions
from interactions.models import Interaction

from ..crm.test_import_csv_command import run, write
from ..factories import AccountFactory, InteractionFactory, UserFactory

pytestmark = pytest.mark.django_db
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
HEADER = "account,kind,occurred_at,author_email,summary,notes,sentiment,next_steps"


# --- interactions ---------------------------------------------------------------------------


@pytest.fixture
def acme(csm):
    return AccountFactory(name="Acme", external_id="A-1", owner=csm)


def test_interactions_import_sets_last_meeting_or_call_from_meetings_and_calls(tmp_path, acme):
    path = write(
        tmp_path,
        HEADER,
        "A-1,meeting,2025-03-01 10:00,carla@treue.example,Kick-off,Went well,positive,Send plan",
        "Acme,Call,2025-03-05T09:30+00:00,carla@treue.example,Check-in,,,",
        "Acme,email,2025-03-09,carla@treue.example,Sent the plan,,,",
    )
    out, _err = run("interactions", path)
    assert out == "interactions: 3 created, 0 updated, 0 unchanged\n"
    kick_off = Interaction.objects.get(summary="Kick-off")
    assert kick_off.occurred_at == dt.datetime(2025, 3, 1, 10, 0, tzinfo=BERLIN)
    assert (kick_off.tone, kick_off.next_steps) == ("positive", "Send plan")
    assert Interaction.objects.get(summary="Sent the plan").occurred_at == dt.datetime(
        2025, 3, 9, tzinfo=BERLIN
    )
    acme.refresh_from_db()
    assert acme.last_meeting_or_call_at == dt.datetime(2025, 3, 5, 9, 30, tzinfo=dt.UTC)


def test_reimporting_interactions_changes_nothing(tmp_path, acme):
    path = write(
        tmp_path,
        HEADER,
        "A-1,meeting,2025-03-01 10:00,carla@treue.example,Kick-off,Went well,positive,",
        "A-1,note,2025-03-01 10:00,carla@treue.example,Kick-off,,,",
    )
    run("interactions", path)
    before = list(Interaction.objects.order_by("pk").values_list("pk", "updated_at"))
    account_before = Account.objects.values_list("updated_at", "last_meeting_or_call_at").get()
    out, _err = run("interactions", path)
    assert out == "interactions: 0 created, 0 updated, 2 unchanged\n"
    assert list(Interaction.objects.order_by("pk").values_list("pk", "updated_at")) == before
    assert (
        Account.objects.values_list("updated_at", "last_meeting_or_call_at").get() == account_before
    )


def test_changed_notes_update_the_stored_interaction(acme, teammate):
    moment = dt.datetime(2025, 3, 1, 10, 0, tzinfo=BERLIN)
    stored = InteractionFactory(account=acme, kind="meeting", occurred_at=moment, summary="QBR")
    data = f"{HEADER}\nAcme,meeting,2025-03-01 10:00,tom@treue.example,QBR,New notes,,\n"
    result = import_interactions(data=data.encode())
    assert (result.created, result.updated) == (0, 1)
    stored.refresh_from_db()
    assert (stored.notes, stored.author) == ("New notes", teammate)


def test_deleted_meeting_does_not_count_as_last_meeting_or_call(acme):
    old = dt.datetime(2025, 1, 1, 9, 0, tzinfo=BERLIN)
    InteractionFactory(account=acme, kind="call", occurred_at=old, summary="Old call")
    InteractionFactory(
        account=acme,
        kind="meeting",
        occurred_at=dt.datetime(2025, 6, 1, tzinfo=BERLIN),
        summary="Deleted",
        deleted_at=timezone.now(),
    )
    data = f"{HEADER}\nAcme,note,2025-05-01,carla@treue.example,A note,,,\n"
    import_interactions(data=data.encode())
    acme.refresh_from_db()
    assert acme.last_meeting_or_call_at == old


def test_bad_interaction_rows_are_all_reported(acme):
    UserFactory(username="gone", is_active=False)
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    data = "\n".join(
        [
            HEADER,
            "A-1,lunch,2025-03-01,carla@treue.example,Lunch,,,",
            "A-1,call,yesterday,carla@treue.example,Call,,,",
            f"A-1,call,{future},carla@treue.example,Call,,,",
            "A-1,call,2025-03-01,nobody@treue.example,Call,,grumpy,",
            "A-1,call,2025-03-02,gone@treue.example,Old call by a leaver,,,",
            "A-1,call,2025-03-03 10:00,carla@treue.example,,,,",
        ]
    )
    with pytest.raises(ImportFailed) as failed:
        import_interactions(data=data.encode())
    assert [str(e) for e in failed.value.errors] == [
        "line 2: kind “lunch” is not one of: meeting, call, email, note",
        "line 3: occurred_at “yesterday” is not a date and time "
        "(use YYYY-MM-DD HH:MM, optionally with a UTC offset such as +01:00, or DD.MM.YYYY HH:MM)",
        f"line 4: occurred_at {future} is in the future",
        "line 5: author_email nobody@treue.example is not the email of any user",
        "line 5: sentiment “grumpy” is not one of: positive, neutral, negative",
        "line 7: summary is required",
    ]
    assert not Interaction.objects.exists()


def test_duplicate_interaction_in_the_file_reports_both_lines(acme):
    data = "\n".join(
        [
            HEADER,
            "A-1,call,2025-03-01 10:00,carla@treue.example,Check-in,,,",
            "Acme,call,2025-03-01 09:00+00:00,carla@treue.example,Check-in,Again,,",
        ]
    )
    with pytest.raises(ImportFailed) as failed:
        import_interactions(data=data.encode())
    assert [str(e) for e in failed.value.errors] == [
        "line 2: the call “Check-in” at 2025-03-01 10:00 for this account is also on line 3",
        "line 3: the call “Check-in” at 2025-03-01 10:00 for this account is also on line 2",
    ]
