"""CSV imports of accounts, contacts and contracts (DESIGN.md "Public interfaces").

Each import reads the whole file, checks every row, matches rows to stored ones with a few set
lookups per chunk of keys, and then writes with ``bulk_create`` / ``bulk_update`` in one
transaction — or, when any row is bad, writes nothing and reports every bad row. A column the
file leaves out keeps the stored value; a column that is present but empty clears it (except
the keys: an empty ``external_id`` or contact ``email`` never removes a stored one).

CSV injection: a text cell that a spreadsheet would run as a formula (it starts with ``=`` or
``@``, or with ``+`` or ``-`` followed by more than a number or a phone number) is refused with
the row's line, as a bad value; ``-5`` in a number column is read as a number (and refused only
where the column takes no negative numbers), and a phone number such as ``+49 30 1234-56`` or a
note starting with ``- `` is kept. The check is ``Row.text`` in ``customers.csv_import``, so
every import kind has it. Values typed into a form or sent through the API are stored as they
are: every CSV export defuses such cells (``crm.exports.csv_cell`` prefixes them with ``'``).
"""

from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from crm.db import bulk_update_values, record_bulk_history
from crm.models import User

from .csv_import import (
    Column,
    Importer,
    ImportFailed,
    ImportResult,
    Row,
    RowError,
    chunks,
    group_by,
    read_csv,
    register,
    report_duplicates,
)
from .models import Account, Contact, Contract, OwnershipTransfer, Segment
from .services import contract_day_out_of_range, refresh_ledger

CREATE_BATCH = 2000
UPDATE_BATCH = 1000
HISTORY_REASON = "CSV import"


# --- shared lookups -------------------------------------------------------------------------


def resolve_accounts(rows: list[Row], *, column: str = "account") -> dict[int, int]:
    """The account id of each row (by line), found by external ID first, then by name. Rows
    whose account is missing or unknown get an error."""
    wanted = {row.values[column] for row in rows if row.values.get(column)}
    found: dict[str, int] = {}
    for chunk in chunks(wanted):
        found.update(
            (ext, pk)
            for pk, ext in Account.objects.filter(external_id__in=chunk).values_list(
                "pk", "external_id"
            )
        )
    for chunk in chunks(wanted - found.keys()):
        found.update(
            (name, pk)
            for pk, name in Account.objects.filter(name__in=chunk).values_list("pk", "name")
        )
    account_ids = {}
    for row in rows:
        value = row.text(column, required=True)
        if not value:
            continue
        if value in found:
            account_ids[row.line] = found[value]
        else:
            row.error(
                _("%(column)s “%(value)s” not found: no account has this external_id or name")
                % {"column": column, "value": value}
            )
    return account_ids


@dataclass(frozen=True)
class UserRef:
    pk: int
    team_id: int | None
    is_active: bool


def users_by_email(emails: set[str]) -> dict[str, UserRef]:
    """Users by lower-cased email (emails are unique regardless of case)."""
    wanted = {email.lower() for email in emails if email}
    users = {}
    for chunk in chunks(wanted):
        rows = (
            User.objects.annotate(email_lower=Lower("email"))
            .filter(email_lower__in=chunk)
            .values_list("email_lower", "pk", "team_id", "is_active")
        )
        users.update((email, UserRef(pk, team, active)) for email, pk, team, active in rows)
    return users


def lock_rows(model, pks: list[int]) -> None:
    """Lock the stored rows an import is about to change, in a stable order; refuse when one
    of them was deleted since the file was checked."""
    locked = 0
    for chunk in chunks(sorted(pks)):
        locked += len(model.objects.select_for_update().filter(pk__in=chunk).values_list("pk"))
    if locked != len(pks):
        raise IntegrityError(f"{len(pks) - locked} stored rows were deleted meanwhile")


def bulk_write(model, *, creates: list, updates: list, fields: set[str]) -> None:
    """Insert ``creates`` and update ``fields`` (plus ``updated_at``) of ``updates``."""
    model.objects.bulk_create(creates, batch_size=CREATE_BATCH)
    if updates:
        lock_rows(model, [obj.pk for obj in updates])
        now = timezone.now()
        for obj in updates:
            obj.updated_at = now
        bulk_update_values(model, updates, [*sorted(fields), "updated_at"], batch_size=UPDATE_BATCH)
    record_bulk_history(
        model, created=creates, updated_pks=[obj.pk for obj in updates], reason=HISTORY_REASON
    )


