"""Dates as Treue's pages show them in English ("3 Mar 2025") and as a date field reads them;
the rest is Django's. One format per language: the short formats are the same."""

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = DATE_FORMAT
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
MONTH_DAY_FORMAT = "j M"
# The first is how a date field writes its date (``crm.i18n.DateInput``); ISO is always read.
# No 10/03/2026: read as March by some and as October by others, it is refused.
DATE_INPUT_FORMATS = ["%d %b %Y", "%d %B %Y", "%b %d %Y", "%b %d, %Y"]
