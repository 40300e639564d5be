"""Dates as Treue's pages show them in German ("03.03.2025") and as a German types them; the
rest is Django's. One format per language: the short formats are the same."""

DATE_FORMAT = "d.m.Y"
SHORT_DATE_FORMAT = DATE_FORMAT
DATETIME_FORMAT = "d.m.Y, H:i"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
MONTH_DAY_FORMAT = "d.m."
# The first is how a date field writes its date (``crm.i18n.DateInput``); ISO is always read.
DATE_INPUT_FORMATS = ["%d.%m.%Y", "%d.%m.%y"]
