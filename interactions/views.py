from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import selectors


@login_required
def interaction_detail(request, pk: int):
    interaction = selectors.interaction_for(request.user, pk)
    return render(request, "interactions/interaction_detail.html", {"interaction": interaction})
