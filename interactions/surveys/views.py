"""The public answer page of a survey link (no sign-in) and the CSM's pages to send them."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from crm.exports import csv_response
from customers import selectors as customer_selectors

from . import selectors, services
from .forms import SendSurveyForm


def _client(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def too_many(request) -> bool:
    """Counts this address's requests to answer pages in the cache (a fixed window): over
    SURVEY_RATE_LIMIT within SURVEY_RATE_WINDOW seconds is refused."""
    key = f"survey-rate:{_client(request)}"
    window = getattr(settings, "SURVEY_RATE_WINDOW", 600)
    if cache.add(key, 1, window):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # expired in between
        cache.add(key, 1, window)
        return False
    return count > getattr(settings, "SURVEY_RATE_LIMIT", 30)


def _page(request, template: str, context: dict, status: int = 200):
    context = {"company": services.company_name(), **context}
    response = render(request, f"interactions/survey/{template}", context, status=status)
    # The link is the key: never sent to another site. (Not "no-referrer": the browser would
    # then send "Origin: null" with the form, which the CSRF check refuses.)
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def answer(request, token: str):
    """The question with its buttons (a plain POST form to this same link: ``score``,
    ``comment``), the thank-you, the unsubscribe confirmation. An unknown, forged or expired
    link gets one friendly page that says nothing about why (404)."""
    if too_many(request):
        return _page(request, "limited.html", {}, status=429)
    send = services.find_live(token)
    if send is None:
        return _page(request, "gone.html", {}, status=404)
    with translation.override(send.language):
        unsubscribing = request.GET.get("unsubscribe") == "1"
        if request.method == "POST" and request.POST.get("unsubscribe") == "1":
            services.unsubscribe(send=send)
            return _page(request, "unsubscribed.html", {})
        if unsubscribing:
            return _page(request, "unsubscribe.html", {})
        if request.method == "POST":
            try:
                services.answer(
                    send=send,
                    score=request.POST.get("score"),
                    comment=request.POST.get("comment", ""),
                )
            except ValidationError as error:
                context = _question(send)
                context["errors"] = error.messages
                context["comment"] = request.POST.get("comment", "")[: services.COMMENT_MAX_LENGTH]
                return _page(request, "answer.html", context, status=400)
            return _page(request, "thanks.html", {"send": send})
        context = _question(send)
        return _page(request, "answer.html", context)


def _question(send) -> dict:
    """What the answer page shows: the question, its buttons, the answer so far."""
    template = services.template_for(send.kind, send.language)
    low, high = services.feedback_services.SCORE_RANGES[send.kind]
    return {
        "send": send,
        "question": services._fill(template.question, {"company": services.company_name()}),
        "scores": list(range(low, high + 1)),
        "comment": send.comment,
        "chosen": send.score,
        "max_comment": services.COMMENT_MAX_LENGTH,
    }


# --- sending, for signed-in users ---


@login_required
def send(request, pk: int):
    """Send a survey to contacts of one account; the message says how many were asked and how
    many skipped, and why."""
    account = customer_selectors.editable_account_for(request.user, pk)
    form = SendSurveyForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        result = services.send_surveys(
            account=account,
            contacts=form.cleaned_data["contacts"],
            kind=form.cleaned_data["kind"],
            sender=request.user,
        )
        (messages.success if result.queued_ids else messages.warning)(request, result.message())
        return redirect(account.get_absolute_url() + "#feedback")
    context = {"form": form, "account": account, "title": _("Send a survey")}
    return render(request, "interactions/simple_form.html", context)


# --- the report ---

REPORT_MONTHS = 12


@login_required
def report(request):
    """Response rate, NPS and CSAT by account, segment or CSM and month (a lead sees their
    team's, an admin all, a CSM their own)."""
    by = request.GET.get("by", "account")
    if by not in selectors.GROUPS:
        by = "account"
    today = timezone.localdate()
    since = (today.replace(day=1) - dt.timedelta(days=31 * (REPORT_MONTHS - 1))).replace(day=1)
    rows = selectors.report(request.user, by=by, since=since)
    groups = [
        ("account", _("Account")),
        ("segment", _("Segment")),
        ("csm", _("CSM")),
    ]
    context = {"rows": rows, "by": by, "groups": groups, "since": since}
    return render(request, "interactions/survey/report.html", context)


@login_required
def answers_export(request):
    """The survey answers the user may see, as CSV."""
    header = [
        _("Answered at"),
        _("Account"),
        _("Contact"),
        _("Owner"),
        _("Kind"),
        _("Score"),
        _("Comment"),
    ]
    rows = (
        (
            timezone.localtime(s.answered_at).isoformat(timespec="minutes"),
            s.account.name,
            s.contact.name,
            str(s.account.owner or ""),
            s.kind.upper(),
            s.score,
            s.comment,
        )
        for s in selectors.answers(request.user).iterator(chunk_size=2000)
    )
    return csv_response("survey-answers.csv", header, rows)
