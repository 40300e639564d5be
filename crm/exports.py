"""CSV exports every list shares: streamed, UTF-8 with a BOM (spreadsheets), cells the way a
spreadsheet shows them and formulas defused (CSV injection)."""

import csv
import datetime as dt
import html
from collections.abc import Iterable
from decimal import Decimal

from django.db import models
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

# A cell starting with one of these is a formula for spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


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
    text = html.unescape(strip_tags(str(value)))
    if text.startswith(FORMULA_PREFIXES):
        text = "'" + text
    return text


def csv_lines(header: Iterable, rows: Iterable[Iterable]) -> Iterable[str]:
    writer = csv.writer(Echo())
    yield "\ufeff" + writer.writerow([str(h) for h in header])
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])


def csv_response(filename: str, header: Iterable, rows: Iterable[Iterable]):
    """A streamed CSV download; ``rows`` may be a generator over a queryset iterator."""
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