def write_atomically(write) -> None:
    """Run ``write`` in a transaction; a clash with a concurrent change refuses the file."""
    try:
        with transaction.atomic():
            write()
    except IntegrityError as exc:
        raise ImportFailed(
            [
                RowError(
                    None,
                    _(
                        "The data changed while importing, so nothing was written; run the "
                        "import again. (%(error)s)"
                    )
                    % {"error": exc},
                )
            ]
        ) from exc


@dataclass
class Change:
    """What one row does to one stored row (or a new one, when ``stored`` is None)."""

    row: Row
    values: dict[str, Any]
    stored: dict[str, Any] | None = None
    changed: dict[str, Any] = field(default_factory=dict)

    @property
    def action(self) -> str:
        if self.stored is None:
            return "create"
        return "update" if self.changed else "unchanged"

    def settle(self) -> None:
        if self.stored is not None:
            self.changed = {k: v for k, v in self.values.items() if self.stored[k] != v}

    def merged(self) -> dict[str, Any]:
        return {**(self.stored or {}), **self.values}


def count_changes(result: ImportResult, changes: list[Change]) -> None:
    for change in sorted(changes, key=lambda c: c.row.line):
        change.settle()
        result.count(change.row, change.action)


def report_same_target(changes: list[Change], describe) -> None:
    """Two rows of the file must not update the same stored row."""
    by_target = group_by(changes, lambda c: c.stored["pk"] if c.stored else None)
    report_duplicates(
        {(pk, describe(cs[0].stored)): [c.row for c in cs] for pk, cs in by_target.items()},
        lambda key: key[1],
    )


# --- accounts -------------------------------------------------------------------------------

ACCOUNT_COLUMNS = (
    Column("name", True, gettext_lazy("the company's name (unique)")),
    Column("external_id", help=gettext_lazy("its key in the billing or ERP system (unique)")),
    Column("segment", help=gettext_lazy("a new segment name creates the segment")),
    Column("industry"),
    Column("employees", help=gettext_lazy("a whole number")),
    Column(
        "owner_email",
        help=gettext_lazy(
            "the owning user's email; empty leaves the account unassigned; the account's "
            "team follows the owner's team; a changed owner is recorded as an ownership transfer"
        ),
    ),
)
ACCOUNT_FIELDS = ["pk", "name", "external_id", "segment_id", "industry", "employees"]
ACCOUNT_FIELDS += ["owner_id", "team_id"]


