import logging

from celery import current_app
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, login_required
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from . import feeds, inbox, services
from .forms import UserSettingsForm

logger = logging.getLogger(__name__)


@login_required
def home(request):
    """The home page is the user's portfolio (served by the app that knows the health scores)."""
    return redirect("retention:portfolio")


@login_not_required
def healthz(request):
    """For load balancers and monitoring, public: does the database answer, does the broker?

    503 when the database is down: this node cannot serve pages. The broker down gives 200
    with ``"status": "degraded"``: pages, interaction logging and the API keep working
    without Redis (tasks are kept and sent later, ``crm.queue``), so pulling every web node
    out of the load balancer during a Redis outage would turn a degraded service into none."""
    database, broker = _check_database(), _check_broker()
    if database != "ok":
        status, code = "down", 503
    elif broker != "ok":
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    return JsonResponse({"status": status, "database": database, "broker": broker}, status=code)


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        return _failed("database", error)
    return "ok"


def _check_broker() -> str:
    # One quick attempt (a refused connection answers at once; a silent host waits 1 s).
    try:
        with current_app.connection_for_write(connect_timeout=1) as conn:
            conn.ensure_connection(max_retries=0, timeout=1)
    except Exception as error:
        return _failed("broker", error)
    return "ok"


def _failed(what: str, error: Exception) -> str:
    """The answer is public: it names the kind of error; host names and users go to the log."""
    logger.warning("healthz: the %s failed: %s", what, error)
    return f"error: {type(error).__name__}"


def safe_next(request, default: str) -> str:
    """Where to go back to after an action: the ``next`` parameter when it is a path on this
    site, else ``default``. A path only: ``redirect`` would take a bare word such as "-1" for a
    view name (a 500), and another site's address would be an open redirect."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return default


def add_service_errors(form, error: ValidationError) -> None:
    """Show a service's ``ValidationError`` on the form: on the field it names when the form
    has that field, else above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
@require_POST
def set_language(request):
    """Remember the user's language (empty = follow the browser) and go back where they were."""
    language = request.POST.get("language", "")
    if language not in {"", *dict(settings.LANGUAGES)}:
        return HttpResponseBadRequest(_("Unknown language."))
    request.user.language = language
    request.user.save(update_fields=["language"])
    translation.activate(language or translation.get_language_from_request(request))
    messages.success(request, _("Language saved."))
    return redirect(safe_next(request, "/"))


# --- the inbox ------------------------------------------------------------------------------

INBOX_PAGE_SIZE = 30


@login_required
def inbox_list(request):
    """What needs the user, newest first; unread ones stand out."""
    from django.core.paginator import Paginator

    unread_only = request.GET.get("show") == "unread"
    items = inbox.items_for(request.user, unread_only=unread_only)
    page = Paginator(items, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    for item in page:
        item.text = inbox.worded(item)
    context = {
        "page": page,
        "unread_only": unread_only,
        "querystring": _query_without_page(request),
    }
    return render(request, "crm/inbox.html", context)


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def inbox_open(request, pk: int):
    """Follow an item to its place; it counts as read from now on."""
    item = inbox.item_for(request.user, pk)
    inbox.mark_read(user=request.user, item_ids=[item.pk])
    return redirect(item.link)


@login_required
@require_POST
def inbox_read(request, pk: int):
    item = inbox.item_for(request.user, pk)
    inbox.mark_read(user=request.user, item_ids=[item.pk])
    if request.htmx:
        item.refresh_from_db()
        item.text = inbox.worded(item)
        context = {"item": item, "unread": inbox.unread_count(request.user)}
        return render(request, "crm/_inbox_item.html", context)
    return redirect(safe_next(request, reverse("inbox")))


@login_required
@require_POST
def inbox_read_all(request):
    marked = inbox.mark_read(user=request.user)
    messages.success(
        request,
        ngettext("%(n)d item marked read.", "%(n)d items marked read.", marked) % {"n": marked},
    )
    return redirect(safe_next(request, reverse("inbox")))


# --- the user's settings --------------------------------------------------------------------


@login_required
def user_settings(request):
    """The user's language, the daily digest, and their private calendar feed."""
    form = UserSettingsForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.update_settings(user=request.user, **form.cleaned_data)
        messages.success(request, _("Settings saved."))
        return redirect("user_settings")
    context = {"form": form, "feed_url": request.build_absolute_uri(feeds.feed_path(request.user))}
    return render(request, "crm/settings.html", context)


@login_required
@require_POST
def rotate_calendar_feed(request):
    """A new private feed URL; the old one answers 404 from now on."""
    feeds.rotate_feed(user=request.user)
    messages.success(
        request,
        _(
            "Your calendar feed has a new address. Calendars subscribed to the old one no longer "
            "update: subscribe them to the new one."
        ),
    )
    return redirect(reverse("user_settings") + "#calendar-feed")
