"""Reminders in the inbox from this app: follow-ups due today or overdue (posted by the
daily digest run) and detractor answers (posted when the feedback is recorded), and how
they are worded when read (registered by ``InteractionsConfig.ready``)."""

import datetime as dt

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import inbox

from ..models import FollowUp

FOLLOW_UP = "follow_up"
FOLLOW_UP_DUE = "follow_up_due"
DETRACTOR = "detractor"


def post_due_follow_ups(*, today: dt.date | None = None) -> int:
    """Put each open follow-up due today or overdue in its owner's inbox (once per
    follow-up: the daily digest run calls this every morning). Set-based; returns how many
    follow-ups were due."""
    today = today or timezone.localdate()
    due = (
        FollowUp.objects.due_by(today)
        .filter(owner__is_active=True)
        .order_by()
        .values_list("pk", "owner_id", "title", "due_on", "account_id", "account__name")
    )
    count = 0

    def items():
        nonlocal count
        for pk, owner_id, title, due_on, account_id, account_name in due.iterator(
            chunk_size=inbox.POST_CHUNK
        ):
            count += 1
            yield inbox.item(
                user=owner_id,
                kind=inbox.Kind.TASK_DUE,
                message=FOLLOW_UP_DUE,
                topic=inbox.topic(FOLLOW_UP, pk),
                link=reverse("customers:account_detail", args=[account_id]) + "#follow-ups",
                params={"title": title, "account": account_name, "due": due_on.isoformat()},
            )

    inbox.post_many(items())
    return count


def _word_due(params: dict) -> dict:
    due = inbox.date_value(params.get("due"))
    today = timezone.localdate()
    if due is None or due == today:
        state = _("due today")
    elif due < today:
        state = _("overdue since %(day)s") % {"day": formats.date_format(due, "DATE_FORMAT")}
    else:
        state = _("due on %(day)s") % {"day": formats.date_format(due, "DATE_FORMAT")}
    return {**params, "state": state}


def _word_feedback(params: dict) -> dict:
    return {**params, "kind": str(params.get("kind", "")).upper()}


def register_inbox_messages() -> None:
    inbox.register(
        FOLLOW_UP_DUE,
        gettext_lazy("Follow-up %(state)s: %(title)s — %(account)s"),
        word=_word_due,
    )
    inbox.register(
        DETRACTOR,
        gettext_lazy("Detractor answer from %(account)s: %(kind)s %(score)s"),
        word=_word_feedback,
    )
