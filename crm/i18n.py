"""Sentences Treue stores as text, translated again when someone reads them.

The nightly scoring words the reasons of a health score, its guard notes and the explanation of
a risk flag with gettext and named placeholders, in the language active when it runs (the
installation's ``LANGUAGE_CODE``), and stores the finished sentence: the history, the API and
the digest keep exactly what was said. A page passes such a text through ``translate_stored``,
which recognises the sentence by its registered msgid in any of ``LANGUAGES``, translates the
placeholder values that are themselves registered words or sentences (dates and decimals are
formatted for the reader), and words it again in the active language. A text it does not
recognise — a person's comment, a sentence of an older wording — is returned as stored.

The app that stores such sentences registers them once (``register_sentences``,
``register_plural``, ``register_words``), from its ``AppConfig.ready``.
"""

import datetime as dt
import functools
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import babel
from babel.numbers import format_currency
from django.conf import settings
from django.utils import formats, translation

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
ISO_DATE = re.compile(r"\A\d{4}-\d{2}-\d{2}\Z")
DECIMAL = re.compile(r"\A-?\d+\.\d+\Z")
# Reasons are stored as "−18: no meeting ..." joined by "; " (see retention.health.flags).
SCORED_PART = re.compile(r"\A(?P<impact>[-−+]?\d+): (?P<text>.+)\Z", re.S)
# Counts that pick each plural form in the languages we ship (en, de: 1 and other).
PLURAL_PROBES = (0, 1, 2, 3, 5, 11, 21, 101)


@dataclass(frozen=True)
class Sentence:
    msgid: str
    plural: str = ""
    count: str = ""  # the placeholder whose number picks the plural form

    def forms(self) -> set[str]:
        """The wordings of this sentence in the active language."""
        if not self.plural:
            return {translation.gettext(self.msgid)}
        return {translation.ngettext(self.msgid, self.plural, n) for n in PLURAL_PROBES}

    def render(self, values: dict[str, str]) -> str:
        if not self.plural:
            return translation.gettext(self.msgid) % values
        try:
            n = int(values.get(self.count, ""))
        except ValueError:
            n = 2
        return translation.ngettext(self.msgid, self.plural, n) % values


_sentences: dict[str, Sentence] = {}
_words: dict[str, None] = {}  # ordered set: the first registered wins a tie on the way back


def register_sentences(*msgids: str) -> None:
    """Sentences with named placeholders (``%(days)s``) that are stored once worded."""
    for msgid in msgids:
        _sentences[msgid] = Sentence(msgid)
    _patterns.cache_clear()


def register_plural(singular: str, plural: str, *, count: str) -> None:
    """A sentence worded with ``ngettext``; ``count`` names the placeholder of the number."""
    _sentences[singular] = Sentence(singular, plural, count)
    _patterns.cache_clear()


def register_words(*msgids: str) -> None:
    """Words that a stored sentence holds as a placeholder value ("met", "red", "promoter")."""
    _words.update(dict.fromkeys(msgids))
    _words_in.cache_clear()


def _regex(template: str) -> re.Pattern:
    parts, seen, at = [], set(), 0
    for match in PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[at : match.start()].replace("%%", "%")))
        name = match.group(1)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
        at = match.end()
    parts.append(re.escape(template[at:].replace("%%", "%")))
    return re.compile(r"\A" + "".join(parts) + r"\Z", re.S)


@functools.lru_cache(maxsize=16)
def _patterns(language: str) -> list[tuple[re.Pattern, Sentence]]:
    """Every registered sentence as a pattern, as worded in ``language``: the most literal
    text first, so that a specific sentence wins over a general one."""
    found = []
    with translation.override(language):
        for sentence in _sentences.values():
            for form in sentence.forms():
                literal = len(PLACEHOLDER.sub("", form))
                found.append((literal, _regex(form), sentence))
    found.sort(key=lambda item: -item[0])
    return [(pattern, sentence) for _literal, pattern, sentence in found]


@functools.lru_cache(maxsize=16)
def _words_in(language: str) -> dict[str, str]:
    """A registered word as worded in ``language`` → its msgid."""
    with translation.override(language):
        worded: dict[str, str] = {}
        for msgid in _words:
            worded.setdefault(translation.gettext(msgid), msgid)
        return worded


def _languages() -> list[str]:
    active = translation.get_language() or settings.LANGUAGE_CODE
    codes = [code for code, _name in settings.LANGUAGES]
    return [active, *(c for c in codes if c != active)]


def _parse(text: str, languages: list[str]) -> tuple[str, Sentence, dict[str, str]] | None:
    for language in languages:
        for pattern, sentence in _patterns(language):
            match = pattern.fullmatch(text)
            if match:
                return language, sentence, match.groupdict()
    return None


def _value(value: str, source: str) -> str:
    """A placeholder value of a sentence stored in ``source``, for the active language."""
    msgid = _words_in(source).get(value)
    if msgid is not None:
        return translation.gettext(msgid)
    parsed = _parse(value, [source])
    if parsed is not None:
        return _render(*parsed)
    if "; " in value:
        return "; ".join(_value(part, source) for part in value.split("; "))
    scored = SCORED_PART.fullmatch(value)
    if scored:
        return f"{scored['impact']}: {_value(scored['text'], source)}"
    pieces = value.split(", ")
    if len(pieces) > 1 and all(piece in _words_in(source) for piece in pieces):
        return ", ".join(_value(piece, source) for piece in pieces)
    if ISO_DATE.match(value):
        try:
            return formats.date_format(dt.date.fromisoformat(value), "SHORT_DATE_FORMAT")
        except ValueError:
            return value
    if DECIMAL.match(value):
        try:
            places = len(value.split(".")[1])
            return formats.number_format(Decimal(value), places, use_l10n=True, force_grouping=True)
        except InvalidOperation:
            return value
    return value


def _render(source: str, sentence: Sentence, values: dict[str, str]) -> str:
    return sentence.render({name: _value(v, source) for name, v in values.items()})


def translate_stored(text) -> str:
    """``text`` in the active language when it is a registered sentence (in any language of
    ``LANGUAGES``); otherwise ``text`` unchanged. A sentence already in the active language is
    returned exactly as stored."""
    if not text or not _sentences:
        return text
    text = str(text)
    active = translation.get_language() or settings.LANGUAGE_CODE
    parsed = _parse(text, _languages())
    if parsed is None or parsed[0] == active:
        return text
    return _render(*parsed)


# --- money ----------------------------------------------------------------------------------


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
