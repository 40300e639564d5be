"""What every CSV import shares: reading the file, parsing cell values with messages a user can
read, collecting every bad row with its line number, the result summary, and the registry of
import kinds.

The kinds live next to their models (``customers.importers``, ``interactions.importers``) and
register themselves here; ``importers()`` finds them with Django's module autodiscovery, so the
admin page in this app can offer the interactions import without importing the app above it.
"""

import csv
import datetime as dt
import io
import re
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

PREVIEW_ROWS = 10
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
INTEGER_RE = re.compile(r"^[+-]?\d+$")
TRUE_WORDS = {"true", "yes", "1"}
FALSE_WORDS = {"false", "no", "0", ""}
MAX_INT = 2_147_483_647
# A text cell that a spreadsheet would run as a formula once the data is exported again (CSV
# injection): it starts with "=" or "@", or with "+" or "-" followed by more than a number or a
# phone number ("-5", "+49 (30) 1234-56") and not by a space ("- called back"). Numbers are
# read by ``Row.integer`` / ``Row.decimal`` and never checked here.
FORMULA_RE = re.compile(r"^(?:[=@]|[+-](?![\d\s()./-]*$)(?!\s))")


# --- errors and results -------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class RowError:
    """One problem, at a physical line of the file (the header is line 1), or of the whole file
    (line None)."""

    line: int | None
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return str(self.message)
        return _("line %(line)s: %(message)s") % {"line": self.line, "message": self.message}


class ImportFailed(Exception):
    """The file was refused: nothing was written. ``errors`` lists every problem found."""

    def __init__(self, errors: Iterable[RowError]):
        self.errors = sorted(errors, key=lambda e: (e.line or 0, e.message))
        super().__init__("\n".join(str(e) for e in self.errors))


class ErrorList:
    """Collects the problems of a file; ``raise_if_any`` refuses it with all of them."""

    def __init__(self) -> None:
        self.errors: list[RowError] = []
        self.bad_lines: set[int] = set()

    def add(self, line: int | None, message: str) -> None:
        self.errors.append(RowError(line, message))
        if line is not None:
            self.bad_lines.add(line)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ImportFailed(self.errors)


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

    def count(self, row: "Row", action: str) -> None:
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


# --- the file -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    help: str = ""


@dataclass
class Table:
    columns: list[str]
    rows: list["Row"]
    errors: ErrorList


def decode(data: bytes) -> str:
    """The file's text: UTF-8, with or without a byte order mark. Refuses binary files."""
    if not data.strip():
        raise ImportFailed([RowError(None, _("The file is empty."))])
    if b"\x00" in data[:8192]:
        raise ImportFailed([RowError(None, _("This is not a CSV file: it holds binary data."))])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailed(
            [
                RowError(
                    line,
                    _(
                        "the file is not UTF-8 text (byte 0x%(byte)s at position %(position)s); "
                        "save it as “CSV UTF-8” and try again"
                    )
                    % {"byte": f"{data[exc.start]:02x}", "position": exc.start},
                )
            ]
        ) from None


def read_csv(data: bytes, columns: Iterable[Column]) -> Table:
    """Parse ``data`` as comma-separated UTF-8 with one header row. Checks the header against
    ``columns`` (unknown, repeated and missing required columns) and that every row has as many
    values as the header. Blank rows are skipped; each row keeps its physical line number."""
    text = decode(data)
    allowed = {c.name: c for c in columns}
    errors = ErrorList()
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[Row] = []
    next_line = 1
    try:
        for record in reader:
            line, next_line = next_line, reader.line_num + 1
            if not any(value.strip() for value in record):
                continue
            if header is None:
                header = [name.strip().lower() for name in record]
                _check_header(header, allowed, line, errors)
                if errors:
                    break
                continue
            if any("\x00" in value for value in record):
                # Past the first block ``decode`` checks; the database refuses NUL in text.
                errors.add(line, _("this row holds a NUL character (binary data)"))
                continue
            if len(record) != len(header):
                errors.add(
                    line,
                    _(
                        "%(values)s values but the header has %(columns)s columns "
                        "(a comma inside a value needs the value in double quotes)"
                    )
                    % {"values": len(record), "columns": len(header)},
                )
                continue
            rows.append(Row(line, header, [value.strip() for value in record], errors))
    except csv.Error as exc:
        errors.add(next_line, _("this is not valid CSV (%(error)s)") % {"error": exc})
    if header is None and not errors:
        errors.add(None, _("The file is empty."))
    errors.raise_if_any()
    return Table(columns=header or [], rows=rows, errors=errors)


