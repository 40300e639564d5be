"""The public answer page of a survey link (no sign-in) and the CSM's pages to send them."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from crm import scoping
from crm.backends import client_ip
from crm.exports import csv_response
from crm.forms import period_suggestions
from crm.periods import add_months
from customers import selectors as customer_selectors

from ..feedback import CATEGORY_NAMES, SCALES, thresholds_in_force
from . import services
from .forms import SendSurveyForm, SurveyReportForm
from .report import answers, survey_report


def too_many(request) -> bool:
    """Counts this address's requests to answer pages in the cache (a fixed window): over
    SURVEY_RATE_LIMIT within SURVEY_RATE_WINDOW seconds is refused. The address is the one
    sign-in throttling counts by (``crm.backends.client_ip``: behind ``TRUSTED_PROXY_COUNT``
    proxies the client's, not the proxy's, which every contact would share)."""
    key = f"survey-rate:{(client_ip(request) or 'unknown')[:64]}"
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
    low, high = SCALES[send.kind]
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


def _report_form(request) -> SurveyReportForm:
    """The filters asked for; without a period, the last 12 months (this one included)."""
    data = request.GET.copy()
    if not any(data.get(name) for name in ("period", "start", "end")):
        today = timezone.localdate()
        data["start"] = add_months(today.replace(day=1), -11).isoformat()
        data["end"] = today.isoformat()
    return SurveyReportForm(data, user=request.user)


def _scope(user) -> str:
    """What the report's figures cover, for the sentence that says so."""
    if not scoping.can_manage(user):
        return "own"
    return "all" if user.is_admin_role else "company"


@login_required
def report(request):
    """Response rate and NPS or CSAT in all, by month (a chart and its table) and by account,
    segment or CSM with each one's months; a team lead and an admin read the company's, a CSM
    their own accounts' (``report.survey_report``)."""
    form = _report_form(request)
    context = {"form": form, "suggestions": period_suggestions(timezone.localdate())}
    if not form.is_valid():
        return render(request, "interactions/survey/report.html", context)
    result = survey_report(
        request.user, form.filters(), by=form.grouping, page=request.GET.get("page")
    )
    query = form.query()
    context.update(
        {
            "report": result,
            "period": form.report_period,
            "page": result.page,
            "rows": result.rows,
            "total": result.total,
            "chart": result.chart(),
            "querystring": urlencode(query),
            "group_name": dict(form.fields["by"].choices)[form.grouping],
            "scope": _scope(request.user),
        }
    )
    return render(request, "interactions/survey/report.html", context)


@login_required
def answers_export(request):
    """The answers behind the report that the user may read, with its filters, as a CSV
    (streamed, every cell defused by ``crm.exports``)."""
    form = _report_form(request)
    if not form.is_valid():
        context = {"form": form, "suggestions": period_suggestions(timezone.localdate())}
        return render(request, "interactions/survey/report.html", context, status=400)
    filters = form.filters()
    header = [
        _("Answered at"),
        _("Sent at"),
        _("Account"),
        _("Segment"),
        _("Contact"),
        _("Owner"),
        _("Kind"),
        _("Score"),
        _("Category"),
        _("Comment"),
    ]
    thresholds = thresholds_in_force()
    rows = (
        (
            s.answered_at,
            s.queued_at,
            s.account.name,
            s.account.segment.name if s.account.segment else "",
            s.contact.name,
            str(s.account.owner or ""),
            s.kind.upper(),
            s.score,
            CATEGORY_NAMES[thresholds.category(s.kind, s.score)],
            s.comment,
        )
        for s in answers(request.user, filters).iterator(chunk_size=2000)
    )
    period = filters.period
    name = f"survey-answers-{filters.kind}-{period.start}-{period.end}.csv"
    return csv_response(name, header, rows)
