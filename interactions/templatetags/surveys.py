"""``{% load surveys %}{% survey_history account as months %}``: the account's NPS and CSAT
answers of the last 12 months, for the account page (``customers``), which cannot import the
selector (``interactions.surveys.selectors``)."""

from django import template

from interactions.surveys.selectors import nps_history

register = template.Library()


@register.simple_tag
def survey_history(account) -> list:
    return nps_history(account)
