"""Things that read accounts, contacts and contracts, always scoped through ``crm.scoping``."""

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import CharField, DateTimeField, F, Q, QuerySet, Value
from django.db.models.functions import Cast
from django.shortcuts import get_object_or_404

from crm import scoping

from .models import (
    Account,
    Contact,
    Contract,
    CustomerSpan,
    HandoverRequest,
    OwnershipTransfer,
    Segment,
)


def accounts_for(user, *, search: str = "") -> QuerySet[Account]:
    """The accounts ``user`` may read, optionally narrowed by a name / external ID search."""
    qs = scoping.visible(user, Account.objects.all()).select_related("owner", "segment", "team")
    # PostgreSQL refuses NUL in a text parameter (a 500); no name or ID can hold one anyway.
    search = search.replace("\x00", "")
    if len(search) > Account._meta.get_field("name").max_length:
        return qs.none()  # matches no name or ID (and SQLite refuses LIKE patterns this long)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(external_id__iexact=search))
    return qs


def account_for(user, pk: int) -> Account:
    """One account ``user`` may read, or 404 (never 403: nothing leaks that it exists)."""
    return get_object_or_404(accounts_for(user), pk=pk)


def contact_for(user, pk: int) -> Contact:
    qs = scoping.visible(user, Contact.objects.select_related("account"), via="account")
    return get_object_or_404(qs, pk=pk)


def contracts_of(account: Account) -> QuerySet[Contract]:
    return account.contracts.order_by("-start_date", "reference")


def customer_ids_on(day: dt.date) -> QuerySet:
    """Ids of the accounts that are customers on ``day`` (from the maintained spans)."""
    return CustomerSpan.objects.covering(day).values("account_id")


def renewals_due(day: dt.date, window: int) -> QuerySet[Contract]:
    """Contracts up for renewal on ``day``: counting that day, ending within ``window`` days
    of it, not cancelled, the renewal not confirmed and no notice given by ``day`` (notice
    is its own, worse, state). The commercial measure and its flag, the owners' digest and
    the renewal filters and counts of the pages all read this."""
    return Contract.objects.active_on(day).filter(
        Q(notice_given_on__isnull=True) | Q(notice_given_on__gt=day),
        end_date__lte=day + dt.timedelta(days=window),
        renewal_confirmed=False,
        cancelled_on__isnull=True,
    )


# --- the CSM's workspace ---


def editable_accounts_for(user) -> QuerySet[Account]:
    """The accounts ``user`` may change (log against, edit, hand over)."""
    return scoping.editable(user, Account.objects.all()).select_related("owner", "segment", "team")


def editable_account_for(user, pk: int, *, related: bool = True) -> Account:
    """One account ``user`` may change, or 404 (also when they may only read it). With
    ``related=False`` its own columns only, without its owner, segment and team."""
    accounts = editable_accounts_for(user)
    return get_object_or_404(accounts if related else accounts.select_related(None), pk=pk)


def editable_contact_for(user, pk: int) -> Contact:
    qs = scoping.editable(user, Contact.objects.select_related("account"), via="account")
    return get_object_or_404(qs, pk=pk)


def contacts_of(account: Account) -> QuerySet[Contact]:
    """The account's contacts: current ones first, champions and decision makers on top."""
    return account.contacts.order_by(
        F("left_on").asc(nulls_first=True), "-is_champion", "-is_decision_maker", "name"
    )


def segments() -> QuerySet[Segment]:
    return Segment.objects.order_by("name")


def pending_handovers_for(user) -> QuerySet[OwnershipTransfer]:
    """Transfers to ``user`` they have not acknowledged yet, on accounts they can still see."""
    qs = OwnershipTransfer.objects.filter(to_owner=user, acknowledged_at__isnull=True)
    return scoping.visible(user, qs, via="account").select_related(
        "account", "from_owner", "transferred_by"
    )


def recent_handovers_for(user, *, limit: int = 10) -> QuerySet[OwnershipTransfer]:
    """The last handovers ``user`` acknowledged."""
    qs = OwnershipTransfer.objects.filter(to_owner=user, acknowledged_at__isnull=False)
    return (
        scoping.visible(user, qs, via="account")
        .select_related("account", "from_owner", "transferred_by")
        .order_by("-acknowledged_at")[:limit]
    )


def handover_for(user, pk: int) -> OwnershipTransfer:
    """A handover to ``user`` (only the new owner acknowledges), or 404."""
    qs = scoping.visible(user, OwnershipTransfer.objects.filter(to_owner=user), via="account")
    return get_object_or_404(qs.select_related("account"), pk=pk)


def transfer_targets(user) -> QuerySet:
    """Who ``user`` may hand accounts to: an admin anyone active, a team lead the active
    members of their team, anyone else nobody."""
    users = get_user_model().objects.filter(is_active=True).select_related("team")
    return scoping.handover_targets(user, users)