def import_accounts(*, data: bytes, dry_run: bool = False, by=None) -> ImportResult:
    """Create or update accounts from CSV, matched by ``external_id``, else by ``name``.
    A changed owner is recorded as an ownership transfer (by ``by``)."""
    table = read_csv(data, ACCOUNT_COLUMNS)
    rows = table.rows
    result = ImportResult(kind="accounts", dry_run=dry_run, columns=table.columns)
    parsed = []
    for row in rows:
        parsed.append(
            (
                row,
                row.text("name", max_length=200, required=True),
                row.text("external_id", max_length=100) or None,
                {
                    "segment": row.text("segment", max_length=100),
                    "industry": row.text("industry", max_length=100),
                    "employees": row.integer("employees"),
                    "owner_email": row.email("owner_email"),
                },
            )
        )
    report_duplicates(
        group_by(rows, lambda r: r.values.get("external_id") or None),
        lambda ext: _("external_id %(value)s") % {"value": ext},
    )
    report_duplicates(
        group_by(rows, lambda r: r.values.get("name") or None),
        lambda name: _("the account name “%(name)s”") % {"name": name},
    )

    with_segment = {v["segment"].lower(): v["segment"] for _r, _n, _e, v in parsed if v["segment"]}
    segments = {
        name.lower(): pk
        for pk, name in Segment.objects.values_list("pk", "name")
        if name.lower() in with_segment
    }
    new_segments = {key: name for key, name in with_segment.items() if key not in segments}
    owners = users_by_email({v["owner_email"] for _r, _n, _e, v in parsed})
    by_ext, by_name = {}, {}
    exts = {ext for _r, _n, ext, _v in parsed if ext}
    names = {name for _r, name, _e, _v in parsed if name}
    for chunk in chunks(exts):
        by_ext.update((a["external_id"], a) for a in _stored_accounts(external_id__in=chunk))
    for chunk in chunks(names):
        by_name.update((a["name"], a) for a in _stored_accounts(name__in=chunk))

    changes = []
    for row, name, ext, values in parsed:
        if not row.ok:
            continue
        stored = _match_account(row, name, ext, by_ext, by_name)
        new = {"name": name}
        if ext and (stored is None or stored["external_id"] is None):
            new["external_id"] = ext
        if row.has("segment"):
            key = values["segment"].lower()
            new["segment_id"] = segments.get(key, ("new", key)) if key else None
        if row.has("industry"):
            new["industry"] = values["industry"]
        if row.has("employees"):
            new["employees"] = values["employees"]
        if row.has("owner_email"):
            owner = _owner(row, values["owner_email"], owners)
            new["owner_id"] = owner.pk if owner else None
            new["team_id"] = owner.team_id if owner else None
        if row.ok:
            changes.append(Change(row, new, stored))
    report_same_target(changes, lambda a: _("the account “%(name)s”") % {"name": a["name"]})
    table.errors.raise_if_any()
    count_changes(result, changes)
    if new_segments:
        names = ", ".join(sorted(new_segments.values()))
        result.notes.append(_("new segments: %(names)s") % {"names": names})
    moves = [
        c
        for c in changes
        if c.stored is not None and c.changed.get("owner_id") not in (None, c.stored["owner_id"])
    ]
    if moves:
        result.notes.append(_("ownership transfers recorded: %(n)s") % {"n": len(moves)})
    if dry_run:
        return result

    def write():
        segment_ids = {
            key: Segment.objects.get_or_create(name=name)[0].pk
            for key, name in new_segments.items()
        }
        for change in changes:
            if isinstance(change.values.get("segment_id"), tuple):
                change.values["segment_id"] = segment_ids[change.values["segment_id"][1]]
        creates = [Account(**change.values) for change in changes if change.stored is None]
        updates = [c for c in changes if c.action == "update"]
        fields = {f for c in updates for f in c.changed}
        bulk_write(
            Account,
            creates=creates,
            updates=[Account(**c.merged()) for c in updates],
            fields=fields,
        )
        now = timezone.now()
        OwnershipTransfer.objects.bulk_create(
            OwnershipTransfer(
                account_id=c.stored["pk"],
                from_owner_id=c.stored["owner_id"],
                to_owner_id=c.values["owner_id"],
                transferred_by=by,
                transferred_at=now,
                reason=OwnershipTransfer.IMPORT_REASON,
            )
            for c in moves
        )

    write_atomically(write)
    return result


def _stored_accounts(**lookup) -> list[dict]:
    rows = Account.objects.filter(**lookup).values_list(*ACCOUNT_FIELDS)
    return [dict(zip(ACCOUNT_FIELDS, values, strict=True)) for values in rows]


def _match_account(row: Row, name: str, ext: str | None, by_ext, by_name) -> dict | None:
    """The stored account a row updates: by external ID, else by name (an account found by
    name takes the row's external ID only if it has none)."""
    same_name = by_name.get(name)
    if ext is None:
        return same_name
    stored = by_ext.get(ext)
    if stored is None:
        if same_name is not None and same_name["external_id"] is not None:
            row.error(
                _(
                    "the name “%(name)s” belongs to the account with external_id %(other)s, "
                    "not %(ext)s"
                )
                % {"name": name, "other": same_name["external_id"], "ext": ext}
            )
        return same_name
    if same_name is not None and same_name["pk"] != stored["pk"]:
        row.error(
            _("cannot rename account %(ext)s to “%(name)s”: another account has that name")
            % {"ext": ext, "name": name}
        )
    return stored


def _owner(row: Row, email: str, owners: dict[str, UserRef]) -> UserRef | None:
    if not email:
        return None
    owner = owners.get(email.lower())
    if owner is None:
        row.error(_("owner_email %(email)s is not the email of any user") % {"email": email})
    elif not owner.is_active:
        row.error(_("owner_email %(email)s belongs to a deactivated user") % {"email": email})
    return owner


register(
    Importer(
        kind="accounts",
        columns=ACCOUNT_COLUMNS,
        matched_by=gettext_lazy("external_id when given, else name"),
        run=import_accounts,
    )
)


# --- contacts -------------------------------------------------------------------------------

