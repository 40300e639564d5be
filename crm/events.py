"""What happened, told to the apps above: typed events and the handlers that hear them.

Apps import one way (retention → interactions → customers → crm), so a write in a lower app
cannot call what a higher one does about it. Instead its service publishes an event here, and
the higher app subscribes a handler in its ``AppConfig.ready``::

    events.subscribe(events.AccountChanged, rescore_account)   # retention
    events.publish(events.AccountChanged(account.pk, events.What.INTERACTION))  # a service

``publish`` calls the handlers of that event type at once, in the order they subscribed, in
the caller's thread and transaction: what a handler writes commits or rolls back with the
write that caused it, and an error in a handler is an error of the write. A handler that
has slow work to do enqueues it (``crm.queue.enqueue_safely``, sent on commit).

Not Django signals: there is one list of event types (below), a service publishes by an
explicit call, and ``handlers()`` lists who listens (a test pins it). Payloads are ids and
small values, never model instances: a handler reads what it needs, and a later handler in
a task can carry the same payload.
"""

from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TypeVar


class What(StrEnum):
    """What about an account changed (the ``what`` of ``AccountChanged``)."""

    INTERACTION = "interaction"  # logged, edited, deleted or restored
    PROBLEM = "problem"  # opened, changed, resolved or reopened
    FEEDBACK = "feedback"  # an NPS / CSAT answer recorded or corrected
    SENTIMENT = "sentiment"  # the owner's own reading
    CONTACT = "contact"  # a contact added, or its champion, decision maker or left date
    CONTRACT = "contract"  # a contract written (the ledger was refreshed)
    OWNER = "owner"  # a transfer of ownership
    ACCOUNT = "account"  # the account's own fields (segment, …) edited


@dataclass(frozen=True, slots=True)
class AccountChanged:
    """Something a health measure sees changed on one account: scored again now."""

    account_id: int
    what: What


@dataclass(frozen=True, slots=True)
class AccountsChanged:
    """A bulk write (an import, a portfolio transfer, a rebuild, an admin action) changed
    these accounts: scored again in the background, in chunks."""

    account_ids: frozenset[int]
    what: What

    def __init__(self, account_ids: Collection[int], what: What):
        object.__setattr__(self, "account_ids", frozenset(account_ids))
        object.__setattr__(self, "what", what)


@dataclass(frozen=True, slots=True)
class CustomerSpanStarted:
    """The ledger gained a customer span of an account starting on ``day`` (a new customer
    or a win-back; ``day`` may lie ahead when a contract starts later). A changed start day
    is a new span: a listener keys what it starts by (account, day)."""

    account_id: int
    day: date


@dataclass(frozen=True, slots=True)
class OwnershipTransferred:
    """An account changed hands: an ``OwnershipTransfer`` the new owner is to acknowledge."""

    transfer_id: int


@dataclass(frozen=True, slots=True)
class HandoverRequested:
    """A CSM asked for an account to be handed over: a lead is to decide."""

    handover_request_id: int


@dataclass(frozen=True, slots=True)
class FeedbackRecorded:
    """A new NPS / CSAT answer, or one corrected into a detractor (not other corrections)."""

    feedback_id: int


@dataclass(frozen=True, slots=True)
class FlagRaised:
    """A risk flag was raised (not updated or reopened)."""

    flag_id: int


@dataclass(frozen=True, slots=True)
class FollowUpsDone:
    """Follow-ups were marked done (one, or many at once)."""

    follow_up_ids: frozenset[int]

    def __init__(self, follow_up_ids: Collection[int]):
        object.__setattr__(self, "follow_up_ids", frozenset(follow_up_ids))


EVENT_TYPES = (
    AccountChanged,
    AccountsChanged,
    CustomerSpanStarted,
    OwnershipTransferred,
    HandoverRequested,
    FeedbackRecorded,
    FlagRaised,
    FollowUpsDone,
)

Event = TypeVar("Event")
_handlers: dict[type, list[Callable]] = defaultdict(list)


def subscribe(event_type: type[Event], handler: Callable[[Event], object]) -> None:
    """Call ``handler(event)`` for every published event of ``event_type``. Subscribing the
    same handler twice (``ready`` run again) keeps one."""
    if event_type not in EVENT_TYPES:
        raise TypeError(f"{event_type!r} is not an event of crm.events")
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


def publish(event) -> None:
    """Tell every handler of the event's type, now, in the caller's transaction."""
    if type(event) not in EVENT_TYPES:
        raise TypeError(f"{event!r} is not an event of crm.events")
    for handler in list(_handlers.get(type(event), ())):
        handler(event)


def announce(account_ids: Collection[int], what: What) -> None:
    """Say that these accounts changed: one account as ``AccountChanged`` (dealt with
    before the response), more as one ``AccountsChanged`` (in the background). For writers
    that change one account or many through the same code (the ledger's refresh)."""
    ids = set(account_ids)
    if len(ids) == 1:
        publish(AccountChanged(ids.pop(), what))
    elif ids:
        publish(AccountsChanged(ids, what))


def handlers() -> dict[str, list[str]]:
    """Who listens to what, by name (``module.function``), for the tests and the curious."""
    return {
        event_type.__name__: [f"{h.__module__}.{h.__qualname__}" for h in _handlers[event_type]]
        for event_type in EVENT_TYPES
        if _handlers.get(event_type)
    }
