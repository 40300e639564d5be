"""The admin site every ``ModelAdmin`` registers with (ours and the packages'): Django's, with
date lookups in a changelist's query string checked before Django does arithmetic on them.

Django's changelist turns ``?start_date__year=…`` (the date hierarchy, a date list filter, or
any lookup on a model's own field) into dates and date ranges; a year past any calendar, the
day after 9999-12-31 or a time zone shift before year 1 raise ``OverflowError`` or
``ValueError`` where Django does not catch them, and the page answers 500. Here a date lookup
whose value is no date (or no part of one) is left out of the query, and the page says so.

``crm.apps.CrmAdminConfig`` makes ``TreueAdminSite`` the default site, so ``admin.site`` and
``@admin.register`` are this one.
"""

from django.contrib import admin, messages
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.http import QueryDict
from django.utils.translation import gettext as _

# A year one inside either end of what ``datetime`` holds: the date hierarchy adds a year,
# a month or a day to the day asked for, and a time zone shifts it by hours.
FIRST_YEAR, LAST_YEAR = 2, 9998
# Lookups that take a part of a date (a whole number) and its bounds.
DATE_PARTS = {
    "year": (FIRST_YEAR, LAST_YEAR),
    "iso_year": (FIRST_YEAR, LAST_YEAR),
    "month": (1, 12),
    "day": (1, 31),
    "week": (1, 53),
    "week_day": (1, 7),
    "iso_week_day": (1, 7),
    "quarter": (1, 4),
    "hour": (0, 23),
    "minute": (0, 59),
    "second": (0, 59),
}
SHOWN_AT_MOST = 5


def _date_field(model, parts: list[str]) -> tuple[models.DateField | None, list[str]]:
    """The date (or date and time) field a lookup path ends at, through relations, and the
    lookups after it; ``(None, [])`` for a path to anything else."""
    opts = model._meta
    for n, part in enumerate(parts):
        try:
            field = opts.get_field(part)
        except FieldDoesNotExist:
            return None, []
        if isinstance(field, models.DateField):
            return field, parts[n + 1 :]
        if not (field.is_relation and field.related_model):
            return None, []
        opts = field.related_model._meta
    return None, []


def _is_part(text: str, low: int, high: int) -> bool:
    text = text.strip()
    return (
        text.lstrip("-").isascii()
        and text.lstrip("-").isdigit()
        and len(text) <= 6
        and (low <= int(text) <= high)
    )


def _is_day(field: models.DateField, text: str) -> bool:
    try:
        value = field.to_python(text)
    except (ValidationError, ValueError, OverflowError):
        return False
    return value is None or FIRST_YEAR <= value.year <= LAST_YEAR


def is_date_lookup_ok(field: models.DateField, lookups: list[str], value: str) -> bool:
    """Whether ``value`` fits the date lookups (``["year"]``, ``["gte"]``, ``["date", "lt"]``…)
    of ``field``: a part within its bounds, or a day (and time) between the years 2 and 9998.
    Lookups this does not know are Django's to refuse."""
    last = lookups[-1] if lookups else "exact"
    if last == "isnull":
        return True
    values = value.split(",") if last in ("in", "range") else [value]
    if last == "range" and len(values) != 2:
        return False
    first = lookups[0] if lookups else "exact"
    if first in DATE_PARTS:
        return all(_is_part(v, *DATE_PARTS[first]) for v in values)
    if first == "date":
        field = models.DateField()
    return all(_is_day(field, v) for v in values)


def refused_date_lookups(model, params: QueryDict) -> list[str]:
    """The parameters of a changelist's query string that look up a date of ``model`` (or of
    a model it refers to) with a value that is no date or part of one."""
    refused = []
    for key in params:
        field, lookups = _date_field(model, key.split(LOOKUP_SEP))
        if field is not None and not all(
            is_date_lookup_ok(field, lookups, value) for value in params.getlist(key)
        ):
            refused.append(key)
    return refused


class SafeDateLookups:
    """A changelist that leaves out the date lookups no date can satisfy, with a warning,
    instead of answering 500."""

    def changelist_view(self, request, extra_context=None):
        refused = refused_date_lookups(self.model, request.GET)
        if refused:
            kept = request.GET.copy()
            for key in refused:
                kept.pop(key)
            request.GET = kept
            names = ", ".join(key[:60] for key in refused[:SHOWN_AT_MOST])
            self.message_user(
                request,
                _("Left out a date filter that names no date: %(names)s.") % {"names": names},
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)


class TreueAdminSite(admin.AdminSite):
    """Django's admin site; every ``ModelAdmin`` registered with it checks its date lookups
    (``SafeDateLookups``)."""

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, SafeDateLookups):
            admin_class = type(
                admin_class.__name__,
                (SafeDateLookups, admin_class),
                {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__},
            )
        return super().register(model_or_iterable, admin_class, **options)
