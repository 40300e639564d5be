"""``{% load plays %}``: the playbooks' part of the lists of accounts, which the health pages
below cannot import: ``{% current_plays page %}`` gives each account of the page its
``current_play`` (the newest open run's playbook name; one query), ``{% campaign_playbooks
as choices %}`` what a lead may start on a selection."""

from django import template

from retention.playbooks import selectors

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
