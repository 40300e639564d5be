"""``{% load surveys %}{% survey_history account as history %}``: the account's NPS and CSAT
answers of the last 12 months (per month, per contact, the trend), for the account page
(``customers``), which cannot import the selector (``interactions.surveys.selectors``)."""

from django import template

from interactions.surveys.selectors import SurveyHistory, nps_history

register = template.Library()


@register.simple_tag
def survey_history(account) -> SurveyHistory:
    return nps_history(account)
