"""Template filters every page may use: ``{% load treue %}``.

- ``money``: an amount in the installation's currency, formatted for the reader's language
  (``{{ account.mrr|money }}`` → "1.234,50 €" / "€1,234.50"; ``|money:0`` for whole units).
"""

from django import template

from crm.i18n import format_money

register = template.Library()


@register.filter
def money(amount, digits=None):
    if digits in (None, ""):
        return format_money(amount)
    return format_money(amount, digits=int(digits))
