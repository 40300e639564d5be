"""Dates as Treue's pages show them in German ("03.03.2025"); the rest is Django's."""

DATE_FORMAT = "d.m.Y"
DATETIME_FORMAT = "d.m.Y, H:i"
MONTH_DAY_FORMAT = "d.m."
