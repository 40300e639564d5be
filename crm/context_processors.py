import functools

from django.conf import settings
from django.urls import Resolver404, get_urlconf, resolve
from django.utils.functional import SimpleLazyObject

from crm import inbox, scoping
from crm.db import counts

# Pages of other parts of the product the navigation links to when they are installed.
OPTIONAL_PAGES = {"at_risk_url": "/retention/at-risk/", "report_url": "/retention/report/"}


@functools.lru_cache(maxsize=16)
def _existing(path: str, urlconf: str) -> str:
    try:
        resolve(path, urlconf)
    except Resolver404:
        return ""
    return path


def _navigation(user) -> dict:
    nav = {"is_admin": user.is_admin_role, "is_lead": scoping.can_manage(user)}
    # The reverse relation by name: this app imports none of the apps above it.
    pending = user.transfers_to.filter(acknowledged_at__isnull=True)
    counted = {
        "handovers": scoping.visible(user, pending, via="account"),
        "inbox_unread": inbox.items_for(user, unread_only=True),
    }
    if nav["is_lead"]:  # and the handover requests they may decide
        requests = user.handover_requests_made.model.objects.filter(status="requested")
        counted["requests"] = scoping.editable(user, requests, via="account")
    # The numbers of every page in one query, not one each (issue 18).
    numbers = counts(**counted)
    nav["handovers"] = numbers["handovers"] + numbers.get("requests", 0)
    nav["inbox_unread"] = numbers["inbox_unread"]
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    nav.update({name: _existing(path, urlconf) for name, path in OPTIONAL_PAGES.items()})
    return nav


def treue(request):
    """Values every page needs: the installation's currency and the navigation by role
    (computed only when a template asks for it)."""
    context = {"CURRENCY": settings.CURRENCY}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["nav"] = SimpleLazyObject(lambda: _navigation(user))
    return context
