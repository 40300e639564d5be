"""Formatting for the reader's language that every app shares.

``format_money``: an amount in the installation's currency, in the active language.
"""

import functools
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import babel
from babel.numbers import format_currency
from django.conf import settings
from django.utils import translation


@functools.lru_cache(maxsize=32)
def _currency_pattern(locale: str, digits: int | None) -> str | None:
    """The locale's currency pattern, with ``digits`` decimals (None: the currency's own)."""
    if digits is None:
        return None
    pattern = babel.Locale.parse(locale).currency_formats["standard"].pattern
    pattern = pattern.split(";")[0]
    decimals = "." + "0" * digits if digits else ""
    return re.sub(r"\.0+", decimals, pattern)


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
    language = translation.get_language() or settings.LANGUAGE_CODE
    locale = translation.to_locale(language)
    try:
        pattern = _currency_pattern(locale, digits)
    except (babel.UnknownLocaleError, ValueError):
        locale, pattern = "en", _currency_pattern("en", digits)
    return format_currency(
        value,
        currency or settings.CURRENCY,
        format=pattern,
        locale=locale,
        currency_digits=pattern is None,
    )
