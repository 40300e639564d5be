"""The calendar page (month, week and day; htmx pages through it), the private feed, and the
pages that plan, move, cancel and hold a meeting."""

import calendar as pycalendar
import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import get_template
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm import feeds, inbox, scoping
from crm.views import add_service_errors, safe_next
from customers import selectors as customer_selectors

from .. import selectors, services
from ..forms import LogInteractionForm
from ..models import PlannedMeeting
from . import entries as calendar_entries
from . import ics, touches
from .forms import CalendarQuery, PlanMeetingForm

# Entries a day shows before "+ N more" (the day view lists them all, in pages).
DAY_LIMIT = {"month": 4, "week": 40}
DAY_PAGE_SIZE = 100
ENTRY_TEMPLATE = "interactions/calendar/_entry.html"
FEED_DAYS_BACK, FEED_DAYS_AHEAD = 30, 180


@dataclass
class Day:
    day: dt.date
    entries: list = field(default_factory=list)
    more: int = 0
    outside: bool = False
    is_today: bool = False


def _first_weekday() -> int:
    """Python's weekday (Monday 0) the reader's weeks start on (Django: Sunday 0)."""
    return (int(formats.get_format("FIRST_DAY_OF_WEEK")) - 1) % 7


def _range(view: str, day: dt.date) -> tuple[dt.date, dt.date, dt.date, dt.date]:
    """(first, last) shown and (previous, next) anchors of ``view`` around ``day``."""
    first_weekday = _first_weekday()
    if view == "day":
        return day, day, day - dt.timedelta(days=1), day + dt.timedelta(days=1)
    if view == "week":
        first = day - dt.timedelta(days=(day.weekday() - first_weekday) % 7)
        return first, first + dt.timedelta(days=6), day - dt.timedelta(7), day + dt.timedelta(7)
    month_first = day.replace(day=1)
    month_last = day.replace(day=pycalendar.monthrange(day.year, day.month)[1])
    first = month_first - dt.timedelta(days=(month_first.weekday() - first_weekday) % 7)
    last = month_last + dt.timedelta(days=(first_weekday - month_last.weekday() - 1) % 7)
    previous = (month_first - dt.timedelta(days=1)).replace(day=1)
    following = month_last + dt.timedelta(days=1)
    return first, last, previous, following


def _days(found: list, first: dt.date, last: dt.date, *, limit: int, month: int | None, today):
    """The grid's days, each with its first ``limit`` entries and how many more it has
    (``found.totals`` when the sources counted them)."""
    by_day: dict[dt.date, list] = {}
    for entry in found:
        by_day.setdefault(entry.day, []).append(entry)
    totals = getattr(found, "totals", {})
    days, day = [], first
    while day <= last:
        listed = by_day.get(day, [])
        days.append(
            Day(
                day,
                listed[:limit],
                max(0, totals.get(day, len(listed)) - limit),
                outside=month is not None and day.month != month,
                is_today=day == today,
            )
        )
        day += dt.timedelta(days=1)
    return days


def _people_names(viewer, whose) -> dict[int, str]:
    """Names of whose entries a team view shows (one small query)."""
    if whose.person is not None:
        return {}
    people = calendar_entries.calendar_people(viewer).filter(team_id=whose.team_id)
    return {p.pk: str(p) for p in people}


def _name_owners(shown: list, names: dict[int, str]) -> None:
    for entry in shown:
        entry.owner_name = names.get(entry.owner_id, "")


def _calendar_context(request) -> dict:
    today = timezone.localdate()
    view, anchor, who = CalendarQuery(request.GET).values(today)
    whose = calendar_entries.whose_for(request.user, who)
    first, last, previous, following = _range(view, anchor)
    # A month or week reads only what its days show (and counts the rest); a day lists all.
    found = calendar_entries.entries(
        request.user, whose, first, last, today=today, per_day=DAY_LIMIT.get(view)
    )
    names = _people_names(request.user, whose)
    who = whose.key if whose.person != request.user else ""
    context = {
        "view": view,
        "anchor": anchor,
        "first": first,
        "last": last,
        "previous": previous,
        "following": following,
        "today": today,
        "whose": whose,
        "who": who,
        "day_query": urlencode({"who": who, "view": "day", "date": anchor.isoformat()}),
        # One template object for every entry (not a lookup per include).
        "entry_template": get_template(ENTRY_TEMPLATE).template,
        "next_path": request.get_full_path(),
        # One person's: counting a whole team's would scan its book twice more per page.
        "overdue": calendar_entries.overdue_counts(request.user, whose, today=today)
        if whose.person is not None
        else {},
        "weekdays": [],
    }
    if view == "day":
        page = Paginator(found, DAY_PAGE_SIZE).get_page(request.GET.get("page"))
        _name_owners(page.object_list, names)
        context.update(page=page, entries=page.object_list)
        return context
    month = anchor.month if view == "month" else None
    days = _days(found, first, last, limit=DAY_LIMIT[view], month=month, today=today)
    for d in days:
        _name_owners(d.entries, names)
    context["weeks"] = [days[i : i + 7] for i in range(0, len(days), 7)]
    context["weekdays"] = [d.day for d in days[:7]]
    return context


