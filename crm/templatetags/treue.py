"""Template filters every page may use: ``{% load treue %}``.

- ``money``: an amount in the installation's currency, formatted for the reader's language
  (``{{ account.mrr|money }}`` → "1.234,50 €" / "€1,234.50"; ``|money:0`` for whole units).
- ``ago``: how long ago a moment was, in one style per column ("3 days ago", "vor 3 Tagen").
- ``edited``: whether a record was changed more than a minute after it was made
  (``{% if interaction|edited %}``); ``{% edited_pill record %}`` its "edited" pill, titled
  with when (one tag per timeline entry instead of an ``{% include %}``; issue 18).
- ``changeable_by``: whether a user may change an account (``crm.scoping.can_edit``), e.g.
  to offer a list's checkbox only where an action may follow (``{% if a|changeable_by:user %}``).
- ``{% date_example %}``: a day as a date field of the reader's language expects it
  ("31.10.2026" / "31 Oct 2026"), for the placeholder of a date input written by hand.
- ``{% band value %}``: a health band's badge (red, yellow, green, or "not scored yet");
  ``{% trend points %}``: a score's trend over 30 days (▲ up, ▼ down, ▶ steady). Rows of lists
  show them: built once per language and value, not by an ``{% include %}`` per row (issue 18).
- ``date``: Django's ``date`` filter, the same text (``|date:"DATE_FORMAT"``), from formats
  compiled once per language (``crm.i18n.format_date``): templates that load this library get
  it in place of Django's, which parsed the format and looked up the month's name again for
  every date of a list (issue 18).
- ``{% id_url "customers:contact_edit" contact.pk %}``: ``{% url %}`` for a view whose first
  argument is an id, without resolving the URL pattern for every row (``crm.links``).
"""

import datetime as dt
import functools

from django import template
from django.template import defaultfilters
from django.utils import formats, timezone, translation
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_noop

from crm import links, scoping
from crm.i18n import date_example as example
from crm.i18n import format_ago, format_date, format_money

register = template.Library()

BANDS = {
    "red": gettext_noop("Red"),
    "yellow": gettext_noop("Yellow"),
    "green": gettext_noop("Green"),
}


@register.filter
def money(amount, digits=None):
    if digits in (None, ""):
        return format_money(amount)
    return format_money(amount, digits=int(digits))


@register.simple_tag
def date_example():
    return example()


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    if isinstance(value, dt.date):
        return format_date(value, arg)
    return defaultfilters.date(value, arg)


@register.simple_tag
def id_url(viewname, pk, *rest):
    return links.id_url(viewname, pk, *rest)


@register.filter
def ago(moment):
    return format_ago(moment)


@register.filter
def edited(record) -> bool:
    """Whether ``record`` was saved again more than a minute after it was made: its
    ``updated_at`` against its ``created_at``, in whole seconds. Replaces comparing both as
    ``|date:"U"`` strings, which formatted two dates per timeline entry (issue 18)."""
    updated = getattr(record, "updated_at", None)
    created = getattr(record, "created_at", None)
    if updated is None or created is None:
        return False
    return int(updated.timestamp()) > int(created.timestamp()) + 60


@register.filter
def changeable_by(account, user) -> bool:
    return scoping.can_edit(user, account)


@register.simple_tag
def edited_pill(record) -> str:
    if not edited(record):
        return mark_safe("\n")
    at = format_date(timezone.template_localtime(record.updated_at), "DATETIME_FORMAT")
    title = mark_safe(gettext("edited %(at)s") % {"at": escape(at)})
    return format_html(
        '<span class="pill" title="{}" data-testid="edited">{}</span>\n', title, gettext("edited")
    )


@functools.lru_cache(maxsize=32)
def _band(band: str, language: str | None) -> str:
    if band in BANDS:
        label = gettext(BANDS[band])
        return format_html('<span class="band band-{}">{}</span>\n', band, label)
    return format_html(
        '<span class="band band-none" title="{}">—</span>\n', gettext("Not scored yet")
    )


@register.simple_tag
def band(value) -> str:
    return _band(value if value in BANDS else "", translation.get_language())


@functools.lru_cache(maxsize=16)
def _trend_titles(language: str | None) -> tuple[str, str, str]:
    return gettext("up over 30 days"), gettext("down over 30 days"), gettext("steady")


@register.simple_tag
def trend(points) -> str:
    if points is None:
        return mark_safe('<span class="trend-flat">·</span>\n')
    up, down, steady = _trend_titles(translation.get_language())
    shown = str(points) if type(points) is int else formats.localize(points)
    if points >= 5:
        return format_html('<span class="trend-up" title="{}">▲ {}</span>\n', up, shown)
    if points <= -5:
        return format_html(
            '<span class="trend-down" title="{}">▼ {}</span>\n', down, str(int(points))[1:]
        )
    return format_html('<span class="trend-flat" title="{}">▶ {}</span>\n', steady, shown)
