"""``{% load plays %}``: the playbooks' part of the lists of accounts, which the health pages
below cannot import: ``{% current_plays page %}`` gives each account of the page its
``current_play`` (the newest open run's playbook name; one query), ``{% campaign_playbooks
as choices %}`` what a lead may start on a selection, ``{{ step|step_outcome }}`` what a survey
step did on its day, in the reader's language."""

from django import template

from retention.playbooks import selectors
from retention.playbooks.surveys import outcome_text

register = template.Library()


@register.simple_tag
def current_plays(accounts) -> str:
    accounts = list(accounts)
    plays = selectors.current_plays([a.pk for a in accounts])
    for account in accounts:
        account.current_play = plays.get(account.pk, "")
    return ""


@register.simple_tag
def campaign_playbooks():
    return list(selectors.playbooks().values("pk", "name"))


@register.filter
def step_outcome(step) -> str:
    return outcome_text(step)
