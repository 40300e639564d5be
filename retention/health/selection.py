"""Acting on a selection in a list (the accounts list, the portfolio, the at-risk list): the
accounts ticked on the page, or every account the list shows under its filters, narrowed to
those the user may change (``crm.scoping``). Sending a survey to their decision makers and
champions is here; starting a play on them is the playbooks' (``start_play``), on the same
selection.

The form is ``retention/_campaign_form.html``: plain checkboxes and buttons, no JavaScript.
An account the user may not change is refused, counted and said, never named (an id of
another team's account reads the same as an id no account has)."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from crm.db import MAX_ID
from crm.views import safe_next
from customers import selectors as customer_selectors
from customers.models import Account
from interactions.surveys import services as survey_services

from . import at_risk
from .views import portfolio_query

# What "all accounts of this list" reads, per list: the same query as the page.
LISTS = {
    "accounts": lambda user, params: customer_selectors.accounts_for(
        user, search=params.get("q", "").strip()
    ),
    "portfolio": lambda user, params: portfolio_query(user, params)[0],
    "at_risk": at_risk.listed_accounts,
}
# The most accounts one survey send may ask (10,000 accounts: bench/bench_surveys.py).
MAX_SURVEY_ACCOUNTS = 10_000
# A list's query string is a few filters; more is not a list's.
MAX_QUERY = 2000


@dataclass
class Selection:
    """The accounts of a selection the user may change, and how many of those asked for
    (ticked, or all the list shows) were refused as not theirs."""

    accounts: QuerySet[Account]
    count: int
    refused: int


def selection_from(request, *, limit: int, too_many: str) -> Selection | None:
    """The selection posted from a list: ``account`` (ticked ids), or ``all`` with ``list``
    (``LISTS``) and ``query`` (the list's filters); 404 for a malformed post. Tells the user
    (the request's messages) how many were left out as not theirs to change and, when more
    than ``limit`` remain, that nothing is done (``too_many``, worded with ``%(max)s`` and
    ``%(n)s``): then None."""
    editable = customer_selectors.editable_accounts_for(request.user)
    if request.POST.get("all") == "1":
        listing = LISTS.get(request.POST.get("list", ""))
        query = request.POST.get("query", "")
        if listing is None or len(query) > MAX_QUERY:
            raise Http404
        listed = listing(request.user, QueryDict(query)).order_by().values("pk")
        asked = listed.count()
        accounts = editable.filter(pk__in=listed)
    else:
        try:
            wanted = {int(v) for v in request.POST.getlist("account")}
        except (TypeError, ValueError):
            raise Http404 from None
        asked = len(wanted)
        accounts = editable.filter(pk__in=[pk for pk in wanted if 0 < pk <= MAX_ID])
    count = accounts.count()
    selection = Selection(accounts=accounts, count=count, refused=max(asked - count, 0))
    if selection.refused:
        messages.warning(
            request,
            ngettext(
                "%(n)s selected account was left out: you may not change it.",
                "%(n)s selected accounts were left out: you may not change them.",
                selection.refused,
            )
            % {"n": selection.refused},
        )
    if count > limit:
        numbers = {"max": limit, "n": count}
        messages.error(
            request,
            too_many % {k: number_format(v, force_grouping=True) for k, v in numbers.items()},
        )
        return None
    return selection


@login_required
@require_POST
def send_survey(request):
    """Send a survey to the decision makers and champions of the selected accounts; the
    messages say how many were asked, how many skipped and why."""
    try:
        survey_services.validate_kind(request.POST.get("survey_kind", ""))
    except ValidationError:
        raise Http404 from None
    back = redirect(safe_next(request, default=reverse("home")))
    selection = selection_from(
        request,
        limit=MAX_SURVEY_ACCOUNTS,
        too_many=_("A survey goes to at most %(max)s accounts at once; %(n)s are selected."),
    )
    if selection is None:
        return back
    if not selection.count:
        messages.warning(request, _("Select the accounts to ask first."))
        return back
    result = survey_services.send_to_accounts(
        accounts=selection.accounts,
        kind=request.POST["survey_kind"],
        sender=request.user,
        count=selection.count,
    )
    (messages.success if result.queued_ids else messages.warning)(request, result.message())
    return back