CONTACT_COLUMNS = (
    Column("account", True, gettext_lazy("the account's external_id or name")),
    Column("name", True, gettext_lazy("the person's name")),
    Column("email"),
    Column("phone"),
    Column("title", help=gettext_lazy("job title")),
    Column("is_decision_maker", help=gettext_lazy("true/false, yes/no, 1/0 or empty (= no)")),
    Column("is_champion", help=gettext_lazy("true/false, yes/no, 1/0 or empty (= no)")),
    Column("preferred_channel", help=gettext_lazy("email, phone, video, in_person or chat")),
    Column("preferences", help=gettext_lazy("personal preferences, free text")),
    Column("left_on", help=gettext_lazy("the date the person left the company (YYYY-MM-DD)")),
)
CONTACT_FIELDS = ["pk", "account_id", "name", "email", "phone", "title", "is_decision_maker"]
CONTACT_FIELDS += ["is_champion", "preferred_channel", "preferences", "left_on"]


def import_contacts(*, data: bytes, dry_run: bool = False, by=None) -> ImportResult:
    """Create or update contacts from CSV, matched by (account, email) when the row has an
    email, else by (account, name). A stored contact without email is found by name."""
    table = read_csv(data, CONTACT_COLUMNS)
    rows = table.rows
    result = ImportResult(kind="contacts", dry_run=dry_run, columns=table.columns)
    account_ids = resolve_accounts(rows)
    parsed = []
    for row in rows:
        values = {"name": row.text("name", max_length=200, required=True)}
        email = row.email("email")
        optional = {
            "phone": lambda r: r.text("phone", max_length=50),
            "title": lambda r: r.text("title", max_length=200),
            "is_decision_maker": lambda r: r.boolean("is_decision_maker"),
            "is_champion": lambda r: r.boolean("is_champion"),
            "preferred_channel": lambda r: r.choice("preferred_channel", Contact.Channel),
            "preferences": lambda r: r.text("preferences"),
            "left_on": lambda r: r.date("left_on"),
        }
        values.update((name, read(row)) for name, read in optional.items() if row.has(name))
        parsed.append((row, account_ids.get(row.line), email, values))

    def key(item):
        row, account_id, email, _values = item
        if account_id is None:
            return None
        return (
            (account_id, "email", email.lower())
            if email
            else (account_id, "name", row.values["name"])
        )

    keyed = group_by(parsed, key)
    report_duplicates(
        {k: [item[0] for item in items] for k, items in keyed.items()},
        lambda k: (
            (
                _("the contact with email “%(value)s” of this account")
                if k[1] == "email"
                else _("the contact named “%(value)s” of this account")
            )
            % {"value": k[2]}
        ),
    )
    stored_by_email, stored_by_name = {}, {}
    for chunk in chunks({aid for _r, aid, _e, _v in parsed if aid is not None}):
        for values in Contact.objects.filter(account_id__in=chunk).values_list(*CONTACT_FIELDS):
            contact = dict(zip(CONTACT_FIELDS, values, strict=True))
            if contact["email"]:
                stored_by_email[(contact["account_id"], contact["email"].lower())] = contact
            stored_by_name.setdefault((contact["account_id"], contact["name"]), []).append(contact)

    changes = []
    for row, account_id, email, values in parsed:
        if not row.ok:
            continue
        same_name = stored_by_name.get((account_id, values["name"]), [])
        without_email = [c for c in same_name if not c["email"]]
        if email:
            stored = stored_by_email.get((account_id, email.lower()))
            if stored is None and len(without_email) == 1:
                stored = without_email[0]
        else:
            candidates = without_email or same_name
            if len(candidates) > 1:
                text = _(
                    "account “%(account)s” has %(n)s contacts named “%(name)s”: add their "
                    "email to tell them apart"
                )
                params = {"account": row.values["account"], "n": len(candidates)}
                row.error(text % {**params, "name": values["name"]})
                continue
            stored = candidates[0] if candidates else None
        if email and (stored is None or not stored["email"]):
            values["email"] = email
        if stored is None:
            values["account_id"] = account_id
        changes.append(Change(row, values, stored))
    report_same_target(changes, lambda c: _("the stored contact “%(name)s”") % {"name": c["name"]})
    table.errors.raise_if_any()
    count_changes(result, changes)
    if dry_run:
        return result

    def write():
        updates = [c for c in changes if c.action == "update"]
        bulk_write(
            Contact,
            creates=[Contact(**c.values) for c in changes if c.stored is None],
            updates=[Contact(**c.merged()) for c in updates],
            fields={f for c in updates for f in c.changed},
        )

    write_atomically(write)
    return result


