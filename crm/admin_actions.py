"""Admin actions every ModelAdmin can list in its ``actions``.

``export_as_csv`` writes the selected rows with the columns of the changelist (``list_display``),
streamed row by row so exporting every account does not build the file in memory.
"""

import csv
import datetime as dt
import html
from collections.abc import Iterator
from decimal import Decimal

from django.contrib import admin
from django.contrib.admin.utils import label_for_field, lookup_field
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

EXPORT_CHUNK = 2000
# A cell starting with one of these is a formula for spreadsheet programs (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose ``write`` hands the line back, for ``csv.writer`` streaming."""

    def write(self, value: str) -> str:
        return value


def csv_columns(modeladmin, request) -> list[str]:
    """The ``list_display`` entries of ``modeladmin`` that hold data (not the checkbox)."""
    return [name for name in modeladmin.get_list_display(request) if name != "action_checkbox"]


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


def _rows(modeladmin, queryset, columns: list[str], headers: list[str]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # The BOM lets spreadsheet programs read the file as UTF-8.
    yield "\ufeff" + writer.writerow(headers)
    for obj in queryset.iterator(chunk_size=EXPORT_CHUNK):
        row = []
        for name in columns:
            try:
                field, _attr, value = lookup_field(name, obj, modeladmin)
            except (AttributeError, ObjectDoesNotExist):
                field, value = None, None
            row.append(csv_cell(value, field if isinstance(field, models.Field) else None))
        yield writer.writerow(row)


@admin.action(description=gettext_lazy("Export selected as CSV"), permissions=["view"])
def export_as_csv(modeladmin, request, queryset):
    """Stream the selected rows as CSV, with the changelist's columns and order."""
    columns = csv_columns(modeladmin, request)
    model = modeladmin.model
    headers = [capfirst(str(label_for_field(name, model, modeladmin))) for name in columns]
    response = StreamingHttpResponse(
        _rows(modeladmin, queryset, columns, headers), content_type="text/csv; charset=utf-8"
    )
    filename = f"{model._meta.model_name}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
