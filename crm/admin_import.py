"""The admin's CSV import page (``/admin/import/``): upload a file, see the dry run (every bad
row with its line, or the counts and the first rows), then "Import now" commits it. It knows no
app: the kinds come from the registry (``crm.csv_import.runner.importers``).

An upload over ``IMPORT_MAX_BYTES`` is refused from the request's length, before its body is
read: the view is exempt from the CSRF middleware (which would read the body to find the token)
and checks the token itself once the length is known to be fine.

Between the two steps the upload stays on the server under ``MEDIA_ROOT/csv_imports/``, named
by a random token kept in the session; the browser only echoes the token back so a stale tab
cannot commit a newer upload, and no path ever comes from the client.
"""

import re
import secrets
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from .csv_import.errors import ImportFailed
from .csv_import.reading import check_size, max_bytes
from .csv_import.runner import importers, run_import

SESSION_KEY = "csv_import"
UPLOAD_DIR = "csv_imports"
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32}$")
STALE_SECONDS = 24 * 60 * 60
# What a request may hold besides the file: the form's other fields and the multipart framing.
FORM_OVERHEAD_BYTES = 64 * 1024


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"))
    file = forms.FileField(label=_("CSV file"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind, kind) for kind in importers()]


@csrf_exempt  # checked below, after the length: the CSRF middleware would read the body
def import_csv_view(request):
    """Upload and preview (POST with a file) or commit the previewed file (POST "commit")."""
    if not request.user.is_admin_role:
        raise PermissionDenied
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > max_bytes() + FORM_OVERHEAD_BYTES:
        try:
            check_size(length)
        except ImportFailed as failed:
            return _render(request, UploadForm(), _failure_context(failed), status=413)
    return _import_csv(request)


@csrf_protect
def _import_csv(request):
    if request.method == "POST" and "commit" in request.POST:
        return _commit(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    context = {}
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        upload = form.cleaned_data["file"]
        try:
            check_size(upload.size)
        except ImportFailed as failed:
            return _render(request, UploadForm(initial={"kind": kind}), _failure_context(failed))
        token = _store(request, upload)
        request.session[SESSION_KEY] = {"token": token, "kind": kind, "name": upload.name}
        try:
            result = run_import(kind=kind, data=_path(token).read_bytes(), dry_run=True)
        except ImportFailed as failed:
            _discard(request)
            context = _failure_context(failed)
        else:
            context = {"result": result, "token": token, "file_name": upload.name}
        form = UploadForm(initial={"kind": kind})
    return _render(request, form, context)


def _commit(request):
    pending = request.session.get(SESSION_KEY) or {}
    token = pending.get("token", "")
    if not TOKEN_RE.match(token) or request.POST.get("token") != token:
        messages.error(request, _("Nothing to import: upload the file again."))
        return redirect("admin_import_csv")
    path = _path(token)
    if not path.exists():
        _discard(request)
        messages.error(request, _("The uploaded file has expired: upload it again."))
        return redirect("admin_import_csv")
    try:
        result = run_import(
            kind=pending["kind"], data=path.read_bytes(), dry_run=False, by=request.user
        )
    except ImportFailed as failed:
        _discard(request)
        form = UploadForm(initial={"kind": pending["kind"]})
        return _render(request, form, _failure_context(failed))
    _discard(request)
    messages.success(request, f"{pending['name']}: {result.summary()}")
    return redirect("admin_import_csv")


def _render(request, form, context, status=200):
    return TemplateResponse(
        request,
        "admin/import_csv.html",
        {
            **admin.site.each_context(request),
            "title": _("Import CSV"),
            "form": form,
            "importers": importers().values(),
            "action_url": reverse("admin_import_csv"),
            "max_size": max_bytes(),
            **context,
        },
        status=status,
    )


def _failure_context(failed: ImportFailed) -> dict:
    return {"errors": failed.errors, "error_count": failed.total, "errors_hidden": failed.more}


def _upload_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / UPLOAD_DIR


def _path(token: str) -> Path:
    if not TOKEN_RE.match(token):
        raise ValueError("not an import token")
    return _upload_dir() / f"{token}.csv"


def _store(request, upload) -> str:
    """Keep the upload under a new random token, replacing this session's previous one, and
    sweep away uploads nobody committed within a day."""
    _discard(request)
    directory = _upload_dir()
    directory.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - STALE_SECONDS
    for old in directory.glob("*.csv"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    with _path(token).open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return token


def _discard(request) -> None:
    pending = request.session.pop(SESSION_KEY, None) or {}
    token = pending.get("token", "")
    if TOKEN_RE.match(token):
        _path(token).unlink(missing_ok=True)