@login_required
def calendar_page(request):
    """The calendar of the user's accounts (a lead picks a person or the whole team): planned
    touches, meetings planned ahead, follow-ups, renewals and notice deadlines."""
    context = _calendar_context(request)
    if request.htmx and not request.htmx.boosted:
        return render(request, "interactions/calendar/_calendar.html", context)
    people = calendar_entries.calendar_people(request.user).exclude(pk=request.user.pk)
    context.update(
        people=people.order_by("first_name", "last_name", "username"),
        can_see_team=calendar_entries.can_see_team(request.user),
    )
    return render(request, "interactions/calendar/calendar.html", context)


@login_required
@require_POST
def follow_up_done(request, pk: int):
    """Mark a follow-up done from the calendar; under htmx the entry shows it done and the
    navigation's inbox count follows."""
    follow_up = selectors.editable_follow_up_for(request.user, pk)
    services.complete_follow_up(follow_up=follow_up)
    if not request.htmx:
        messages.success(request, _("Done: %(title)s.") % {"title": follow_up.title})
        return redirect(safe_next(request, reverse("calendar:calendar")))
    entry = calendar_entries.Entry(
        calendar_entries.FOLLOW_UP,
        follow_up.pk,
        follow_up.due_on,
        follow_up.account_id,
        follow_up.account.name,
        follow_up.title,
        owner_id=follow_up.owner_id,
        done=True,
    )
    context = {
        "entry": entry,
        "unread": inbox.unread_count(request.user),
        "next_path": safe_next(request, reverse("calendar:calendar")),
    }
    return render(request, "interactions/calendar/_entry_done.html", context)


@login_not_required
def feed(request, token: str):
    """The user's private calendar feed (no sign-in: the token is the secret). The same
    entries as their own calendar, 30 days back to 180 ahead; 404 for an unknown, rotated or
    deactivated user's token."""
    user = feeds.user_for_token(token)
    if user is None:
        raise Http404
    today = timezone.localdate()
    first, last = today - dt.timedelta(FEED_DAYS_BACK), today + dt.timedelta(FEED_DAYS_AHEAD)
    whose = calendar_entries.Whose(person=user)
    found = calendar_entries.entries(user, whose, first, last, today=today)
    body = ics.feed(
        found,
        name=f"Treue · {user}",
        site=request.build_absolute_uri("/").rstrip("/"),
        language=user.language or settings.LANGUAGE_CODE,
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="treue.ics"'
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


# --- planned meetings -----------------------------------------------------------------------


def _editable_planned(user, pk: int) -> PlannedMeeting:
    """An open planned meeting on an account ``user`` may change, or one they hold."""
    qs = PlannedMeeting.objects.open().select_related("account", "owner")
    mine = scoping.visible(user, qs, via="account").filter(owner=user)
    return get_object_or_404(scoping.editable(user, qs, via="account") | mine, pk=pk)


@login_required
def plan_meeting(request, pk: int):
    account = customer_selectors.editable_account_for(request.user, pk)
    form = PlanMeetingForm(request.POST or None, account=account, initial={"owner": request.user})
    if request.method == "POST" and form.is_valid():
        try:
            touches.plan_meeting(account=account, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Meeting planned."))
            return redirect(account.get_absolute_url() + "#planned")
    context = {"form": form, "account": account, "title": _("Plan a meeting or call")}
    return render(request, "interactions/simple_form.html", context)


@login_required
def planned_edit(request, pk: int):
    planned = _editable_planned(request.user, pk)
    initial = {
        "kind": planned.kind,
        "planned_at": timezone.localtime(planned.planned_at),
        "summary": planned.summary,
        "owner": planned.owner,
    }
    form = PlanMeetingForm(request.POST or None, account=planned.account, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            touches.reschedule_meeting(planned=planned, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Planned meeting updated."))
            return redirect(planned)
    context = {"form": form, "account": planned.account, "title": _("Move a planned meeting")}
    return render(request, "interactions/simple_form.html", context)


@login_required
@require_POST
def planned_cancel(request, pk: int):
    planned = _editable_planned(request.user, pk)
    touches.cancel_meeting(planned=planned)
    messages.success(request, _("Planned meeting cancelled: %(summary)s.") % {"summary": planned})
    return redirect(safe_next(request, planned.get_absolute_url()))


@login_required
def planned_hold(request, pk: int):
    """The planned meeting has happened: log it (the form starts from the plan)."""
    planned = _editable_planned(request.user, pk)
    held_at = min(planned.planned_at, timezone.now())
    initial = {
        "kind": planned.kind,
        "summary": planned.summary,
        "occurred_at": timezone.localtime(held_at).replace(second=0, microsecond=0),
    }
    form = LogInteractionForm(request.POST or None, account=planned.account, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            touches.hold_meeting(planned=planned, author=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Logged: %(summary)s.") % {"summary": planned.summary})
            return redirect(planned.account.get_absolute_url())
    context = {"form": form, "account": planned.account, "title": _("Log the planned meeting")}
    return render(request, "interactions/simple_form.html", context)
