"""``{% load touches %}{% next_touch account as touch %}``: the account's next planned touch
and its open planned meetings, for pages of the apps below this one (the account page) that
cannot import the rule (``interactions.calendar.touches``)."""

from django import template

from interactions.calendar.touches import next_touch_of

register = template.Library()


@register.simple_tag
def next_touch(account) -> dict:
    return next_touch_of(account)
