"""The inbox: what needs a user (DESIGN.md "Communication calendar and reminders").

An item is a message id and its parameters, worded when read in the reader's language, a link
to its place, and read or not. The app that causes an item posts it in the transaction of the
write that caused it (``post``); the same (user, kind, topic) is posted once, so a run that
repeats itself (the daily digest run) posts nothing new. When what an item is about is dealt
with (the flag acknowledged, the follow-up done, the handover acknowledged) the app settles
its topic and the item counts as read.

The apps that post register the wording of their messages from ``AppConfig.ready``
(``register``): this module knows no app above it. A message id nobody registered (an app
removed) is shown as the item's kind.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .models import InboxItem

Kind = InboxItem.Kind


@dataclass(frozen=True)
class Message:
    """How a message id is worded: a lazy msgid with named placeholders (``gettext_lazy``,
    or ``ngettext_lazy`` with the name of its number), and ``word``: the placeholder values
    from the stored parameters (e.g. a reason code as its label in the reader's language)."""

    text: str
    word: Callable[[dict], dict] | None = None

    def render(self, params: dict) -> str:
        values = self.word(params) if self.word else params
        return str(self.text % values)


_messages: dict[str, Message] = {}


def register(message_id: str, text, *, word: Callable[[dict], dict] | None = None) -> None:
    """Say how ``message_id`` is worded (from the posting app's ``AppConfig.ready``)."""
    _messages[message_id] = Message(text, word)


def worded(item: InboxItem) -> str:
    """The item's message in the active language."""
    message = _messages.get(item.message)
    if message is None:
        return str(item.get_kind_display())
    try:
        return message.render(dict(item.params))
    except (KeyError, TypeError, ValueError):  # parameters of an older wording
        return str(item.get_kind_display())


# --- posting and settling (called by the apps, inside their transactions) -----------------


def item(
    *, user, kind: str, message: str, topic: str, link: str, params: dict | None = None, at=None
) -> InboxItem | None:
    """An unsaved item for ``user`` (None when nobody active is there to read it)."""
    if user is None or not getattr(user, "is_active", True):
        return None
    if not link.startswith("/") or link.startswith("//"):
        raise ValueError(f"An inbox link is a path on this site, not {link!r}")
    return InboxItem(
        user_id=getattr(user, "pk", user),
        kind=kind,
        message=message,
        params=params or {},
        link=link,
        topic=topic,
        created_at=at or timezone.now(),
    )


def post(*, user, kind: str, message: str, topic: str, link: str, params=None, at=None) -> None:
    """Put one item in ``user``'s inbox (nothing when it is there already, read or not)."""
    post_many(
        [item(user=user, kind=kind, message=message, topic=topic, link=link, params=params, at=at)]
    )


POST_CHUNK = 2000


def post_many(items: Iterable[InboxItem | None]) -> None:
    """Put these items in their users' inboxes; those posted before are left as they are."""
    rows = [row for row in items if row is not None]
    for i in range(0, len(rows), POST_CHUNK):
        InboxItem.objects.bulk_create(rows[i : i + POST_CHUNK], ignore_conflicts=True)


def settle(*, topics: Iterable[str], kind: str | None = None, at=None) -> int:
    """What these topics are about has been dealt with: their unread items count as read.
    Returns how many items it settled."""
    topics = list(topics)
    if not topics:
        return 0
    unread = InboxItem.objects.filter(topic__in=topics, read_at__isnull=True)
    if kind is not None:
        unread = unread.filter(kind=kind)
    return unread.update(read_at=at or timezone.now())


def topic(name: str, pk) -> str:
    """The topic of one row: ``topic("flag", 12)`` → ``"flag:12"``."""
    return f"{name}:{pk}"


# --- the user's side ----------------------------------------------------------------------


def items_for(user, *, unread_only: bool = False) -> QuerySet[InboxItem]:
    """``user``'s inbox, newest first."""
    items = InboxItem.objects.filter(user_id=user.pk)
    return items.filter(read_at__isnull=True) if unread_only else items


def unread_count(user) -> int:
    """How many items ``user`` has not read (one index-only count)."""
    if not user.is_authenticated:
        return 0
    return InboxItem.objects.filter(user_id=user.pk, read_at__isnull=True).count()


@transaction.atomic
def mark_read(*, user, item_ids: Iterable[int] | None = None, at=None) -> int:
    """Mark ``user``'s items read: those of ``item_ids``, or all. Returns how many changed."""
    unread = InboxItem.objects.filter(user_id=user.pk, read_at__isnull=True)
    if item_ids is not None:
        unread = unread.filter(pk__in=list(item_ids))
    return unread.update(read_at=at or timezone.now())


def item_for(user, pk: int) -> InboxItem:
    """One of ``user``'s own items, or 404 (another user's item does not exist for them)."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(InboxItem, pk=pk, user_id=user.pk)


def day_param(day: dt.date) -> str:
    """A date as a parameter (ISO); ``date_value`` reads it back for wording."""
    return day.isoformat()


def date_value(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None
