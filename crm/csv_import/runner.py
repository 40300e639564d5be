"""The upsert runner every CSV import runs on, and the registry of import kinds.

A kind (a subclass of ``UpsertImport``, next to its model) says only what is its own: its
columns, how a row is read (``parse``), how rows are matched to stored ones (``load``,
``match``) and what else its write must do. The runner does the rest, the same way for every
kind, in time linear in the size of the file:

1. read the file (``reading.read_csv``: size, encoding, delimiter, header);
2. ``prepare``: the set-based lookups every row needs (accounts by key, users by email);
3. ``parse`` every row, recording every bad value with its line;
4. report keys that more than one row of the file holds (a few other lines and a count);
5. ``load`` the stored rows the good rows name, one query per chunk of keys;
6. ``match`` each good row to a stored row or none (a ``Change``), checking what needs it;
7. refuse the file when any row is bad, reporting every problem (the first 1,000 and a count);
8. count the rows to create, update or leave unchanged, and add the kind's ``notes``;
9. unless it is a dry run, ``write`` in one transaction: bulk inserts and updates with their
   audit history, then whatever the kind derives from them (the ledger, last interactions).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.db import bulk_write

from .errors import ImportFailed, RowError, refuse
from .reading import Column, read_csv
from .rows import Row

PREVIEW_ROWS = 10
# A row whose key other rows hold too names this many of them, and counts the rest.
SHOWN_LINES = 3
HISTORY_REASON = "CSV import"


# --- results --------------------------------------------------------------------------------


@dataclass
class PreviewRow:
    line: int
    action: str  # "create", "update" or "unchanged"
    values: list[str]


@dataclass
class ImportResult:
    """What an import did (or, in a dry run, would do)."""

    kind: str
    dry_run: bool
    columns: list[str]
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)
    preview: list[PreviewRow] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged

    def count(self, row: Row, action: str) -> None:
        """Count ``row`` as ``create``, ``update`` or ``unchanged``; keep the first rows."""
        attribute = {"create": "created", "update": "updated", "unchanged": "unchanged"}[action]
        setattr(self, attribute, getattr(self, attribute) + 1)
        if len(self.preview) < PREVIEW_ROWS:
            self.preview.append(PreviewRow(row.line, action, row.raw_values))

    def summary(self) -> str:
        values = {
            "kind": self.kind,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }
        if self.dry_run:
            text = _(
                "%(kind)s: %(created)s created, %(updated)s updated, %(unchanged)s unchanged "
                "(dry run: nothing written)"
            )
        else:
            text = _("%(kind)s: %(created)s created, %(updated)s updated, %(unchanged)s unchanged")
        return text % values


# --- rows and changes -----------------------------------------------------------------------


@dataclass
class Parsed:
    """A row as its kind read it: the values it gives the model, and the key that identifies
    it within the file (None when the row's key could not be read)."""

    row: Row
    values: dict[str, Any]
    key: Any = None


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


def group_rows(items: Iterable, key: Callable[[Any], Any]) -> dict[Any, list[Row]]:
    """The rows of ``items`` (anything with a ``row``) by ``key``; a None key is no key."""
    grouped: dict[Any, list[Row]] = {}
    for item in items:
        k = key(item)
        if k is not None:
            grouped.setdefault(k, []).append(item.row)
    return grouped


def report_duplicates(rows_by_key: dict[Any, list[Row]], describe: Callable[[Any], str]) -> None:
    """Every row whose key other rows hold too is bad; it names the first few of the others
    and counts the rest, so the report grows with the number of rows, not its square."""
    texts: dict[tuple[int, int], str] = {}  # translated once per count, not once per row

    def text(others: int, more: int) -> str:
        if (others, more) not in texts:
            if more:
                texts[others, more] = ngettext(
                    "%(what)s is also on lines %(lines)s and %(more)s other line",
                    "%(what)s is also on lines %(lines)s and %(more)s other lines",
                    more,
                )
            else:
                texts[others, more] = ngettext(
                    "%(what)s is also on line %(lines)s",
                    "%(what)s is also on lines %(lines)s",
                    others,
                )
        return texts[others, more]

    for key, rows in rows_by_key.items():
        if len(rows) < 2:
            continue
        what = describe(key)
        first = [r.line for r in rows[: SHOWN_LINES + 1]]
        for row in rows:
            others = [line for line in first if line != row.line][:SHOWN_LINES]
            more = len(rows) - 1 - len(others)
            lines = ", ".join(str(line) for line in others)
            row.error(text(len(others), more) % {"what": what, "lines": lines, "more": more})


def report_same_target(changes: list[Change], describe: Callable[[dict], str]) -> None:
    """Two rows of the file must not update the same stored row."""
    stored = {c.stored["pk"]: c.stored for c in changes if c.stored is not None}
    by_target = group_rows(changes, lambda c: c.stored["pk"] if c.stored else None)
    report_duplicates(by_target, lambda pk: describe(stored[pk]))


def count_changes(result: ImportResult, changes: list[Change]) -> None:
    for change in sorted(changes, key=lambda c: c.row.line):
        change.settle()
        result.count(change.row, change.action)


def write_atomically(write: Callable[[], None]) -> None:
    """Run ``write`` in a transaction; a clash with a concurrent change refuses the file."""
    try:
        with transaction.atomic():
            write()
    except IntegrityError as exc:
        raise refuse(
            _(
                "The data changed while importing, so nothing was written; run the import "
                "again. (%(error)s)"
            )
            % {"error": exc}
        ) from exc
    except ValidationError as exc:
        # The rows were checked against the stored ones; someone changed those meanwhile.
        raise ImportFailed([RowError(None, message) for message in exc.messages]) from exc


# --- the kinds and the runner ---------------------------------------------------------------


class UpsertImport:
    """One kind of import. A subclass sets ``kind``, ``model``, ``columns`` and ``matched_by``
    and implements ``parse``, ``load`` and ``match``; the other hooks are optional. One
    instance runs one file (it may keep its lookups on ``self``)."""

    kind: ClassVar[str]
    model: ClassVar[type]
    columns: ClassVar[tuple[Column, ...]]
    matched_by: ClassVar[str]
    # Templates list the kinds (their columns); they must not instantiate them.
    do_not_call_in_templates = True

    def __init__(self, *, dry_run: bool = False, by=None):
        self.dry_run = dry_run
        self.by = by

    @classmethod
    def run(cls, *, data: bytes, dry_run: bool = False, by=None) -> ImportResult:
        """Import ``data`` (the bytes of a CSV file): all rows or none. Raises
        ``ImportFailed`` listing the bad rows; a dry run checks and counts, writes nothing."""
        return upsert(cls(dry_run=dry_run, by=by), data)

    # --- the hooks, in the order the runner calls them ---

    def prepare(self, rows: list[Row]) -> None:
        """Look up, set-based, what reading every row needs."""

    def parse(self, row: Row) -> Parsed:
        """Read one row's values (a bad value is recorded on the row)."""
        raise NotImplementedError

    def unique_keys(self) -> list[tuple[Callable[[Parsed], Any], Callable[[Any], str]]]:
        """Keys no two rows of the file may share, each with how to name one in a message.
        By default the parsed ``key``."""
        return [(lambda item: item.key, self.describe_key)]

    def describe_key(self, key) -> str:
        raise NotImplementedError

    def load(self, parsed: list[Parsed]) -> None:
        """Fetch the stored rows the good rows name, set-based."""

    def match(self, item: Parsed) -> Change | None:
        """The change one good row makes; checks what needs the stored row."""
        raise NotImplementedError

    # How to name a stored row when two rows of the file would update it; None when the
    # kind's file keys already tell its stored rows apart.
    describe_stored: Callable[[dict], str] | None = None

    def notes(self, changes: list[Change]) -> list[str]:
        """Lines the result shows besides the counts (after the changes are counted)."""
        return []

    def write(self, changes: list[Change]) -> None:
        """Write the changes; runs inside the import's transaction."""
        creates, updates, fields = self.instances(changes)
        bulk_write(
            self.model, creates=creates, updates=updates, fields=fields, reason=HISTORY_REASON
        )

    def instances(self, changes: list[Change]) -> tuple[list, list, set[str]]:
        """The model instances to insert, those to update, and the fields the updates change."""
        updates = [c for c in changes if c.action == "update"]
        return (
            [self.model(**c.values) for c in changes if c.stored is None],
            [self.model(**c.merged()) for c in updates],
            {f for c in updates for f in c.changed},
        )


def upsert(kind: UpsertImport, data: bytes) -> ImportResult:
    """Run one file through ``kind`` (the steps are in this module's docstring)."""
    table = read_csv(data, kind.columns)
    kind.prepare(table.rows)
    parsed = [kind.parse(row) for row in table.rows]
    for key, describe in kind.unique_keys():
        report_duplicates(group_rows(parsed, key), describe)
    good = [item for item in parsed if item.row.ok]
    kind.load(good)
    changes = [c for item in good if (c := kind.match(item)) is not None and c.row.ok]
    if kind.describe_stored is not None:
        report_same_target(changes, kind.describe_stored)
    table.errors.raise_if_any()
    result = ImportResult(kind=kind.kind, dry_run=kind.dry_run, columns=table.columns)
    count_changes(result, changes)
    result.notes.extend(kind.notes(changes))
    if not kind.dry_run:
        write_atomically(lambda: kind.write(changes))
    return result


# --- the registry ---------------------------------------------------------------------------

_registry: dict[str, type[UpsertImport]] = {}


def register(kind: type[UpsertImport]) -> type[UpsertImport]:
    """Class decorator: offer this kind to the command and the admin page."""
    _registry[kind.kind] = kind
    return kind


def importers() -> dict[str, type[UpsertImport]]:
    """Every import kind, found in the installed apps' ``importers`` modules."""
    autodiscover_modules("importers")
    return dict(_registry)


def run_import(*, kind: str, data: bytes, dry_run: bool = False, by=None) -> ImportResult:
    """Import ``data`` (the bytes of a CSV file) as ``kind``: all rows or none. Raises
    ``ImportFailed`` listing the bad rows; in a dry run validates and counts, writes nothing."""
    registry = importers()
    if kind not in registry:
        raise refuse(_("Unknown import kind “%(kind)s”.") % {"kind": kind})
    return registry[kind].run(data=data, dry_run=dry_run, by=by)
