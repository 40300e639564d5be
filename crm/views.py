from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST


@login_required
def home(request):
    """The home page is the user's portfolio (served by the app that knows the health scores)."""
    return redirect("retention:portfolio")


def healthz(request):
    """Liveness for load balancers: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


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
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    return redirect(target)
