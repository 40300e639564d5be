"""Dates as Treue's pages show them in English ("3 Mar 2025"); the rest is Django's."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "j M"
