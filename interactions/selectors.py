"""Things that read the documented relationship, scoped through ``crm.scoping``."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from crm import scoping

from .models import Interaction


def interactions_for(user) -> QuerySet[Interaction]:
    """Interactions (not deleted) on accounts ``user`` may read."""
    qs = Interaction.objects.alive().select_related("account", "author")
    return scoping.visible(user, qs, via="account")


def interaction_for(user, pk: int) -> Interaction:
    return get_object_or_404(interactions_for(user).prefetch_related("contacts"), pk=pk)
