import datetime as dt

import pytest
from django.utils import timezone

from ...factories import ContactFactory, InteractionFactory


@pytest.fixture
def searchable(book, csm, teammate, other_csm):
    """A little of everything, in the CSM's team (theirs and a teammate's) and in another
    team, with words the tests look for."""
    now = timezone.now()
    mine, teammates, other = book["mine"], book["teammates"], book["other"]
    rows = {
        "mine": mine,
        "teammates": teammates,
        "other": other,
        "contact": ContactFactory(account=mine, name="Beate Kranich", email="bea@kranich.example"),
        "teammates_contact": ContactFactory(
            account=teammates, name="Karl Kranich", email="karl@teammate.example"
        ),
        "other_contact": ContactFactory(
            account=other, name="Berta Kranich", email="berta@other.example"
        ),
        "call": InteractionFactory(
            account=mine,
            author=csm,
            kind="call",
            summary="Pricing call about the Kranich renewal",
            notes="They want the enterprise tier.",
            occurred_at=now - dt.timedelta(days=2),
        ),
        "teammates_note": InteractionFactory(
            account=teammates,
            author=teammate,
            kind="note",
            summary="Internal note",
            notes="Kranich pricing is still open.",
            occurred_at=now - dt.timedelta(days=1),
        ),
        "other_call": InteractionFactory(
            account=other,
            author=other_csm,
            kind="call",
            summary="Pricing call with Kranich",
            occurred_at=now,
        ),
    }
    return rows
