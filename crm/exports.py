"""CSV exports every list shares: streamed, UTF-8 with a BOM (spreadsheets), cells the way a
spreadsheet shows them and formulas defused (CSV injection, ``crm.spreadsheet``). Every CSV
download of the app is written by ``csv_lines``, so no cell escapes the defusing."""

import csv
import datetime as dt
import html
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.db import models
from django.http import StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from .spreadsheet import defuse


class Echo:
    """A file-like object whose ``write`` hands the line back, for ``csv.writer`` streaming."""

    def write(self, value: str) -> str:
        return value


def csv_cell(value, field: models.Field | None = None) -> str:
    """One value as a spreadsheet shows it: choices by label, dates in ISO 8601, money as
    plain decimals, HTML reduced to its text, and formulas defused."""
    if field is not None and getattr(field, "flatchoices", None) and value not in (None, ""):
        value = dict(field.flatchoices).get(value, value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return str(value)
    return defuse(html.unescape(strip_tags(str(value))))


def _written(value) -> str:
    # Text is written as it is, defused (again: defusing is idempotent, and a cell that
    # csv_cell already shaped must not lose its HTML-looking text twice); anything else as
    # csv_cell shows it.
    return defuse(value) if isinstance(value, str) else csv_cell(value)


def csv_lines(header: Iterable, rows: Iterable[Iterable]) -> Iterator[str]:
    """The lines of a CSV file: a BOM, the header, the rows; every cell defused."""
    writer = csv.writer(Echo())
    yield "\ufeff" + writer.writerow([_written(str(h)) for h in header])
    for row in rows:
        yield writer.writerow([_written(value) for value in row])


def csv_response(filename: str, header: Iterable, rows: Iterable[Iterable]):
    """A streamed CSV download; ``rows`` may be a generator over a queryset iterator. The
    rows are written after the view returns, in the request's language."""
    language = translation.get_language()

    def lines() -> Iterator[str]:
        with translation.override(language):
            yield from csv_lines(header, rows)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
