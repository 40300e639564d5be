"""Template filters every page may use: ``{% load treue %}``.

- ``money``: an amount in the installation's currency, formatted for the reader's language
  (``{{ account.mrr|money }}`` → "1.234,50 €" / "€1,234.50"; ``|money:0`` for whole units).
- ``ago``: how long ago a moment was, in one style per column ("3 days ago", "vor 3 Tagen").
- ``edited``: whether a record was changed more than a minute after it was made
  (``{% if interaction|edited %}``).
- ``changeable_by``: whether a user may change an account (``crm.scoping.can_edit``), e.g.
  to offer a list's checkbox only where an action may follow (``{% if a|changeable_by:user %}``).
- ``{% date_example %}``: a day as a date field of the reader's language expects it
  ("31.10.2026" / "31 Oct 2026"), for the placeholder of a date input written by hand.
"""

from django import template

from crm import scoping
from crm.i18n import date_example as example
from crm.i18n import format_ago, format_money

register = template.Library()


@register.filter
def money(amount, digits=None):
    if digits in (None, ""):
        return format_money(amount)
    return format_money(amount, digits=int(digits))


@register.simple_tag
def date_example():
    return example()


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
