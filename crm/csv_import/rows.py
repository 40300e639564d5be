"""One row of a CSV file and the typed reading of its values. A getter that cannot read its
value records the problem (with the line) and returns an empty value, so every problem of a
file is found in one pass.

Formats (DESIGN.md "Public interfaces"): dates are ISO (``2026-12-31``) or German
(``31.12.2026``); numbers are ``1200.50``, and in a semicolon-separated file (German Excel) also
``1.200,50`` or ``1200,50`` (there a dot followed by three digits groups thousands: ``1.500`` is
1500).
"""

import datetime as dt
import re
import zoneinfo
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from ..spreadsheet import formula_in
from .errors import ErrorList

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
GERMAN_DATE_RE = re.compile(
    r"^(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})"
    r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?$"
)
NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
GERMAN_NUMBER_RE = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")
INTEGER_RE = re.compile(r"^[+-]?\d+$")
TRUE_WORDS = {"true", "yes", "1", "wahr", "ja"}
FALSE_WORDS = {"false", "no", "0", "", "falsch", "nein"}
MAX_INT = 2_147_483_647

# CSV injection (``crm.spreadsheet``): a text cell a spreadsheet would run as a formula once the
# data is exported again is refused, by the rule every export defuses. Numbers are read by
# ``Row.integer`` / ``Row.decimal`` and never checked for it.
SEPARATOR_NAMES = {",": "“,”", ";": "“;”"}


def shown(value: str) -> str:
    """A value as quoted in a message: at most 40 characters."""
    return value if len(value) <= 40 else value[:37] + "..."


class Layout:
    """What every row of a file shares: its columns (by position) and its delimiter."""

    __slots__ = ("columns", "delimiter", "index")

    def __init__(self, columns: list[str], delimiter: str):
        self.columns = columns
        self.index = {name: i for i, name in enumerate(columns)}
        self.delimiter = delimiter

    @property
    def german_numbers(self) -> bool:
        """German Excel saves semicolon-separated files with decimal commas."""
        return self.delimiter == ";"


