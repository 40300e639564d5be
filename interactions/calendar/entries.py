"""What the calendar shows, from one small function per source of entries.

A source takes (viewer, whose, first day, last day) and returns the ``Entry`` rows of that
range: plain values, read in one query and never a model instance per row, so a team's month
of 12,000 accounts stays cheap. Every source starts from rows scoped through ``crm.scoping``
for the viewer, then narrows to whose calendar it is (one person's, or their team's). The page,
the feed and the digest read the same sources; a new kind of entry (a playbook's tasks) is one
more function, added by the app that owns it (``add_source``, from its ``AppConfig.ready``).
"""

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber, TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import scoping
from crm.db import AddDays
from customers.models import Account, Contract

from ..models import FollowUp, Interaction, PlannedMeeting
from .touches import with_next_touch

# Kinds of entry, in the order a day lists them.
PLANNED, FOLLOW_UP, TOUCH, NOTICE, RENEWAL = "planned", "follow_up", "touch", "notice", "renewal"
KIND_ORDER = {PLANNED: 0, FOLLOW_UP: 1, TOUCH: 2, NOTICE: 3, RENEWAL: 4}


@dataclass(frozen=True)
class Whose:
    """Whose calendar: one person's (``person``) or, for a lead, the team's (``team_id``)."""

    person: object | None = None
    team_id: int | None = None

    @property
    def key(self) -> str:
        return "team" if self.person is None else str(self.person.pk)


@dataclass
class Entry:
    """One thing in the calendar on ``day`` (at ``at`` when it has a time)."""

    kind: str
    pk: int
    day: dt.date
    account_id: int
    account_name: str
    subject: str = ""
    at: dt.datetime | None = None
    owner_id: int | None = None
    done: bool = False
    overdue: bool = False
    detail: dict | None = None
    owner_name: str = ""  # set by a team view

    @property
    def uid(self) -> str:
        """Stable across fetches: calendar apps update the event instead of adding one."""
        return f"treue-{self.kind.replace('_', '-')}-{self.pk}"

    @property
    def url(self) -> str:
        anchor = {
            FOLLOW_UP: "#follow-ups",
            PLANNED: "#planned",
            RENEWAL: "#contracts",
            NOTICE: "#contracts",
        }.get(self.kind, "")
        return _path("customers:account_detail", self.account_id) + anchor

    @property
    def done_url(self) -> str:
        """Where a follow-up is marked done from the calendar."""
        return _path("calendar:follow_up_done", self.pk)

    @property
    def title(self) -> str:
        """What the entry says, in the active language."""
        values = {"account": self.account_name, "subject": self.subject}
        if self.kind == FOLLOW_UP:
            return _("Follow-up: %(subject)s — %(account)s") % values
        if self.kind == PLANNED:
            label = Interaction.Kind(self.detail["kind"]).label if self.detail else _("Meeting")
            return _("%(kind)s: %(subject)s — %(account)s") % {**values, "kind": label}
        if self.kind == TOUCH:
            return _("Touch due: %(account)s") % values
        if self.kind == NOTICE:
            return _("Notice deadline: %(account)s (%(subject)s)") % values
        if self.kind == RENEWAL:
            if self.detail and self.detail.get("notice_given"):
                return _("Contract ends: %(account)s (%(subject)s)") % values
            return _("Renewal: %(account)s (%(subject)s)") % values
        return f"{self.subject} — {self.account_name}"

    @property
    def sort_key(self) -> tuple:
        moment = self.at.timetz() if self.at else dt.time.min
        return (self.day, KIND_ORDER.get(self.kind, 9), moment, self.account_name, self.pk)


Source = Callable[..., list[Entry]]


class Listed(list):
    """A source's entries when at most ``per_day`` a day were asked for; ``totals`` says how
    many each day has in all (a month of a team's 12,000 accounts has thousands)."""

    totals: dict[dt.date, int]


def _listed(rows: QuerySet, fields: tuple, make, *, day: str, order: list, per_day: int | None):
    """``make(*row)`` for the ``fields`` of ``rows``; with ``per_day``, only the first
    ``per_day`` of each ``day`` (by ``order``, as a day lists them) and the count of each day,
    so the cost of a page does not grow with the book behind it."""
    if per_day is None:
        return [make(*row) for row in rows.values_list(*fields)]
    # One query: each row's rank within its day and its day's count, both as windows.
    ranked = rows.annotate(
        day_rank=Window(RowNumber(), partition_by=F(day), order_by=order),
        day_total=Window(Count("*"), partition_by=F(day)),
    ).filter(day_rank__lte=per_day)
    names = [*fields, *([] if day in fields else [day]), "day_total"]
    at, size = names.index(day), len(fields)
    found, totals = Listed(), {}
    for row in ranked.values_list(*names):
        found.append(make(*row[:size]))
        totals[row[at]] = row[-1]
    found.totals = totals
    return found


