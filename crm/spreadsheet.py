"""What a spreadsheet would run as a formula (CSV injection): one rule, used by every CSV
export (``crm.exports``), which defuses such text, and by the CSV import
(``crm.csv_import.rows``), which refuses it.

A formula starts with "=" or "@", or with "+" or "-" followed by more than a number or a phone
number ("-5", "+49 (30) 1234-56"); "- called back" counts, as a spreadsheet reads
"- cmd|' /C calc'!A0" as a formula too. It may start the text, or any piece of it after a
comma, semicolon, tab or line break: a spreadsheet that splits the line there (German Excel
splits on ";" even in a comma-separated file) sees that piece as a cell of its own. Runs of
those separators count as one, so "\\t=1" and ";\\r\\n@x" are caught. Linear in the text.
"""

import re
from collections.abc import Iterator

FORMULA_START_RE = re.compile(r"[=@]|[+-](?![\d\s()./-]*$)")
PIECE_SEPARATORS_RE = re.compile(r"[,;\t\r\n]+")
SIGN_AFTER_SEPARATOR_RE = re.compile(r"[,;\t\r\n][=@+-]")


def _pieces(value: str) -> Iterator[tuple[str, str]]:
    """``(separator before it, piece)`` for each piece of ``value``; "" before the first."""
    separator, start = "", 0
    for found in PIECE_SEPARATORS_RE.finditer(value):
        yield separator, value[start : found.start()]
        separator, start = found.group(), found.end()
    yield separator, value[start:]


def _may_hold_formula(value: str) -> bool:
    # Most text: no piece starts with a sign, and two searches say so.
    return bool(value) and (value[0] in "=@+-" or bool(SIGN_AFTER_SEPARATOR_RE.search(value)))


def formula_in(value: str) -> tuple[str, str] | None:
    """The first piece of ``value`` that starts like a formula, as ``(piece, separator before
    it)`` (the separator "" at the start of the text); None when no piece does."""
    if _may_hold_formula(value):
        for separator, piece in _pieces(value):
            if FORMULA_START_RE.match(piece):
                return piece, separator
    return None


def defuse(value: str) -> str:
    """``value`` with a "'" in front of every piece that starts like a formula, so a
    spreadsheet shows it as text however it splits the line; other text is unchanged.
    Defusing twice changes nothing more."""
    if formula_in(value) is None:
        return value
    return "".join(
        separator + ("'" if FORMULA_START_RE.match(piece) else "") + piece
        for separator, piece in _pieces(value)
    )