class Row:
    """The values of one CSV row, with typed getters. A getter that cannot read its value
    records the problem (with the line) and returns None (or an empty value)."""

    __slots__ = ("errors", "layout", "line", "raw_values")

    def __init__(self, line: int, values: list[str], layout: Layout, errors: ErrorList):
        self.line = line
        self.raw_values = values
        self.layout = layout
        self.errors = errors

    @property
    def ok(self) -> bool:
        return self.line not in self.errors.bad_lines

    def error(self, message: str) -> None:
        self.errors.add(self.line, message)

    def has(self, column: str) -> bool:
        """Whether the file has this column (a missing column leaves the stored value alone)."""
        return column in self.layout.index

    def value(self, column: str) -> str:
        """The column's value as written (stripped); "" when empty or not in the file."""
        i = self.layout.index.get(column)
        return "" if i is None else self.raw_values[i]

    def _get(self, column: str, required: bool) -> str | None:
        value = self.value(column)
        if not value:
            if required:
                self.error(_("%(column)s is required") % {"column": column})
            return None
        return value

    def text(self, column: str, *, max_length: int | None = None, required=False) -> str:
        value = self._get(column, required)
        if value is None:
            return ""
        if found := formula_in(value):
            self._formula(column, value, *found)
            return ""
        if max_length is not None and len(value) > max_length:
            self.error(
                _("%(column)s is %(length)s characters long (at most %(max)s)")
                % {"column": column, "length": len(value), "max": max_length}
            )
            return ""
        return value

    def _formula(self, column: str, value: str, piece: str, separator: str) -> None:
        if not separator:
            self.error(
                _(
                    "%(column)s “%(value)s” starts like a spreadsheet formula, which a "
                    "spreadsheet would run when the data is exported (CSV injection); remove "
                    "the leading “%(sign)s”"
                )
                % {"column": column, "value": shown(value), "sign": value[0]}
            )
            return
        where = SEPARATOR_NAMES.get(separator[-1], _("a tab or line break"))
        self.error(
            _(
                "%(column)s “%(value)s” holds a spreadsheet formula after %(separator)s "
                "(“%(piece)s”), which a spreadsheet would run when the data is exported "
                "(CSV injection); remove the “%(sign)s” or the %(separator)s before it"
            )
            % {
                "column": column,
                "value": shown(value),
                "separator": where,
                "piece": shown(piece),
                "sign": piece[0],
            }
        )

    # --- dates ---------------------------------------------------------------------------

    def date(self, column: str, *, required=False) -> dt.date | None:
        """An ISO (2026-12-31) or German (31.12.2026) date."""
        value = self._get(column, required)
        if value is None:
            return None
        try:
            if DATE_RE.match(value):
                return dt.date.fromisoformat(value)
            german = GERMAN_DATE_RE.match(value)
            if german is None or german["hour"] is not None:
                raise ValueError
            return dt.date(int(german["year"]), int(german["month"]), int(german["day"]))
        except ValueError:
            self.error(
                _("%(column)s “%(value)s” is not a date (use YYYY-MM-DD or DD.MM.YYYY)")
                % {"column": column, "value": shown(value)}
            )
            return None

    def datetime(self, column: str, *, required=False) -> dt.datetime | None:
        """An ISO date-time or date, or a German one (31.12.2026 14:30); without a UTC offset
        it is local time (``TIME_ZONE``)."""
        value = self._get(column, required)
        if value is None:
            return None
        try:
            german = GERMAN_DATE_RE.match(value)
            if german is not None:
                parts = ("year", "month", "day", "hour", "minute", "second")
                moment = dt.datetime(*(int(german[part] or 0) for part in parts))
            elif DATE_RE.match(value[:10]):
                moment = dt.datetime.fromisoformat(value)
            else:
                raise ValueError
        except ValueError:
            self.error(
                _(
                    "%(column)s “%(value)s” is not a date and time (use YYYY-MM-DD HH:MM, "
                    "optionally with a UTC offset such as +01:00, or DD.MM.YYYY HH:MM)"
                )
                % {"column": column, "value": shown(value)}
            )
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
        return moment

    # --- numbers -------------------------------------------------------------------------

    def _number_text(self, value: str) -> str:
        """The number in the form Python reads: a German 1.234,50 in a semicolon file becomes
        1234.50; anything else is left as it is."""
        if self.layout.german_numbers and GERMAN_NUMBER_RE.match(value):
            return value.replace(".", "").replace(",", ".")
        return value

    def _not_a_number(self, column: str, value: str) -> None:
        if self.layout.german_numbers:
            text = _("%(column)s “%(value)s” is not a number (write it like 1.200,50)")
        else:
            text = _("%(column)s “%(value)s” is not a number (write it like 1200.50)")
        self.error(text % {"column": column, "value": shown(value)})

    def decimal(
        self, column: str, *, required=False, places: int = 2, digits: int = 12
    ) -> Decimal | None:
        """A number with at most ``places`` decimals and ``digits`` digits. Its sign is left to
        the caller (the rule whose words the user should read)."""
        value = self._get(column, required)
        if value is None:
            return None
        number_text = self._number_text(value)
        if not NUMBER_RE.match(number_text):
            self._not_a_number(column, value)
            return None
        try:
            number = Decimal(number_text)
        except InvalidOperation:
            self._not_a_number(column, value)
            return None
        if number.adjusted() >= digits - places:
            self.error(_("%(column)s %(value)s is too large") % {"column": column, "value": value})
            return None
        step = Decimal(1).scaleb(-places)
        if number.quantize(step) != number:
            self.error(
                _("%(column)s %(value)s has more than %(places)s decimal places")
                % {"column": column, "value": value, "places": places}
            )
            return None
        return number.quantize(step)

    def integer(self, column: str, *, required=False) -> int | None:
        """A whole number ≥ 0."""
        value = self._get(column, required)
        if value is None:
            return None
        number_text = self._number_text(value)
        if not INTEGER_RE.match(number_text):
            self.error(
                _("%(column)s “%(value)s” is not a whole number")
                % {"column": column, "value": shown(value)}
            )
            return None
        number = int(number_text)
        if number < 0:
            self.error(_("%(column)s %(value)s is negative") % {"column": column, "value": value})
            return None
        if number > MAX_INT:
            self.error(_("%(column)s %(value)s is too large") % {"column": column, "value": value})
            return None
        return number

    # --- the rest ------------------------------------------------------------------------

    def boolean(self, column: str) -> bool:
        value = self.value(column).lower()
        if value in TRUE_WORDS:
            return True
        if value not in FALSE_WORDS:
            self.error(
                _("%(column)s “%(value)s” is not yes or no (use true/false, yes/no or 1/0)")
                % {"column": column, "value": shown(value)}
            )
        return False

    def choice(self, column: str, choices, *, required=False) -> str:
        """A value of a ``TextChoices``: its value or its label, in any case."""
        value = self._get(column, required)
        if value is None:
            return ""
        wanted = value.lower()
        for key, label in choices.choices:
            if wanted in (str(key).lower(), str(label).lower()):
                return key
        names = ", ".join(str(key) for key in choices.values)
        self.error(
            _("%(column)s “%(value)s” is not one of: %(choices)s")
            % {"column": column, "value": shown(value), "choices": names}
        )
        return ""

    def email(self, column: str, *, required=False) -> str:
        value = self.text(column, max_length=254, required=required)
        if value:
            try:
                validate_email(value)
            except ValidationError:
                self.error(
                    _("%(column)s “%(value)s” is not an email address")
                    % {"column": column, "value": shown(value)}
                )
                return ""
        return value
