"""Reading a CSV file: its size, its encoding (UTF-8, a byte order mark is fine), its delimiter
(comma or semicolon, from the header line) and its header, checked against a kind's columns.
Every step is linear in the size of the file and bounded: the file by ``IMPORT_MAX_BYTES``, the
header by ``MAX_COLUMNS``, a cell by ``MAX_CELL_CHARS``."""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .errors import ErrorList, refuse
from .rows import Layout, Row, shown

# The widest kind has ten columns; a header far wider is not one of ours, and checking a
# million names one by one is what made such a file expensive.
MAX_COLUMNS = 100
# No text a person writes into a CSV cell is longer (notes included); the csv module's own
# limit (128 KiB) would stop reading the file with a less helpful message.
MAX_CELL_CHARS = 20_000


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    help: str = ""


@dataclass
class Table:
    columns: list[str]
    delimiter: str
    rows: list[Row]
    errors: ErrorList


def max_bytes() -> int:
    return settings.IMPORT_MAX_BYTES


def check_size(size: int) -> None:
    """Refuse a file of ``size`` bytes over ``IMPORT_MAX_BYTES``. Callers that know the size
    before reading the file (the upload's length, the file's stat) call this first."""
    if size > max_bytes():
        raise refuse(
            _(
                "The file is %(size)s; an import takes at most %(limit)s. Split it and "
                "import the parts."
            )
            % {"size": filesizeformat(size), "limit": filesizeformat(max_bytes())}
        )


def decode(data: bytes) -> str:
    """The file's text: UTF-8, with or without a byte order mark. Refuses binary files."""
    if not data.strip():
        raise refuse(_("The file is empty."))
    if b"\x00" in data[:8192]:
        raise refuse(_("This is not a CSV file: it holds binary data."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise refuse(
            _(
                "the file is not UTF-8 text (byte 0x%(byte)s at position %(position)s); "
                "save it as “CSV UTF-8” and try again"
            )
            % {"byte": f"{data[exc.start]:02x}", "position": exc.start},
            line,
        ) from None


def header_line(text: str) -> str:
    """The first line that is not blank (without reading the rest of the file into lines)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        if text[start:end].strip():
            return text[start:end]
        start = end + 1
    return ""


def detect_delimiter(text: str) -> str:
    """ ";" when the header line has more semicolons than commas, else ",". German Excel saves
    with semicolons. (``csv.Sniffer`` guesses from the data too, and a comma inside a name or a
    decimal comma misleads it; the header of one of our files holds neither.)"""
    line = header_line(text)
    return ";" if line.count(";") > line.count(",") else ","


def separated(delimiter: str) -> str:
    return _("semicolon-separated") if delimiter == ";" else _("comma-separated")


def read_csv(data: bytes, columns: Iterable[Column]) -> Table:
    """Parse ``data`` as UTF-8 CSV with one header row, comma- or semicolon-separated. Checks
    the header against ``columns`` (unknown, repeated and missing required columns) and that
    every row has as many values as the header, none too long. Blank rows are skipped; each
    row keeps its physical line number. Refuses the file when its header is bad."""
    check_size(len(data))
    text = decode(data)
    delimiter = detect_delimiter(text)
    if header_line(text).count(delimiter) >= MAX_COLUMNS:
        raise refuse(_("The header has more than %(max)s columns.") % {"max": MAX_COLUMNS}, 1)
    allowed = {c.name: c for c in columns}
    errors = ErrorList()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    layout: Layout | None = None
    rows: list[Row] = []
    next_line = 1
    try:
        for record in reader:
            line, next_line = next_line, reader.line_num + 1
            if not any(value.strip() for value in record):
                continue
            if layout is None:
                header = [name.strip().lower() for name in record]
                _check_header(header, allowed, delimiter, line, errors)
                errors.raise_if_any()
                layout = Layout(header, delimiter)
                continue
            if problem := _check_record(record, layout):
                errors.add(line, problem)
                continue
            rows.append(Row(line, [value.strip() for value in record], layout, errors))
    except csv.Error as exc:
        errors.add(next_line, _("this is not valid CSV (%(error)s)") % {"error": exc})
    if layout is None and not errors:
        errors.add(None, _("The file is empty."))
    errors.raise_if_any()
    return Table(columns=layout.columns, delimiter=delimiter, rows=rows, errors=errors)


def _check_record(record: list[str], layout: Layout) -> str | None:
    """What is wrong with a row as a whole (before its values are read), if anything."""
    if len(record) != len(layout.columns):
        if layout.delimiter == ";":
            text = _(
                "%(values)s values but the header has %(columns)s columns "
                "(a semicolon inside a value needs the value in double quotes)"
            )
        else:
            text = _(
                "%(values)s values but the header has %(columns)s columns "
                "(a comma inside a value needs the value in double quotes)"
            )
        return text % {"values": len(record), "columns": len(layout.columns)}
    if any("\x00" in value for value in record):
        # Past the first block ``decode`` checks; the database refuses NUL in text.
        return _("this row holds a NUL character (binary data)")
    longest = max(map(len, record), default=0)
    if longest > MAX_CELL_CHARS:
        return _("a value is %(length)s characters long (at most %(max)s)") % {
            "length": longest,
            "max": MAX_CELL_CHARS,
        }
    return None


def _check_header(
    header: list[str], allowed: dict[str, Column], delimiter: str, line: int, errors: ErrorList
) -> None:
    seen = set()
    for name in header:
        if not name:
            errors.add(line, _("a column has no name in the header"))
        elif name not in allowed:
            errors.add(
                line,
                _("unknown column “%(name)s” (read as %(separated)s; the columns are: %(columns)s)")
                % {
                    "name": shown(name),
                    "separated": separated(delimiter),
                    "columns": ", ".join(allowed),
                },
            )
        elif name in seen:
            errors.add(line, _("column “%(name)s” appears twice in the header") % {"name": name})
        seen.add(name)
    for column in allowed.values():
        if column.required and column.name not in seen:
            errors.add(line, _("missing required column “%(name)s”") % {"name": column.name})