def _check_header(header: list[str], allowed: dict[str, Column], line: int, errors) -> None:
    seen = set()
    for name in header:
        if not name:
            errors.add(line, _("a column has no name in the header"))
        elif name not in allowed:
            errors.add(
                line,
                _("unknown column “%(name)s” (the columns are: %(columns)s)")
                % {"name": name, "columns": ", ".join(allowed)},
            )
        elif name in seen:
            errors.add(line, _("column “%(name)s” appears twice in the header") % {"name": name})
        seen.add(name)
    for column in allowed.values():
        if column.required and column.name not in header:
            errors.add(line, _("missing required column “%(name)s”") % {"name": column.name})


# --- one row and its values -----------------------------------------------------------------


def _shown(value: str) -> str:
    return value if len(value) <= 40 else value[:37] + "..."


class Row:
    """The values of one CSV row by column name, with typed getters. A getter that cannot read
    its value records the problem (with the line) and returns None."""

    def __init__(self, line: int, header: list[str], values: list[str], errors: ErrorList):
        self.line = line
        self.raw_values = values
        self.values = dict(zip(header, values, strict=True))
        self.errors = errors

    @property
    def ok(self) -> bool:
        return self.line not in self.errors.bad_lines

    def error(self, message: str) -> None:
        self.errors.add(self.line, message)

    def has(self, column: str) -> bool:
        """Whether the file has this column (a missing column leaves the stored value alone)."""
        return column in self.values

    def _get(self, column: str, required: bool) -> str | None:
        value = self.values.get(column, "")
        if not value:
            if required:
                self.error(_("%(column)s is required") % {"column": column})
            return None
        return value

    def text(self, column: str, *, max_length: int | None = None, required=False) -> str:
        value = self._get(column, required)
        if value is None:
            return ""
        if FORMULA_RE.match(value):
            self.error(
                _(
                    "%(column)s “%(value)s” starts like a spreadsheet formula, which a "
                    "spreadsheet would run when the data is exported (CSV injection); remove "
                    "the leading “%(sign)s”"
                )
                % {"column": column, "value": _shown(value), "sign": value[0]}
            )
            return ""
        if max_length is not None and len(value) > max_length:
            self.error(
                _("%(column)s is %(length)s characters long (at most %(max)s)")
                % {"column": column, "length": len(value), "max": max_length}
            )
            return ""
        return value

    def date(self, column: str, *, required=False) -> dt.date | None:
        value = self._get(column, required)
        if value is None:
            return None
        try:
            if not DATE_RE.match(value):
                raise ValueError
            return dt.date.fromisoformat(value)
        except ValueError:
            self.error(
                _("%(column)s “%(value)s” is not a date (use YYYY-MM-DD)")
                % {"column": column, "value": _shown(value)}
            )
            return None

    def datetime(self, column: str, *, required=False) -> dt.datetime | None:
        """An ISO date-time or date; without a UTC offset it is local time (``TIME_ZONE``)."""
        value = self._get(column, required)
        if value is None:
            return None
        try:
            if not value[:10] or not DATE_RE.match(value[:10]):
                raise ValueError
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            self.error(
                _(
                    "%(column)s “%(value)s” is not a date and time "
                    "(use YYYY-MM-DD HH:MM, optionally with a UTC offset such as +01:00)"
                )
                % {"column": column, "value": _shown(value)}
            )
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
        return moment

    def decimal(
        self, column: str, *, required=False, places: int = 2, digits: int = 12
    ) -> Decimal | None:
        value = self._get(column, required)
        if value is None:
            return None
        try:
            if not NUMBER_RE.match(value):
                raise InvalidOperation
            number = Decimal(value)
        except InvalidOperation:
            self.error(
                _("%(column)s “%(value)s” is not a number (write it like 1200.50)")
                % {"column": column, "value": _shown(value)}
            )
            return None
        if number < 0:
            self.error(_("%(column)s %(value)s is negative") % {"column": column, "value": value})
            return None
        if number.adjusted() >= digits - places:
            self.error(_("%(column)s %(value)s is too large") % {"column": column, "value": value})
            return None
        step = Decimal(1).scaleb(-places)
        if number.quantize(step) != number:
            self.error(
                _("%(column)s %(value)s has more than %(places)s decimal places")
                % {"column": column, "value": value, "places": places}
            )
            return None
        return number.quantize(step)

    def integer(self, column: str, *, required=False) -> int | None:
        value = self._get(column, required)
        if value is None:
            return None
        if not INTEGER_RE.match(value):
            self.error(
                _("%(column)s “%(value)s” is not a whole number")
                % {"column": column, "value": _shown(value)}
            )
            return None
        number = int(value)
        if number < 0:
            self.error(_("%(column)s %(value)s is negative") % {"column": column, "value": value})
            return None
        if number > MAX_INT:
            self.error(_("%(column)s %(value)s is too large") % {"column": column, "value": value})
            return None
        return number

    def boolean(self, column: str) -> bool:
        value = self.values.get(column, "").lower()
        if value in TRUE_WORDS:
            return True
        if value not in FALSE_WORDS:
            self.error(
                _("%(column)s “%(value)s” is not yes or no (use true/false, yes/no or 1/0)")
                % {"column": column, "value": _shown(value)}
            )
        return False

    def choice(self, column: str, choices, *, required=False) -> str:
        """A value of a ``TextChoices``: its value or its label, in any case."""
        value = self._get(column, required)
        if value is None:
            return ""
        wanted = value.lower()
        for key, label in choices.choices:
            if wanted in (str(key).lower(), str(label).lower()):
                return key
        names = ", ".join(str(key) for key in choices.values)
        self.error(
            _("%(column)s “%(value)s” is not one of: %(choices)s")
            % {"column": column, "value": _shown(value), "choices": names}
        )
        return ""

    def email(self, column: str, *, required=False) -> str:
        value = self.text(column, max_length=254, required=required)
        if value:
            try:
                validate_email(value)
            except ValidationError:
                self.error(
                    _("%(column)s “%(value)s” is not an email address")
                    % {"column": column, "value": _shown(value)}
                )
                return ""
        return value


