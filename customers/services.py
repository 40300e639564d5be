"""Things that change accounts, contracts and ownership. Each writes inside a transaction and
keeps the derived ledger (``CustomerSpan``, ``MrrSpan`` and the account's cached status) in
step."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from crm import events, inbox, scoping
from crm.db import bulk_update_values, bulk_write, chunks

from .ledger import ContractTerms, DerivedStatus, derive_status, merge_spans, mrr_pieces
from .models import (
    Account,
    ChurnReason,
    ChurnRecord,
    Contact,
    Contract,
    CustomerSpan,
    LedgerRevision,
    MrrSpan,
    OwnershipTransfer,
    Segment,
)
from .selectors import can_transfer

LEDGER_CHUNK = 2000
DERIVED_FIELDS = ["customer_since", "churned_on", "mrr", "next_renewal_on", "derived_on"]


def _chunks(ids: list[int], size: int) -> Iterable[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def refresh_ledger(*, account_ids: Iterable[int], today: dt.date | None = None) -> int:
    """Recompute the customer spans, the MRR spans and the cached status of these accounts
    from their contracts, record a ``LedgerRevision`` (what caches of figures are keyed by)
    and announce them (``crm.events``: a contract was written, so their health is scored
    again). Returns how many accounts were refreshed. Call inside the writer's transaction:
    every contract write does."""
    ids = sorted(set(account_ids))
    _refresh_ledger(ids, today=today or timezone.localdate())
    events.announce(ids, events.What.CONTRACT)
    return len(ids)


def _refresh_ledger(ids: list[int], *, today: dt.date) -> set[int]:
    """``refresh_ledger`` without the announcement; returns the accounts whose spans or
    cached status changed, and publishes ``CustomerSpanStarted`` for every span it did not
    hold before."""
    changed: set[int] = set()
    for chunk in _chunks(ids, LEDGER_CHUNK):
        with transaction.atomic():
            # One refresh of an account at a time (two editors, an edit and the nightly
            # rebuild): without the lock, both would read the contracts, delete the spans and
            # insert their own, overlapping or colliding on (account, start).
            cached = {
                pk: DerivedStatus(*status)
                for pk, *status in Account.objects.filter(pk__in=chunk)
                .order_by("pk")
                .select_for_update()
                .values_list("pk", *DERIVED_FIELDS[:-1])
            }
            terms: dict[int, list[ContractTerms]] = defaultdict(list)
            rows = Contract.objects.filter(account_id__in=chunk).values_list(
                "account_id", "start_date", "end_date", "cancelled_on", "monthly_value"
            )
            for account_id, start, end, cancelled, value in rows:
                terms[account_id].append(ContractTerms(start, end, cancelled, value))
            before: dict[int, list[tuple]] = defaultdict(list)
            spans = CustomerSpan.objects.filter(account_id__in=chunk).order_by("start_date")
            for account_id, first, last in spans.values_list(
                "account_id", "start_date", "end_date"
            ):
                before[account_id].append((first, last))
            after = {aid: merge_spans(terms.get(aid, ())) for aid in chunk}
            CustomerSpan.objects.filter(account_id__in=chunk).delete()
            CustomerSpan.objects.bulk_create(
                CustomerSpan(account_id=aid, start_date=first, end_date=last)
                for aid in chunk
                for first, last in after[aid]
            )
            MrrSpan.objects.filter(account_id__in=chunk).delete()
            MrrSpan.objects.bulk_create(
                MrrSpan(account_id=aid, start_date=first, end_date=last, mrr=mrr)
                for aid in chunk
                for first, last, mrr in mrr_pieces(terms.get(aid, ()))
            )
            accounts = []
            for aid in chunk:
                status = derive_status(terms.get(aid, []), today)
                accounts.append(Account(pk=aid, derived_on=today, **status._asdict()))
                if status != cached.get(aid) or after[aid] != before.get(aid, []):
                    changed.add(aid)
                old_starts = {first for first, _last in before.get(aid, ())}
                for first, _last in after[aid]:
                    if first not in old_starts:
                        events.publish(events.CustomerSpanStarted(aid, first))
            bulk_update_values(Account, accounts, DERIVED_FIELDS)
    if ids:
        LedgerRevision.objects.create()
    return changed


def ledger_revision() -> int:
    """The ledger's version: grows with every ``refresh_ledger`` (one index lookup)."""
    last = LedgerRevision.objects.order_by("-pk").values_list("pk", flat=True).first()
    return last or 0


