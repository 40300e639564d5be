"""CSV imports of accounts, contacts and contracts (DESIGN.md "Public interfaces"): their
columns and how their rows match stored ones. Reading the file, checking every row, refusing
the whole file, the report and the bulk write are the runner's (``crm.csv_import.runner``). A
column the file leaves out keeps the stored value; a column that is present but empty clears it
(except the keys: an empty ``external_id`` or contact ``email`` never removes a stored one).

CSV injection: a text cell that a spreadsheet would run as a formula is refused with the row's
line, as a bad value (``crm.spreadsheet.formula_in`` says which: a leading ``=``, ``@``, or
``+``/``-`` followed by more than a number or phone number, also after a comma, semicolon, tab
or line break inside the cell). ``-5`` in a number column is read as a number, and a phone
number such as ``+49 30 1234-56`` is kept. Values typed into a
form or sent through the API are stored as they are: every CSV export defuses such cells
(``crm.exports``).
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from crm import events
from crm.csv_import.reading import Column
from crm.csv_import.rows import Row
from crm.csv_import.runner import (
    HISTORY_REASON,
    Change,
    Parsed,
    UpsertImport,
    register,
)
from crm.db import chunks
from crm.models import User

from . import services
from .models import Account, Contact, Contract, OwnershipTransfer, Segment

# --- shared lookups -------------------------------------------------------------------------


def resolve_accounts(rows: list[Row], *, column: str = "account") -> dict[int, int]:
    """The account id of each row (by line), found by external ID first, then by name. Rows
    whose account is missing or unknown get an error."""
    wanted = {row.value(column) for row in rows if row.value(column)}
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


def stored_rows(model, fields: list[str], **lookup) -> list[dict]:
    """The stored rows of ``model`` matching ``lookup``, as dicts of ``fields``."""
    rows = model.objects.filter(**lookup).values_list(*fields)
    return [dict(zip(fields, values, strict=True)) for values in rows]


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


@register
class AccountImport(UpsertImport):
    """Create or update accounts, matched by ``external_id``, else by ``name``. A changed
    owner is recorded as an ownership transfer (by ``by``)."""

    kind = "accounts"
    model = Account
    columns = ACCOUNT_COLUMNS
    matched_by = gettext_lazy("external_id when given, else name")

    def parse(self, row: Row) -> Parsed:
        return Parsed(
            row,
            {
                "name": row.text("name", max_length=200, required=True),
                "external_id": row.text("external_id", max_length=100) or None,
                "segment": row.text("segment", max_length=100),
                "industry": row.text("industry", max_length=100),
                "employees": row.integer("employees"),
                "owner_email": row.email("owner_email"),
            },
        )

    def unique_keys(self):
        return [
            (
                lambda item: item.row.value("external_id") or None,
                lambda ext: _("external_id %(value)s") % {"value": ext},
            ),
            (
                lambda item: item.row.value("name") or None,
                lambda name: _("the account name “%(name)s”") % {"name": name},
            ),
        ]

    def load(self, parsed: list[Parsed]) -> None:
        named = {p.values["segment"].lower(): p.values["segment"] for p in parsed}
        named.pop("", None)
        self.segments = {
            name.lower(): pk
            for pk, name in Segment.objects.values_list("pk", "name")
            if name.lower() in named
        }
        self.new_segments = {key: name for key, name in named.items() if key not in self.segments}
        self.owners = users_by_email({p.values["owner_email"] for p in parsed})
        self.by_ext, self.by_name = {}, {}
        for chunk in chunks({p.values["external_id"] for p in parsed} - {None}):
            stored = stored_rows(Account, ACCOUNT_FIELDS, external_id__in=chunk)
            self.by_ext.update((a["external_id"], a) for a in stored)
        for chunk in chunks({p.values["name"] for p in parsed}):
            self.by_name.update(
                (a["name"], a) for a in stored_rows(Account, ACCOUNT_FIELDS, name__in=chunk)
            )

    def match(self, item: Parsed) -> Change:
        row, values = item.row, item.values
        name, ext = values["name"], values["external_id"]
        stored = self._stored(row, name, ext)
        new = {"name": name}
        if ext and (stored is None or stored["external_id"] is None):
            new["external_id"] = ext
        if row.has("segment"):
            key = values["segment"].lower()
            new["segment_id"] = self.segments.get(key, ("new", key)) if key else None
        if row.has("industry"):
            new["industry"] = values["industry"]
        if row.has("employees"):
            new["employees"] = values["employees"]
        if row.has("owner_email"):
            owner = self._owner(row, values["owner_email"])
            new["owner_id"] = owner.pk if owner else None
            new["team_id"] = owner.team_id if owner else None
        return Change(row, new, stored)

    def _stored(self, row: Row, name: str, ext: str | None) -> dict | None:
        """The stored account a row updates: by external ID, else by name (an account found
        by name takes the row's external ID only if it has none)."""
        same_name = self.by_name.get(name)
        if ext is None:
            return same_name
        stored = self.by_ext.get(ext)
        if stored is None:
            if same_name is not None and same_name["external_id"] is not None:
                row.error(
                    _(
                        "the name “%(name)s” belongs to the account with external_id "
                        "%(other)s, not %(ext)s"
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

    def _owner(self, row: Row, email: str) -> UserRef | None:
        if not email:
            return None
        owner = self.owners.get(email.lower())
        if owner is None:
            row.error(_("owner_email %(email)s is not the email of any user") % {"email": email})
        elif not owner.is_active:
            row.error(_("owner_email %(email)s belongs to a deactivated user") % {"email": email})
        return owner

    def describe_stored(self, stored: dict) -> str:
        return _("the account “%(name)s”") % {"name": stored["name"]}

    def notes(self, changes: list[Change]) -> list[str]:
        notes = []
        if self.new_segments:
            names = ", ".join(sorted(self.new_segments.values()))
            notes.append(_("new segments: %(names)s") % {"names": names})
        if moves := _owner_changes(changes):
            notes.append(_("ownership transfers recorded: %(n)s") % {"n": len(moves)})
        return notes

    def write(self, changes: list[Change]) -> None:
        segment_ids = {
            key: services.get_or_create_segment(name=name).pk
            for key, name in self.new_segments.items()
        }
        for change in changes:
            if isinstance(change.values.get("segment_id"), tuple):
                change.values["segment_id"] = segment_ids[change.values["segment_id"][1]]
        super().write(changes)
        now = timezone.now()
        transfers = OwnershipTransfer.objects.bulk_create(
            OwnershipTransfer(
                account_id=c.stored["pk"],
                from_owner_id=c.stored["owner_id"],
                to_owner_id=c.values["owner_id"],
                transferred_by=self.by,
                transferred_at=now,
                reason=OwnershipTransfer.IMPORT_REASON,
            )
            for c in _owner_changes(changes)
        )
        for transfer in transfers:
            events.publish(events.OwnershipTransferred(transfer.pk))
        # A new owner or segment (its cadence) changes what the health measures see.
        touched = {c.stored["pk"] for c in changes if c.action == "update"}
        if touched:
            events.publish(events.AccountsChanged(touched, events.What.ACCOUNT))


def _owner_changes(changes: list[Change]) -> list[Change]:
    """The rows that give a stored account another owner (recorded as transfers)."""
    return [
        c
        for c in changes
        if c.stored is not None and c.changed.get("owner_id") not in (None, c.stored["owner_id"])
    ]


import_accounts = AccountImport.run


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
    Column(
        "left_on",
        help=gettext_lazy("the date the person left the company (YYYY-MM-DD or DD.MM.YYYY)"),
    ),
)
CONTACT_FIELDS = ["pk", "account_id", "name", "email", "phone", "title", "is_decision_maker"]
CONTACT_FIELDS += ["is_champion", "preferred_channel", "preferences", "left_on"]
CONTACT_OPTIONAL = {
    "phone": lambda r: r.text("phone", max_length=50),
    "title": lambda r: r.text("title", max_length=200),
    "is_decision_maker": lambda r: r.boolean("is_decision_maker"),
    "is_champion": lambda r: r.boolean("is_champion"),
    "preferred_channel": lambda r: r.choice("preferred_channel", Contact.Channel),
    "preferences": lambda r: r.text("preferences"),
    "left_on": lambda r: r.date("left_on"),
}


@dataclass
class ContactRow(Parsed):
    email: str = ""


@register
class ContactImport(UpsertImport):
    """Create or update contacts, matched by (account, email) when the row has an email, else
    by (account, name). A stored contact without email is found by name."""

    kind = "contacts"
    model = Contact
    columns = CONTACT_COLUMNS
    matched_by = gettext_lazy("(account, email) when email is given, else (account, name)")

    def prepare(self, rows: list[Row]) -> None:
        self.account_ids = resolve_accounts(rows)

    def parse(self, row: Row) -> ContactRow:
        values = {"name": row.text("name", max_length=200, required=True)}
        email = row.email("email")
        values.update((name, read(row)) for name, read in CONTACT_OPTIONAL.items() if row.has(name))
        account_id = self.account_ids.get(row.line)
        key = None
        if account_id is not None:
            key = (
                (account_id, "email", email.lower())
                if email
                else (account_id, "name", row.value("name"))
            )
        return ContactRow(row, values, key, email)

    def describe_key(self, key) -> str:
        if key[1] == "email":
            text = _("the contact with email “%(value)s” of this account")
        else:
            text = _("the contact named “%(value)s” of this account")
        return text % {"value": key[2]}

    def load(self, parsed: list[Parsed]) -> None:
        self.by_email, self.by_name = {}, {}
        for chunk in chunks({p.key[0] for p in parsed}):
            for contact in stored_rows(Contact, CONTACT_FIELDS, account_id__in=chunk):
                if contact["email"]:
                    self.by_email[(contact["account_id"], contact["email"].lower())] = contact
                self.by_name.setdefault((contact["account_id"], contact["name"]), []).append(
                    contact
                )

    def match(self, item: ContactRow) -> Change | None:
        row, values, email = item.row, item.values, item.email
        account_id = item.key[0]
        same_name = self.by_name.get((account_id, values["name"]), [])
        without_email = [c for c in same_name if not c["email"]]
        if email:
            stored = self.by_email.get((account_id, email.lower()))
            if stored is None and len(without_email) == 1:
                stored = without_email[0]
        else:
            candidates = without_email or same_name
            if len(candidates) > 1:
                text = _(
                    "account “%(account)s” has %(n)s contacts named “%(name)s”: add their "
                    "email to tell them apart"
                )
                params = {"account": row.value("account"), "n": len(candidates)}
                row.error(text % {**params, "name": values["name"]})
                return None
            stored = candidates[0] if candidates else None
        if email and (stored is None or not stored["email"]):
            values["email"] = email
        if stored is None:
            values["account_id"] = account_id
        return Change(row, values, stored)

    def describe_stored(self, stored: dict) -> str:
        return _("the stored contact “%(name)s”") % {"name": stored["name"]}

    def write(self, changes: list[Change]) -> None:
        super().write(changes)
        touched = {c.merged()["account_id"] for c in changes if c.action != "unchanged"}
        if touched:  # the relationship measure reads contacts
            events.publish(events.AccountsChanged(touched, events.What.CONTACT))


import_contacts = ContactImport.run


# --- contracts ------------------------------------------------------------------------------

DATE_HELP = gettext_lazy("YYYY-MM-DD or DD.MM.YYYY")
CONTRACT_COLUMNS = (
    Column("account", True, gettext_lazy("the account's external_id or name")),
    Column("reference", True, gettext_lazy("the contract's unique reference")),
    Column("start_date", True, DATE_HELP),
    Column("end_date", help=gettext_lazy("a date, empty = open-ended")),
    Column(
        "cancelled_on",
        help=gettext_lazy("a date, the first day it no longer counts; empty = none"),
    ),
    Column(
        "monthly_value",
        True,
        gettext_lazy(
            "a number ≥ 0 with at most two decimals, e.g. 1200.50 (1.200,50 in a "
            "semicolon-separated file)"
        ),
    ),
)
CONTRACT_FIELDS = ["pk", "account_id", "start_date", "end_date", "cancelled_on", "monthly_value"]
TERMS = ("start_date", "end_date", "cancelled_on", "monthly_value")


@register
class ContractImport(UpsertImport):
    """Create or update contracts, matched by ``reference``; their terms are checked and the
    ledger refreshed by ``services.import_contracts``, in the import's transaction."""

    kind = "contracts"
    model = Contract
    columns = CONTRACT_COLUMNS
    matched_by = "reference"

    def prepare(self, rows: list[Row]) -> None:
        self.account_ids = resolve_accounts(rows)
        self.terms_refused = _("%(column)s %(value)s: %(message)s")  # once, not once a row

    def parse(self, row: Row) -> Parsed:
        values = {
            "account_id": self.account_ids.get(row.line),
            "start_date": row.date("start_date", required=True),
            "monthly_value": row.decimal("monthly_value", required=True),
        }
        for name in ("end_date", "cancelled_on"):
            if row.has(name):
                values[name] = row.date(name)
        return Parsed(row, values, row.text("reference", max_length=100, required=True) or None)

    def describe_key(self, reference) -> str:
        return _("reference %(value)s") % {"value": reference}

    def load(self, parsed: list[Parsed]) -> None:
        self.stored = {}
        for chunk in chunks({p.key for p in parsed}):
            fields = ["reference", *CONTRACT_FIELDS]
            for contract in stored_rows(Contract, fields, reference__in=chunk):
                self.stored[contract.pop("reference")] = contract

    def match(self, item: Parsed) -> Change:
        change = Change(item.row, item.values, self.stored.get(item.key))
        terms = {"end_date": None, "cancelled_on": None, **change.merged()}
        try:
            services.validate_contract_terms(*(terms[name] for name in TERMS))
        except ValidationError as error:
            for column, messages in error.message_dict.items():
                written = item.row.value(column) or terms.get(column)
                for message in messages:
                    item.row.error(
                        self.terms_refused
                        % {"column": column, "value": written, "message": message}
                    )
        if change.stored is None:
            item.values["reference"] = item.key
        return change

    def notes(self, changes: list[Change]) -> list[str]:
        touched = set()
        for change in changes:
            if change.action != "unchanged":
                touched.add(change.values["account_id"])
                if change.stored is not None:
                    touched.add(change.stored["account_id"])
        if not touched:
            return []
        if self.dry_run:
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
        return [text % {"n": len(touched)}]

    def write(self, changes: list[Change]) -> None:
        new, changed, fields = self.instances(changes)
        services.import_contracts(new=new, changed=changed, fields=fields, reason=HISTORY_REASON)


import_contracts = ContractImport.run
