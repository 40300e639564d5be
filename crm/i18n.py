"""Formatting for the reader's language that every app shares.

Dates: the one place their formats live is ``FORMAT_MODULE_PATH`` (``crm/formats/<lang>``):
templates write ``|date:"DATE_FORMAT"``, Python ``formats.date_format(day, "DATE_FORMAT")``.

``format_date``: what Django's ``formats.date_format`` writes, from a format compiled once per
language (the ``date`` filter of ``{% load treue %}``).
``format_money``: an amount in the installation's currency, in the active language.
``DateInput``: a date field's input, written and read in the language's format.
``format_ago``: how long ago a moment was, in one style ("3 days ago", "vor 3 Tagen").
"""

import datetime as dt
import functools
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import babel
from babel.numbers import parse_pattern
from django import forms
from django.conf import settings
from django.utils import dateformat, formats, timezone, translation
from django.utils.dates import MONTHS, MONTHS_3
from django.utils.translation import gettext, ngettext


@functools.lru_cache(maxsize=32)
def _currency_pattern(locale: str, digits: int | None) -> str | None:
    """The locale's currency pattern, with ``digits`` decimals (None: the currency's own)."""
    if digits is None:
        return None
    pattern = babel.Locale.parse(locale).currency_formats["standard"].pattern
    pattern = pattern.split(";")[0]
    decimals = "." + "0" * digits if digits else ""
    return re.sub(r"\.0+", decimals, pattern)


@functools.lru_cache(maxsize=32)
def _currency_format(language: str, digits: int | None):
    """The babel locale and parsed number pattern for ``language`` and ``digits``, built once:
    ``format_currency`` parsed both again for every amount (70 µs each, a tenth of a table's
    rendering; issue 18)."""
    locale = translation.to_locale(language)
    try:
        pattern = _currency_pattern(locale, digits)
        parsed = babel.Locale.parse(locale)
    except (babel.UnknownLocaleError, ValueError):
        locale, pattern = "en", _currency_pattern("en", digits)
        parsed = babel.Locale.parse(locale)
    if pattern is None:
        return parsed, parsed.currency_formats["standard"], True
    return parsed, parse_pattern(pattern), False


def format_money(amount, *, digits: int | None = None, currency: str | None = None) -> str:
    """``amount`` in the installation's currency (``CURRENCY``), for the active language:
    "1.234,50 €" in German, "€1,234.50" in English. ``digits`` rounds to that many decimals
    (0: whole units, for overviews); by default the currency's own (2 for EUR). Empty for
    None."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    if digits is not None:
        value = value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    locale, pattern, currency_digits = _currency_format(
        translation.get_language() or settings.LANGUAGE_CODE, digits
    )
    # What babel.numbers.format_currency does after parsing the locale and the pattern.
    return pattern.apply(
        value,
        locale,
        currency=currency or settings.CURRENCY,
        currency_digits=currency_digits,
    )


# The format characters ``format_date`` writes itself, as django.utils.dateformat does; a format
# with any other (time zones, weekdays, ...) is left to Django.
_DAY_PARTS = {
    "d": lambda v, months: f"{v.day:02d}",
    "j": lambda v, months: str(v.day),
    "m": lambda v, months: f"{v.month:02d}",
    "n": lambda v, months: str(v.month),
    "b": lambda v, months: months[0][v.month],
    "M": lambda v, months: months[1][v.month],
    "F": lambda v, months: months[2][v.month],
    "Y": lambda v, months: f"{v.year:04d}",
    "y": lambda v, months: f"{v.year % 100:02d}",
}
_TIME_PARTS = {
    "H": lambda v, months: f"{v.hour:02d}",
    "G": lambda v, months: str(v.hour),
    "i": lambda v, months: f"{v.minute:02d}",
    "s": lambda v, months: f"{v.second:02d}",
}


@functools.lru_cache(maxsize=64)
def _compiled_format(language: str | None, fmt: str):
    """``fmt`` split once into literal text and the functions of its format characters, with
    the month names of ``language`` (the active one when called); None when ``fmt`` holds a
    character only Django writes."""
    parts, has_time = [], False
    for i, piece in enumerate(dateformat.re_formatchars.split(fmt)):
        if i % 2:
            part = _DAY_PARTS.get(piece) or _TIME_PARTS.get(piece)
            if part is None:
                return None
            has_time = has_time or piece in _TIME_PARTS
            parts.append(part)
        elif piece:
            parts.append(dateformat.re_escaped.sub(r"\1", piece))
    months = tuple(
        {n: str(names[n]) for n in range(1, 13)} for names in (MONTHS_3, MONTHS_3, MONTHS)
    )
    months[1].update({n: name.title() for n, name in months[1].items()})
    return tuple(parts), has_time, months


def format_date(value, format_type: str | None = None) -> str:
    """``formats.date_format(value, format_type)`` (a date or datetime; ``format_type`` a
    format's name such as "DATE_FORMAT", or a format): the same text, but the format is split
    into its parts and the month names looked up once per language, not for every value as
    Django does (about 60 µs a date, paid per row of a list; issue 18)."""
    language = translation.get_language()
    fmt = formats.get_format(format_type or "DATE_FORMAT", language)
    compiled = _compiled_format(language, str(fmt))
    if compiled is None or not isinstance(value, dt.date):
        return formats.date_format(value, format_type)
    parts, has_time, months = compiled
    if has_time and not isinstance(value, dt.datetime):  # Django's TypeError, as Django says it
        return formats.date_format(value, format_type)
    return "".join(part if type(part) is str else part(value, months) for part in parts)


EXAMPLE_DAY = dt.date(2026, 10, 31)


class DateInput(forms.DateInput):
    """A date as the reader's language writes it ("31.10.2026", "31 Oct 2026"), typed as
    text: a browser's date picker sends nothing for a day it cannot read (31.02.2026), and
    the form would then ask for a date it was given. The field reads the language's
    ``DATE_INPUT_FORMATS`` and ISO; anything else is "Enter a valid date"."""

    input_type = "text"

    def __init__(self, attrs=None):
        super().__init__(attrs={"autocomplete": "off", **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].setdefault("placeholder", date_example())
        return context


def date_example() -> str:
    """A day written as a date field of the active language expects it."""
    return formats.localize_input(EXAMPLE_DAY, formats.get_format("DATE_INPUT_FORMATS")[0])


def format_ago(moment, *, today: dt.date | None = None) -> str:
    """How long ago ``moment`` (a date or an aware datetime) was, counted in whole days of
    the installation's time zone and said in one style for a whole column: "today", then days
    (up to 13), weeks (up to 8), months, years — "3 days ago" / "vor 3 Tagen", never Django's
    "1 Tag, 2 Stunden her" beside "vor 5 Minuten". Empty for None."""
    if moment is None or moment == "":
        return ""
    day = timezone.localdate(moment) if isinstance(moment, dt.datetime) else moment
    days = ((today or timezone.localdate()) - day).days
    if days <= 0:
        return gettext("today")
    if days < 14:
        return ngettext("%(n)s day ago", "%(n)s days ago", days) % {"n": days}
    if days < 60:
        weeks = days // 7
        return ngettext("%(n)s week ago", "%(n)s weeks ago", weeks) % {"n": weeks}
    if days < 365:
        months = days * 12 // 365
        return ngettext("%(n)s month ago", "%(n)s months ago", months) % {"n": months}
    years = days // 365
    return ngettext("%(n)s year ago", "%(n)s years ago", years) % {"n": years}