def rebuild_derived(*, today: dt.date | None = None) -> dict[str, int]:
    """Rebuild every account's spans, cached status and ``last_meeting_or_call_at`` from the
    source of truth. Safe to run at any time; used nightly and by ``manage.py rebuild_derived``."""
    from django.db.models import Max, OuterRef, Q, Subquery

    ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    changed = _refresh_ledger(ids, today=today or timezone.localdate())
    # Only the newest revision is ever read: the others can go.
    LedgerRevision.objects.filter(pk__lt=ledger_revision()).delete()
    # last_meeting_or_call_at comes from interactions, an app above this one: read through the
    # reverse relation by name so this module does not import it.
    last = (
        Account.objects.filter(pk=OuterRef("pk"))
        .annotate(
            last=Max(
                "interactions__occurred_at",
                filter=Q(
                    interactions__kind__in=["meeting", "call"],
                    interactions__deleted_at__isnull=True,
                ),
            )
        )
        .values("last")
    )
    with transaction.atomic():
        Account.objects.update(last_meeting_or_call_at=Subquery(last))
        # Only what moved is scored again (most nights: the contracts that ended or began);
        # a healed ``last_meeting_or_call_at`` waits for the night's scoring.
        if changed:
            events.publish(events.AccountsChanged(changed, events.What.CONTRACT))
    return {"accounts": len(ids), "changed": len(changed)}


def get_or_create_segment(*, name: str) -> Segment:
    segment, _created = Segment.objects.get_or_create(name=name.strip())
    return segment


@transaction.atomic
def create_account(*, name: str, owner=None, segment: Segment | None = None, **fields) -> Account:
    """Create an account; its team follows its owner's team unless given."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("An account needs a name.")})
    if Account.objects.filter(name=name).exists():
        raise ValidationError({"name": _("An account named “%(name)s” exists.") % {"name": name}})
    fields.setdefault("team", owner.team if owner is not None else None)
    # A blank external ID is "none": stored as NULL so the unique constraint ignores it.
    if not (fields.get("external_id") or "").strip():
        fields["external_id"] = None
    account = Account(name=name, owner=owner, segment=segment, **fields)
    account.full_clean()
    account.save()
    return account


# Contract days outside these are typing mistakes (open-ended is an empty end date), and the
# ledger's day arithmetic (the day after an end, before a cancellation) must stay inside what
# ``datetime.date`` can hold.
EARLIEST_CONTRACT_DAY, LATEST_CONTRACT_DAY = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


# What a contract write sets (``create_contract`` takes them all, ``update_contract`` any).
CONTRACT_FIELDS = ("account", "reference", "start_date", "end_date", "cancelled_on")
CONTRACT_FIELDS += ("notice_period_days", "notice_given_on", "renewal_confirmed", "monthly_value")


def contract_day_out_of_range(day: dt.date | None) -> bool:
    return day is not None and not EARLIEST_CONTRACT_DAY <= day <= LATEST_CONTRACT_DAY


def validate_contract_terms(start, end, cancelled, value) -> None:
    """Refuse terms the ledger cannot hold, naming the field (shared by forms and services)."""
    errors = {}
    for field, day in (("start_date", start), ("end_date", end), ("cancelled_on", cancelled)):
        if contract_day_out_of_range(day):
            errors[field] = _("Give a day between 1900 and 2999.")
    if errors:
        raise ValidationError(errors)
    if end is not None and end < start:
        errors["end_date"] = _("The end date is before the start date.")
    if cancelled is not None and cancelled < start:
        errors["cancelled_on"] = _("The cancellation is before the start date.")
    if value is not None and Decimal(value) < 0:
        errors["monthly_value"] = _("The monthly value cannot be negative.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_contract(
    *,
    account: Account,
    reference: str,
    start_date: dt.date,
    monthly_value: Decimal,
    end_date: dt.date | None = None,
    cancelled_on: dt.date | None = None,
    notice_period_days: int | None = None,
    notice_given_on: dt.date | None = None,
    renewal_confirmed: bool = False,
    today: dt.date | None = None,
) -> Contract:
    """Add a contract to the ledger and refresh the account's spans and status."""
    validate_contract_terms(start_date, end_date, cancelled_on, monthly_value)
    Account.objects.select_for_update().filter(pk=account.pk).first()
    contract = Contract(
        account=account,
        reference=reference.strip(),
        start_date=start_date,
        end_date=end_date,
        cancelled_on=cancelled_on,
        notice_period_days=notice_period_days,
        notice_given_on=notice_given_on,
        renewal_confirmed=renewal_confirmed,
        monthly_value=monthly_value,
    )
    contract.full_clean()
    contract.save()
    refresh_ledger(account_ids=[account.pk], today=today)
    return contract