def handover_sources(user) -> QuerySet:
    """Whose whole portfolio ``user`` may hand over: people owning accounts ``user`` may
    change."""
    owners = editable_accounts_for(user).values("owner_id")
    return get_user_model().objects.filter(pk__in=owners).select_related("team")


def handover_colleagues(account: Account) -> QuerySet:
    """Whom a CSM may propose to take ``account`` over: the active members of its team,
    but its owner."""
    users = get_user_model().objects.filter(is_active=True, team_id=account.team_id)
    if account.team_id is None:
        users = users.none()
    return users.exclude(pk=account.owner_id).select_related("team")


def handover_requests_to_decide(user) -> QuerySet[HandoverRequest]:
    """Open handover requests on accounts ``user`` may hand over (a lead's team, an admin's
    all), oldest first; none for anyone else."""
    return (
        _decidable(user)
        .filter(status=HandoverRequest.Status.REQUESTED)
        .select_related("account", "account__owner", "requested_by", "proposed_owner")
        .order_by("requested_at", "pk")
    )


def _decidable(user) -> QuerySet[HandoverRequest]:
    if not scoping.can_manage(user):
        return HandoverRequest.objects.none()
    return scoping.editable(user, HandoverRequest.objects.all(), via="account")


def handover_requests_of(user, *, limit: int = 10) -> QuerySet[HandoverRequest]:
    """The handover requests ``user`` made, open ones first, then the latest decided."""
    qs = scoping.visible(user, HandoverRequest.objects.filter(requested_by=user), via="account")
    open_first = F("decided_at").desc(nulls_first=True)
    return qs.select_related(
        "account", "proposed_owner", "decided_by", "transfer__to_owner"
    ).order_by(open_first, "-requested_at")[:limit]


def handover_request_to_decide(user, pk: int) -> HandoverRequest:
    """One handover request ``user`` may decide (or has decided), or 404."""
    return get_object_or_404(_decidable(user).select_related("account"), pk=pk)


def open_handover_request(account: Account) -> HandoverRequest | None:
    """The account's handover request waiting for a decision, if any."""
    return (
        account.handover_requests.filter(status=HandoverRequest.Status.REQUESTED)
        .select_related("requested_by", "proposed_owner")
        .first()
    )


def can_transfer(user, account: Account) -> bool:
    """Handing an account over is for team leads (their team) and admins."""
    return scoping.can_manage(user) and scoping.can_edit(user, account)


# The timeline of an account merges rows of several tables. The kinds below are read through
# the account's reverse relations by name, so this app imports none of the apps above it.
TIMELINE_KINDS = {
    "interaction": ("interactions", "occurred_at"),
    "problem": ("problems", "opened_at"),
    "feedback": ("feedback", "received_on"),
    "transfer": ("transfers", "transferred_at"),
    "flag": ("risk_flags", "raised_at"),
}


@dataclass
class TimelineEntry:
    kind: str
    at: dt.datetime
    obj: object


@dataclass
class TimelinePage:
    entries: list[TimelineEntry]
    number: int
    has_next: bool
    kinds: list[str] = field(default_factory=list)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1


def timeline_kinds() -> list[str]:
    """The kinds of entry a timeline can show on this installation."""
    return [k for k, (rel, _f) in TIMELINE_KINDS.items() if hasattr(Account, rel)]


def _timeline_part(account: Account, kind: str) -> QuerySet:
    relation, when = TIMELINE_KINDS[kind]
    qs = getattr(account, relation).all()
    if kind == "interaction":
        qs = qs.filter(deleted_at__isnull=True)
    field_type = Account._meta.get_field(relation).related_model._meta.get_field(when)
    at = F(when) if isinstance(field_type, DateTimeField) else Cast(when, DateTimeField())
    return (
        qs.order_by()
        .annotate(t_kind=Value(kind, output_field=CharField()), t_at=at, t_pk=F("pk"))
        .values_list("t_kind", "t_at", "t_pk")
    )


