"""``{% load wording %}``: what the health model and the risk flags stored, in the reader's
language.

``{{ flag.why|worded }}``, ``{{ reason.said|worded }}``, ``{{ guard|worded }}``: a stored
message (an id and its parameters) worded in the active language; a text stored before
messages were (or a person's comment) as it is. Either way the template escapes it.
"""

from django import template

from retention.health.wording import word

register = template.Library()


@register.filter
def worded(said) -> str:
    return word(said)
