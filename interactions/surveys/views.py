"""The public answer page of a survey link (no sign-in) and the CSM's pages to send them."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import services


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
    response["Referrer-Policy"] = "no-referrer"  # the link is the key: never leak it onward
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
        template = services.template_for(send.kind, send.language)
        low, high = services.feedback_services.SCORE_RANGES[send.kind]
        context = {
            "send": send,
            "question": services._fill(template.question, {"company": services.company_name()}),
            "scores": list(range(low, high + 1)),
            "comment": send.comment,
            "chosen": send.score,
            "max_comment": services.COMMENT_MAX_LENGTH,
        }
        if request.method == "POST":
            try:
                services.answer(
                    send=send,
                    score=request.POST.get("score"),
                    comment=request.POST.get("comment", ""),
                )
            except ValidationError as error:
                context["errors"] = error.messages
                context["comment"] = request.POST.get("comment", "")[: services.COMMENT_MAX_LENGTH]
                return _page(request, "answer.html", context, status=400)
            return _page(request, "thanks.html", {"send": send})
        return _page(request, "answer.html", context)
