from django.conf import settings
from django.urls import Resolver404, resolve
from django.utils.functional import SimpleLazyObject

from crm import inbox, scoping

# Pages of other parts of the product the navigation links to when they are installed.
OPTIONAL_PAGES = {"at_risk_url": "/retention/at-risk/", "report_url": "/retention/report/"}


def _existing(path: str) -> str:
    try:
        resolve(path)
    except Resolver404:
        return ""
    return path


def _navigation(user) -> dict:
    nav = {"is_admin": user.is_admin_role, "is_lead": scoping.can_manage(user)}
    # The reverse relation by name: this app imports none of the apps above it.
    pending = user.transfers_to.filter(acknowledged_at__isnull=True)
    nav["handovers"] = scoping.visible(user, pending, via="account").count()
    nav["inbox_unread"] = inbox.unread_count(user)
    nav.update({name: _existing(path) for name, path in OPTIONAL_PAGES.items()})
    return nav


def treue(request):
    """Values every page needs: the installation's currency and the navigation by role
    (computed only when a template asks for it)."""
    context = {"CURRENCY": settings.CURRENCY}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["nav"] = SimpleLazyObject(lambda: _navigation(user))
    return context