def _present_and_promised(interactions: dict[int, object]) -> None:
    """Give each interaction of a timeline page ``present`` (the names of the contacts who were
    there, by name) and ``promised`` (its follow-ups' title, due date and done time, soonest
    due first): two queries of just that, instead of prefetching whole contacts and follow-ups
    (half the timeline's time; issue 18)."""
    model = Account._meta.get_field("interactions").related_model
    contacts = model._meta.get_field("contacts")
    present: dict[int, list[str]] = {}
    names = (
        contacts.remote_field.through.objects.filter(
            **{f"{contacts.m2m_field_name()}_id__in": list(interactions)}
        )
        .order_by(f"{contacts.m2m_reverse_field_name()}__name", "pk")
        .values_list(
            f"{contacts.m2m_field_name()}_id", f"{contacts.m2m_reverse_field_name()}__name"
        )
    )
    for interaction_id, name in names:
        present.setdefault(interaction_id, []).append(name)
    promised: dict[int, list[dict]] = {}
    follow_ups = (
        model._meta.get_field("follow_ups")
        .related_model.objects.filter(interaction_id__in=list(interactions))
        .order_by("due_on", "pk")
        .values("interaction_id", "title", "due_on", "done_at")
    )
    for follow_up in follow_ups:
        promised.setdefault(follow_up["interaction_id"], []).append(follow_up)
    for pk, interaction in interactions.items():
        interaction.present = present.get(pk, [])
        interaction.promised = promised.get(pk, [])


def _timeline_objects(account: Account, kind: str, pks: list[int]) -> dict[int, object]:
    if not pks:
        return {}
    relation, _when = TIMELINE_KINDS[kind]
    # In a dict by key: the page's order is the UNION's, not the model's.
    qs = getattr(account, relation).filter(pk__in=pks).order_by()
    if kind == "interaction":
        interactions = {obj.pk: obj for obj in qs.select_related("author")}
        _present_and_promised(interactions)
        return interactions
    if kind == "problem":
        qs = qs.select_related("opened_by")
    elif kind == "feedback":
        # with_category(): the promoter / passive cut in force, read once for the page
        qs = qs.with_category().select_related("contact", "author")
    elif kind == "transfer":
        qs = qs.select_related("from_owner", "to_owner", "transferred_by")
    elif kind == "flag":
        qs = qs.select_related("acknowledged_by", "resolved_by")
    return {obj.pk: obj for obj in qs}


MAX_TIMELINE_PAGE = 1_000_000


def timeline(
    account: Account, *, kinds: list[str] | None = None, page: int = 1, per_page: int = 20
) -> TimelinePage:
    """The account's history, newest first: one UNION query for the page's keys, then one
    query per kind on the page — the number of queries does not grow with the history."""
    available = timeline_kinds()
    kinds = [k for k in (kinds or available) if k in available] or available
    # Clamped: a page number from the query string may exceed what an SQL OFFSET can hold.
    page = min(max(int(page or 1), 1), MAX_TIMELINE_PAGE)
    parts = [_timeline_part(account, k) for k in kinds]
    union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    start = (page - 1) * per_page
    rows = list(union.order_by("-t_at", "-t_pk")[start : start + per_page + 1])
    has_next = len(rows) > per_page
    rows = rows[:per_page]
    by_kind: dict[str, list[int]] = {}
    for kind, _at, pk in rows:
        by_kind.setdefault(kind, []).append(pk)
    objects = {k: _timeline_objects(account, k, pks) for k, pks in by_kind.items()}
    entries = [
        TimelineEntry(kind=kind, at=at, obj=objects[kind][pk])
        for kind, at, pk in rows
        if pk in objects[kind]
    ]
    return TimelinePage(entries=entries, number=page, has_next=has_next, kinds=kinds)


# The account page shows the relationship kept by the interactions app; these read it through
# the account's reverse relations by name (see TIMELINE_KINDS) instead of importing that app.


def open_problems_on(account: Account) -> QuerySet:
    """Unresolved problems of the account, oldest first."""
    return (
        account.problems.exclude(status="resolved")
        .select_related("opened_by")
        .order_by("opened_at")
    )


def open_follow_ups_on(account: Account) -> QuerySet:
    """Open promises to the account, soonest due first."""
    return account.follow_ups.open().select_related("owner").order_by("due_on", "pk")


def latest_feedback_on(account: Account, *, limit: int = 5) -> QuerySet:
    """The latest feedback, each with its category by the thresholds in force."""
    qs = account.feedback.with_category().select_related("contact")
    return qs.order_by("-received_on", "-pk")[:limit]


def pending_handover_on(user, account: Account) -> OwnershipTransfer | None:
    """The handover of ``account`` to ``user`` still waiting for their acknowledgement."""
    return (
        account.transfers.filter(to_owner=user, acknowledged_at__isnull=True)
        .select_related("from_owner")
        .first()
    )


def latest_health_on(account: Account):
    """The account's latest health score (with its reasons), or None when not scored or when
    this installation has no health model."""
    if not hasattr(Account, "health_scores"):
        return None
    return account.health_scores.order_by("-scored_on").first()


def unresolved_flags_on(account: Account) -> list:
    """The account's risk flags that are not resolved (none without a health model)."""
    if not hasattr(Account, "risk_flags"):
        return []
    return list(account.risk_flags.exclude(status="resolved").order_by("-raised_at"))
