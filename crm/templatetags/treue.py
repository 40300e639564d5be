"""Template filters every page may use: ``{% load treue %}``.

- ``money``: an amount in the installation's currency, formatted for the reader's language
  (``{{ account.mrr|money }}`` → "1.234,50 €" / "€1,234.50"; ``|money:0`` for whole units).
- ``stored_text``: a sentence the nightly run stored (a health reason, a guard note, a flag's
  explanation) in the reader's language; any other text as it is.
"""

from django import template

from crm.i18n import format_money, translate_stored

register = template.Library()


@register.filter
def money(amount, digits=None):
    if digits in (None, ""):
        return format_money(amount)
    return format_money(amount, digits=int(digits))


@register.filter
def stored_text(text):
    return translate_stored(text)