@transaction.atomic
def update_contract(*, contract: Contract, today: dt.date | None = None, **changes) -> Contract:
    """Change a contract's terms and refresh the ledger of its account (and of the previous
    account, when it moved)."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    old_account_id = contract.account_id
    for field, value in changes.items():
        setattr(contract, field, value)
    validate_contract_terms(
        contract.start_date, contract.end_date, contract.cancelled_on, contract.monthly_value
    )
    contract.full_clean()
    contract.save()
    refresh_ledger(account_ids={old_account_id, contract.account_id}, today=today)
    return contract


@transaction.atomic
def delete_contracts(*, contracts: Iterable[Contract], today: dt.date | None = None) -> int:
    """Remove contracts from the ledger and refresh their accounts' spans and status. Returns
    how many were deleted."""
    rows = Contract.objects.filter(pk__in=[contract.pk for contract in contracts])
    account_ids = set(rows.select_for_update().values_list("account_id", flat=True))
    _total, deleted = rows.delete()
    refresh_ledger(account_ids=account_ids, today=today)
    return deleted.get(Contract._meta.label, 0)


@transaction.atomic
def import_contracts(
    *,
    new: list[Contract],
    changed: list[Contract],
    fields: Iterable[str],
    reason: str,
    today: dt.date | None = None,
) -> int:
    """Write many contracts at once (the CSV import): insert ``new`` and update ``fields`` of
    ``changed``, each checked by ``validate_contract_terms``, then refresh the ledger of every
    account they touch (the previous one too, when a contract moved), once. Returns how many
    accounts were refreshed."""
    for contract in (*new, *changed):
        validate_contract_terms(
            contract.start_date, contract.end_date, contract.cancelled_on, contract.monthly_value
        )
    touched = {contract.account_id for contract in (*new, *changed)}
    for chunk in chunks([contract.pk for contract in changed]):
        touched.update(Contract.objects.filter(pk__in=chunk).values_list("account_id", flat=True))
    bulk_write(Contract, creates=new, updates=changed, fields=fields, reason=reason)
    return refresh_ledger(account_ids=touched, today=today)


@transaction.atomic
def cancel_contract(
    *, contract: Contract, cancelled_on: dt.date, today: dt.date | None = None
) -> Contract:
    """Cancel a contract from ``cancelled_on`` (the first day it no longer counts)."""
    return update_contract(contract=contract, cancelled_on=cancelled_on, today=today)


def check_transfer(*, account: Account, to_owner, reason: str) -> None:
    """Refuse a handover to the current owner, to an inactive user, or without a reason
    (shared by ``transfer_ownership`` and the admin's form, which shows it on the fields)."""
    errors = {}
    if account.owner_id == to_owner.pk:
        errors["to_owner"] = _("%(user)s already owns this account.") % {"user": to_owner}
    elif not to_owner.is_active:
        errors["to_owner"] = _("%(user)s is not an active user.") % {"user": to_owner}
    if not reason.strip():
        errors["reason"] = _("Say why the account changes hands.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def transfer_ownership(
    *,
    account: Account,
    to_owner,
    by,
    reason: str,
    handover_notes: str = "",
    at: dt.datetime | None = None,
) -> OwnershipTransfer:
    """Hand an account to a new owner (and their team), recording the handover the new
    owner is to acknowledge. Only a team lead who may change the account, or an admin, hands
    it over (``by``)."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    if not can_transfer(by, account):
        raise PermissionDenied(
            _("Only a team lead of the account's team or an admin can hand it over.")
        )
    check_transfer(account=account, to_owner=to_owner, reason=reason)
    transfer = OwnershipTransfer.objects.create(
        account=account,
        from_owner_id=account.owner_id,
        to_owner=to_owner,
        transferred_by=by,
        transferred_at=at or timezone.now(),
        reason=reason.strip(),
        handover_notes=handover_notes,
    )
    account.owner = to_owner
    account.team_id = to_owner.team_id
    account.save(update_fields=["owner", "team", "updated_at"])
    events.publish(events.OwnershipTransferred(transfer.pk))
    events.publish(events.AccountChanged(account.pk, events.What.OWNER))
    inbox.post(
        user=to_owner,
        kind=inbox.Kind.HANDOVER,
        message=HANDED,
        topic=inbox.topic("transfer", transfer.pk),
        link=reverse("customers:handover_list"),
        params={"account": account.name, "by": str(by or _("an admin"))},
    )
    return transfer


@transaction.atomic
def acknowledge_handover(*, transfer: OwnershipTransfer, user) -> OwnershipTransfer:
    """The new owner confirms they have read the handover. Only they can; twice is harmless."""
    transfer = OwnershipTransfer.objects.select_for_update().get(pk=transfer.pk)
    if transfer.to_owner_id != user.pk:
        raise ValidationError(_("Only the new owner can acknowledge this handover."))
    if transfer.acknowledged_at is None:
        transfer.acknowledged_at = timezone.now()
        transfer.save(update_fields=["acknowledged_at"])
    inbox.settle(topics=[inbox.topic("transfer", transfer.pk)])
    return transfer


@transaction.atomic
def record_churn(*, account: Account, reason: ChurnReason, notes: str = "", by=None) -> ChurnRecord:
    """Say why an account left. The date is the ledger's ``churned_on``, not typed in."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    if account.churned_on is None:
        raise ValidationError(
            _("%(account)s has not churned according to its contracts.") % {"account": account}
        )
    record, _created = ChurnRecord.objects.update_or_create(
        account=account,
        churned_on=account.churned_on,
        defaults={"reason": reason, "notes": notes, "recorded_by": by},
    )
    return record


# --- contacts and handovers (the CSM's workspace) ---

CONTACT_FIELDS = (
    "name",
    "email",
    "phone",
    "title",
    "is_decision_maker",
    "is_champion",
    "preferred_channel",
    "language",
    "preferences",
    "left_on",
)


# What the relationship measure reads of a contact (a name or a phone number it does not).
CONTACT_ROLE_FIELDS = ("is_champion", "is_decision_maker", "left_on")


def _check_contact_fields(fields: dict) -> None:
    unknown = set(fields) - set(CONTACT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown contact fields: {', '.join(sorted(unknown))}")


def _check_contact(contact: Contact) -> None:
    if not contact.name:
        raise ValidationError({"name": _("A contact needs a name.")})
    if contact.email:
        others = Contact.objects.filter(account_id=contact.account_id, email__iexact=contact.email)
        if others.exclude(pk=contact.pk).exists():
            raise ValidationError(
                {"email": _("Another contact of this account has this email address.")}
            )


@transaction.atomic
def create_contact(*, account: Account, name: str, **fields) -> Contact:
    """Add a person at the customer, with their roles for us and what they prefer."""
    _check_contact_fields(fields)
    contact = Contact(account=account, name=name.strip(), **fields)
    _check_contact(contact)
    contact.full_clean()
    contact.save()
    # Any contact gives the relationship measure something to see.
    events.publish(events.AccountChanged(account.pk, events.What.CONTACT))
    return contact


@transaction.atomic
def update_contact(*, contact: Contact, **changes) -> Contact:
    """Change a contact's details, roles or preferences (the account stays the same)."""
    _check_contact_fields(changes)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    roles_before = [getattr(contact, f) for f in CONTACT_ROLE_FIELDS]
    for field, value in changes.items():
        setattr(contact, field, value.strip() if field == "name" else value)
    _check_contact(contact)
    contact.full_clean()
    contact.save()
    if [getattr(contact, f) for f in CONTACT_ROLE_FIELDS] != roles_before:
        events.publish(events.AccountChanged(contact.account_id, events.What.CONTACT))
    return contact


@transaction.atomic
def transfer_portfolio(
    *,
    from_owner,
    to_owner,
    by,
    reason: str,
    handover_notes: str = "",
    at: dt.datetime | None = None,
) -> list[OwnershipTransfer]:
    """Hand every account of ``from_owner`` that ``by`` may change to ``to_owner`` in one step:
    one transfer per account (each for the new owner to acknowledge), set-based. Only team
    leads and admins hand portfolios over."""
    if not scoping.can_manage(by):
        raise PermissionDenied(_("Only a team lead or an admin can hand a portfolio over."))
    errors = {}
    if from_owner.pk == to_owner.pk:
        errors["to_owner"] = _("Choose someone other than the current owner.")
    elif not to_owner.is_active:
        errors["to_owner"] = _("%(user)s is not an active user.") % {"user": to_owner}
    if not reason.strip():
        errors["reason"] = _("Say why the accounts change hands.")
    if errors:
        raise ValidationError(errors)
    mine = scoping.editable(by, Account.objects.filter(owner=from_owner))
    ids = list(mine.select_for_update().order_by("pk").values_list("pk", flat=True))
    if not ids:
        raise ValidationError(
            {"from_owner": _("%(user)s has no accounts you can hand over.") % {"user": from_owner}}
        )
    at = at or timezone.now()
    transfers = OwnershipTransfer.objects.bulk_create(
        OwnershipTransfer(
            account_id=pk,
            from_owner=from_owner,
            to_owner=to_owner,
            transferred_by=by,
            transferred_at=at,
            reason=reason.strip(),
            handover_notes=handover_notes,
        )
        for pk in ids
    )
    for chunk in _chunks(ids, LEDGER_CHUNK):
        Account.objects.filter(pk__in=chunk).update(
            owner=to_owner, team_id=to_owner.team_id, updated_at=timezone.now()
        )
    for transfer in transfers:
        events.publish(events.OwnershipTransferred(transfer.pk))
    events.publish(events.AccountsChanged(ids, events.What.OWNER))
    # One item for the whole portfolio, not one per account.
    inbox.post(
        user=to_owner,
        kind=inbox.Kind.HANDOVER,
        message=HANDED_PORTFOLIO,
        topic=inbox.topic("portfolio", transfers[0].pk),
        link=reverse("customers:handover_list"),
        params={"count": len(transfers), "from": str(from_owner), "by": str(by)},
    )
    return transfers


# --- the inbox's wording of what this app posts (registered by CustomersConfig.ready) ---

HANDED = "handover"
HANDED_PORTFOLIO = "handover_portfolio"


def register_inbox_messages() -> None:
    inbox.register(
        HANDED,
        gettext_lazy("%(account)s was handed to you by %(by)s: read the handover, acknowledge it"),
    )
    inbox.register(
        HANDED_PORTFOLIO,
        ngettext_lazy(
            "%(count)s account of %(from)s was handed to you by %(by)s",
            "%(count)s accounts of %(from)s were handed to you by %(by)s",
            "count",
        ),
    )