# --- helpers for the importers --------------------------------------------------------------


def lookup_chunk_size() -> int:
    """How many values one ``__in`` lookup may hold on this database."""
    limit = connection.features.max_query_params or 5000
    return max(100, min(5000, limit - 50))


def chunks(values: Iterable, size: int | None = None) -> Iterator[list]:
    values = list(values)
    size = size or lookup_chunk_size()
    for i in range(0, len(values), size):
        yield values[i : i + size]


def report_duplicates(rows_by_key: dict[Any, list["Row"]], describe: Callable[[Any], str]) -> None:
    """Every row whose key appears more than once in the file is bad; each names the others."""
    for key, rows in rows_by_key.items():
        if len(rows) < 2:
            continue
        for row in rows:
            others = ", ".join(str(r.line) for r in rows if r is not row)
            text = ngettext(
                "%(what)s is also on line %(lines)s",
                "%(what)s is also on lines %(lines)s",
                len(rows) - 1,
            )
            row.error(text % {"what": describe(key), "lines": others})


def group_by(rows: Iterable["Row"], key: Callable[["Row"], Any]) -> dict[Any, list["Row"]]:
    grouped: dict[Any, list[Row]] = defaultdict(list)
    for row in rows:
        k = key(row)
        if k is not None:
            grouped[k].append(row)
    return grouped


# --- the registry of import kinds -----------------------------------------------------------


@dataclass(frozen=True)
class Importer:
    """One kind of import: its columns (for the header check and the help), how rows are
    matched to stored ones, and the function that runs it."""

    kind: str
    columns: tuple[Column, ...]
    matched_by: str
    run: Callable[..., ImportResult]

    def describe(self) -> str:
        names = ", ".join(c.name + ("*" if c.required else "") for c in self.columns)
        return f"{self.kind}: {names}. Matched by {self.matched_by}."


_registry: dict[str, Importer] = {}


def register(importer: Importer) -> Importer:
    _registry[importer.kind] = importer
    return importer


def importers() -> dict[str, Importer]:
    """Every import kind, found in the installed apps' ``importers`` modules."""
    autodiscover_modules("importers")
    return dict(_registry)


def run_import(*, kind: str, data: bytes, dry_run: bool = False, by=None) -> ImportResult:
    """Import ``data`` (the bytes of a CSV file) as ``kind``: all rows or none. Raises
    ``ImportFailed`` listing every bad row; in a dry run validates and counts, writes nothing."""
    registry = importers()
    if kind not in registry:
        raise ImportFailed([RowError(None, _("Unknown import kind “%(kind)s”.") % {"kind": kind})])
    return registry[kind].run(data=data, dry_run=dry_run, by=by)