@functools.cache
def _pattern(name: str) -> str:
    return reverse(name, args=[987654321])


def _path(name: str, pk: int) -> str:
    """``reverse(name, args=[pk])`` without resolving the pattern again for every entry (a
    month of a team lists hundreds)."""
    return _pattern(name).replace("987654321", str(pk))


# --- whose calendar -------------------------------------------------------------------------


def calendar_people(viewer) -> QuerySet:
    """Whose calendar ``viewer`` may open: their own; a lead also their team's people; an
    admin anyone active."""
    users = get_user_model().objects.filter(is_active=True)
    if viewer.is_authenticated and viewer.is_active and viewer.is_admin_role:
        return users
    if can_see_team(viewer):
        return users.filter(Q(team_id=viewer.team_id) | Q(pk=viewer.pk))
    return users.filter(pk=viewer.pk)


def can_see_team(viewer) -> bool:
    return scoping.leads_a_team(viewer)


def whose_for(viewer, value: str | None) -> Whose:
    """Whose calendar ``value`` (``"team"``, a person's id, or empty for one's own) asks
    for, within what ``viewer`` may open; anything else is the viewer's own."""
    if value == "team" and can_see_team(viewer):
        return Whose(team_id=viewer.team_id)
    if value and value.isdigit() and len(value) < 19 and int(value) != viewer.pk:
        person = calendar_people(viewer).filter(pk=int(value)).first()
        if person is not None:
            return Whose(person=person)
    return Whose(person=viewer)


def _accounts(viewer, whose: Whose) -> QuerySet[Account]:
    if whose.person is None:
        return scoping.visible_in_team(viewer, Account.objects.all(), whose.team_id)
    return scoping.visible(viewer, Account.objects.all()).filter(owner_id=whose.person.pk)


def _theirs(viewer, whose: Whose, queryset: QuerySet, *, owner: str) -> QuerySet:
    """Rows on accounts ``viewer`` may read that are the person's (their ``owner`` field) or
    on the team's accounts."""
    if whose.person is None:
        return scoping.visible_in_team(viewer, queryset, whose.team_id, via="account")
    return scoping.visible(viewer, queryset, via="account").filter(**{owner: whose.person.pk})


# --- the sources ----------------------------------------------------------------------------


def planned_meetings(viewer, whose: Whose, first, last, *, today, per_day=None) -> list:
    """Meetings and calls planned ahead, at their time, by who holds them."""
    start, end = _bounds(first, last)
    rows = (
        _theirs(viewer, whose, PlannedMeeting.objects.open(), owner="owner_id")
        .filter(planned_at__gte=start, planned_at__lt=end)
        .annotate(on=TruncDate("planned_at", tzinfo=timezone.get_current_timezone()))
    )

    def make(pk, at, kind, summary, account_id, name, owner_id):
        day = timezone.localdate(at)
        return Entry(
            PLANNED,
            pk,
            day,
            account_id,
            name,
            summary,
            at=timezone.localtime(at),
            owner_id=owner_id,
            overdue=day < today,
            detail={"kind": kind},
        )

    fields = ("pk", "planned_at", "kind", "summary", "account_id", "account__name", "owner_id")
    order = ["planned_at", "account__name", "pk"]
    return _listed(rows, fields, make, day="on", order=order, per_day=per_day)


def follow_ups(viewer, whose: Whose, first, last, *, today, per_day=None) -> list:
    """Open follow-ups on their due day, by who keeps the promise."""
    rows = _theirs(viewer, whose, FollowUp.objects.open(), owner="owner_id").filter(
        due_on__gte=first, due_on__lte=last
    )

    def make(pk, due, title, account_id, name, owner_id):
        return Entry(
            FOLLOW_UP, pk, due, account_id, name, title, owner_id=owner_id, overdue=due < today
        )

    fields = ("pk", "due_on", "title", "account_id", "account__name", "owner_id")
    order = ["account__name", "pk"]
    return _listed(rows, fields, make, day="due_on", order=order, per_day=per_day)


def cadence_touches(viewer, whose: Whose, first, last, *, today, per_day=None) -> list:
    """The next touch of each account with no meeting planned: its last meeting or call plus
    its expected cadence."""
    # NOT EXISTS rather than the planned meeting's subquery per account: an anti-join.
    planned = PlannedMeeting.objects.open().filter(account_id=OuterRef("pk"))
    rows = with_next_touch(_accounts(viewer, whose).filter(~Exists(planned))).filter(
        cadence_touch_on__gte=first, cadence_touch_on__lte=last
    )

    def make(pk, name, on, owner_id):
        return Entry(TOUCH, pk, on, pk, name, owner_id=owner_id, overdue=on < today)

    fields = ("pk", "name", "cadence_touch_on", "owner_id")
    order = ["name", "pk"]
    return _listed(rows, fields, make, day="cadence_touch_on", order=order, per_day=per_day)


