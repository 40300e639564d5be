"""Admin actions every ModelAdmin can list in its ``actions``.

``export_as_csv`` writes the selected rows with the columns of the changelist (``list_display``),
streamed row by row so exporting every account does not build the file in memory.
"""

from collections.abc import Iterator

from django.contrib import admin
from django.contrib.admin.utils import label_for_field, lookup_field
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy

from .exports import csv_cell, csv_response

EXPORT_CHUNK = 2000


def csv_columns(modeladmin, request) -> list[str]:
    """The ``list_display`` entries of ``modeladmin`` that hold data (not the checkbox)."""
    return [name for name in modeladmin.get_list_display(request) if name != "action_checkbox"]


def _rows(modeladmin, queryset, columns: list[str]) -> Iterator[list[str]]:
    for obj in queryset.iterator(chunk_size=EXPORT_CHUNK):
        row = []
        for name in columns:
            try:
                field, _attr, value = lookup_field(name, obj, modeladmin)
            except (AttributeError, ObjectDoesNotExist):
                field, value = None, None
            row.append(csv_cell(value, field if isinstance(field, models.Field) else None))
        yield row


@admin.action(description=gettext_lazy("Export selected as CSV"), permissions=["view"])
def export_as_csv(modeladmin, request, queryset):
    """Stream the selected rows as CSV, with the changelist's columns and order."""
    columns = csv_columns(modeladmin, request)
    model = modeladmin.model
    headers = [capfirst(str(label_for_field(name, model, modeladmin))) for name in columns]
    filename = f"{model._meta.model_name}-{timezone.localdate():%Y-%m-%d}.csv"
    return csv_response(filename, headers, _rows(modeladmin, queryset, columns))