register(
    Importer(
        kind="contacts",
        columns=CONTACT_COLUMNS,
        matched_by=gettext_lazy("(account, email) when email is given, else (account, name)"),
        run=import_contacts,
    )
)


# --- contracts ------------------------------------------------------------------------------

CONTRACT_COLUMNS = (
    Column("account", True, gettext_lazy("the account's external_id or name")),
    Column("reference", True, gettext_lazy("the contract's unique reference")),
    Column("start_date", True, "YYYY-MM-DD"),
    Column("end_date", help=gettext_lazy("YYYY-MM-DD, empty = open-ended")),
    Column(
        "cancelled_on",
        help=gettext_lazy("YYYY-MM-DD, the first day it no longer counts; empty = none"),
    ),
    Column(
        "monthly_value", True, gettext_lazy("a number ≥ 0 with at most two decimals, e.g. 1200.50")
    ),
)
CONTRACT_FIELDS = ["pk", "account_id", "start_date", "end_date", "cancelled_on", "monthly_value"]


def import_contracts(*, data: bytes, dry_run: bool = False, by=None) -> ImportResult:
    """Create or update contracts from CSV, matched by ``reference``, and refresh the ledger
    (spans and cached status) of every account whose contracts changed, in one transaction."""
    table = read_csv(data, CONTRACT_COLUMNS)
    rows = table.rows
    result = ImportResult(kind="contracts", dry_run=dry_run, columns=table.columns)
    account_ids = resolve_accounts(rows)
    parsed = []
    for row in rows:
        values = {
            "account_id": account_ids.get(row.line),
            "start_date": row.date("start_date", required=True),
            "monthly_value": row.decimal("monthly_value", required=True),
        }
        for name in ("end_date", "cancelled_on"):
            if row.has(name):
                values[name] = row.date(name)
        for name in ("start_date", "end_date", "cancelled_on"):
            if contract_day_out_of_range(values.get(name)):
                row.error(
                    _("%(column)s %(day)s is not between 1900 and 2999")
                    % {"column": name, "day": values[name]}
                )
        parsed.append((row, row.text("reference", max_length=100, required=True), values))
    report_duplicates(
        group_by(rows, lambda r: r.values.get("reference") or None),
        lambda ref: _("reference %(value)s") % {"value": ref},
    )
    stored = {}
    for chunk in chunks({ref for _r, ref, _v in parsed if ref}):
        for ref, *values in Contract.objects.filter(reference__in=chunk).values_list(
            "reference", *CONTRACT_FIELDS
        ):
            stored[ref] = dict(zip(CONTRACT_FIELDS, values, strict=True))

    changes = []
    for row, reference, values in parsed:
        if not row.ok:
            continue
        change = Change(row, values, stored.get(reference))
        terms = {"end_date": None, "cancelled_on": None, **change.merged()}
        start = terms["start_date"]
        if terms["end_date"] is not None and terms["end_date"] < start:
            row.error(
                _("end_date %(day)s is before start_date %(start)s")
                % {"day": terms["end_date"], "start": start}
            )
        if terms["cancelled_on"] is not None and terms["cancelled_on"] < start:
            row.error(
                _("cancelled_on %(day)s is before start_date %(start)s")
                % {"day": terms["cancelled_on"], "start": start}
            )
        if change.stored is None:
            values["reference"] = reference
        changes.append(change)
    table.errors.raise_if_any()
    count_changes(result, changes)
    touched = set()
    for change in changes:
        if change.action != "unchanged":
            touched.add(change.values["account_id"])
            if change.stored is not None:
                touched.add(change.stored["account_id"])
    if touched:
        if dry_run:
            text = ngettext(
                "ledger to refresh for %(n)s account",
                "ledger to refresh for %(n)s accounts",
                len(touched),
            )
        else:
            text = ngettext(
                "ledger refreshed for %(n)s account",
                "ledger refreshed for %(n)s accounts",
                len(touched),
            )
        result.notes.append(text % {"n": len(touched)})
    if dry_run:
        return result

    def write():
        updates = [c for c in changes if c.action == "update"]
        bulk_write(
            Contract,
            creates=[Contract(**c.values) for c in changes if c.stored is None],
            updates=[Contract(**c.merged()) for c in updates],
            fields={f for c in updates for f in c.changed},
        )
        refresh_ledger(account_ids=touched)

    write_atomically(write)
    return result


register(
    Importer(
        kind="contracts",
        columns=CONTRACT_COLUMNS,
        matched_by="reference",
        run=import_contracts,
    )
)