def _contracts(viewer, whose: Whose) -> QuerySet[Contract]:
    contracts = Contract.objects.filter(account__in=_accounts(viewer, whose))
    return contracts.filter(cancelled_on__isnull=True, end_date__isnull=False)


def renewals(viewer, whose: Whose, first, last, *, today, per_day=None) -> list:
    """Contracts that end (and renew unless notice was given) in the range."""
    rows = _contracts(viewer, whose).filter(end_date__gte=first, end_date__lte=last)

    def make(pk, end, reference, account_id, name, owner_id, notice, confirmed):
        return Entry(
            RENEWAL,
            pk,
            end,
            account_id,
            name,
            reference,
            owner_id=owner_id,
            detail={"notice_given": notice is not None, "confirmed": confirmed},
        )

    fields = (
        "pk",
        "end_date",
        "reference",
        "account_id",
        "account__name",
        "account__owner_id",
        "notice_given_on",
        "renewal_confirmed",
    )
    order = ["account__name", "pk"]
    return _listed(rows, fields, make, day="end_date", order=order, per_day=per_day)


def notice_deadlines(viewer, whose: Whose, first, last, *, today, per_day=None) -> list:
    """The last day to give notice on a contract that renews otherwise (its end date less its
    notice period), while no notice is given."""
    rows = (
        _contracts(viewer, whose)
        .filter(notice_given_on__isnull=True, notice_period_days__isnull=False)
        # The deadline lies before the end: the end date's index narrows the rows first.
        .filter(end_date__gt=first)
        .annotate(deadline=AddDays(F("end_date"), -F("notice_period_days")))
        .filter(deadline__gte=first, deadline__lte=last)
    )

    def make(pk, deadline, reference, account_id, name, owner_id):
        return Entry(
            NOTICE,
            pk,
            deadline,
            account_id,
            name,
            reference,
            owner_id=owner_id,
            overdue=deadline < today,
        )

    fields = ("pk", "deadline", "reference", "account_id", "account__name", "account__owner_id")
    order = ["account__name", "pk"]
    return _listed(rows, fields, make, day="deadline", order=order, per_day=per_day)


SOURCES: list[Source] = [planned_meetings, follow_ups, cadence_touches, notice_deadlines, renewals]


def add_source(source: Source) -> None:
    """One more kind of entry, from the app that owns it (its ``AppConfig.ready``): called as
    ``source(viewer, whose, first, last, today=..., per_day=...)`` and answering a list of
    entries, or with ``per_day`` a ``Listed`` (``_listed`` makes either)."""
    if source not in SOURCES:
        SOURCES.append(source)


def entries(viewer, whose: Whose, first, last, *, today=None, per_day=None) -> list[Entry]:
    """Every entry from ``first`` to ``last`` (inclusive) of ``whose`` calendar, as
    ``viewer`` may see it, in the order a day lists them. With ``per_day``: the first
    ``per_day`` entries of each day, a ``Listed`` whose ``totals`` count each day's all."""
    today = today or timezone.localdate()
    if per_day is None:
        found = [e for source in SOURCES for e in source(viewer, whose, first, last, today=today)]
        return sorted(found, key=lambda e: e.sort_key)
    by_day: dict[dt.date, list[Entry]] = {}
    totals: dict[dt.date, int] = {}
    for source in SOURCES:
        listed = source(viewer, whose, first, last, today=today, per_day=per_day)
        for entry in listed:
            by_day.setdefault(entry.day, []).append(entry)
        for day, n in listed.totals.items():
            totals[day] = totals.get(day, 0) + n
    found = Listed()
    for day in sorted(by_day):
        found += sorted(by_day[day], key=lambda e: e.sort_key)[:per_day]
    found.totals = totals
    return found


def overdue_counts(viewer, whose: Whose, *, today=None) -> dict[str, int]:
    """How many follow-ups and touches of ``whose`` calendar are overdue (before today)."""
    today = today or timezone.localdate()
    follow = _theirs(viewer, whose, FollowUp.objects.overdue_on(today), owner="owner_id")
    touches = with_next_touch(_accounts(viewer, whose)).filter(next_touch_on__lt=today)
    return {"follow_ups": follow.count(), "touches": touches.count()}


def _bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The moments that start ``first`` and end ``last`` in the installation's time zone."""
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end
