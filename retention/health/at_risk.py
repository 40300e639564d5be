"""The at-risk list: the risk flags a team lead looks after (their team's; an admin's: all),
one row per account with all its flags and why, filtered, sorted (most ARR at risk first),
exported (one line per flag), and each flag acknowledged, resolved or snoozed in place.

Who sees what: a team lead the flags of their team's accounts, an admin every flag, a CSM the
flags of the accounts they own (their teammates' accounts are the team lead's to triage; a
CSM reads those on the account page). Acting on a flag follows the flag services' rule
(``crm.scoping.can_edit``): a team lead and an admin on what they see, a CSM on their own
accounts, where the owner saying "I am on it" is what the flag asks for. A flag outside the
user's scope answers 404.

Each action works two ways from the same URL: under htmx a small form swaps into the flag's
place in its account's row and its answer is the updated flag (errors shown there, the
message sent in an ``HX-Trigger`` event); without JavaScript it is a full page with the form
that redirects back to the list.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django_htmx.http import trigger_client_event

from crm import scoping
from crm.exports import csv_cell, csv_response
from crm.views import add_service_errors, safe_next

from ..models import RiskFlag
from . import flags
from . import selectors as flag_selectors
from .forms import ACTION_FORMS, AtRiskFilterForm
from .wording import word

PAGE_SIZE = 50
MOVES_TO = {
    "acknowledge": RiskFlag.Status.ACKNOWLEDGED,
    "resolve": RiskFlag.Status.RESOLVED,
    "snooze": RiskFlag.Status.SNOOZED,
}
ALL_STATUSES = tuple(RiskFlag.Status.values)
# Spreadsheet programs run a cell that starts with one of these as a formula.


class IdsFirstPaginator(Paginator):
    """Cuts the page on the rows' ids first and loads only the page's rows with their joins
    and annotations: the database sorts 10,000 narrow rows instead of 10,000 wide ones (half
    the time of the at-risk list on the 100,000-account demo; see bench/bench_pages.py).
    ``count`` is given: the list's COUNT needs none of the sorting's annotations."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self.count = count

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in self.object_list.order_by().filter(pk__in=ids)}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


def _filters(user, form: AtRiskFilterForm, *, unresolved: bool = False) -> dict:
    filters = form.filters()
    if unresolved:  # whatever the status filter says: for the counts per status
        filters["statuses"] = flag_selectors.UNRESOLVED
    if not scoping.can_manage(user):
        filters["owner"] = user
    return filters


def _flags(user, form: AtRiskFilterForm, *, unresolved: bool = False):
    filters = _filters(user, form, unresolved=unresolved)
    return flag_selectors.open_flags_for(user, **filters).select_related("acknowledged_by")


def listed_accounts(user, params):
    """The accounts the at-risk list shows under ``params`` (its query), on all its pages."""
    filters = _filters(user, AtRiskFilterForm(params, user=user))
    return flag_selectors.flagged_accounts_for(user, **filters)


def _with_age(rows, today):
    for row in rows:
        row.age = row.age_days(today)
    return rows


@login_required
def at_risk(request):
    """The at-risk list: the accounts with flags in the user's scope, one row each with all
    their flags, filtered and sorted, 50 a page."""
    form = AtRiskFilterForm(request.GET, user=request.user)
    counts = flag_selectors.status_counts(_flags(request.user, form, unresolved=True))
    counts["unresolved"] = sum(counts[status] for status in flag_selectors.UNRESOLVED)
    filters = _filters(request.user, form)
    order = filters.pop("order")
    paginator = IdsFirstPaginator(
        flag_selectors.flagged_accounts_for(request.user, order=order, **filters),
        PAGE_SIZE,
        count=flag_selectors.flagged_account_count(request.user, **filters),
    )
    status = form.filters().get("statuses", ("",))[0]
    page = paginator.get_page(request.GET.get("page"))
    today = timezone.localdate()
    flags_by_account = flag_selectors.flags_on(request.user, [a.pk for a in page], **filters)
    for account in page:
        account.flags = _with_age(flags_by_account.get(account.pk, []), today)
        account.age = min((f.age for f in account.flags), default=None)
    query = request.GET.copy()
    query.pop("page", None)
    unsorted = query.copy()
    unsorted.pop("sort", None)
    any_status = query.copy()
    any_status.pop("status", None)
    context = {
        "page": page,
        "form": form,
        "counts": counts,
        "status": status,
        # Flags behind the rows (the resolved ones are not counted).
        "flag_total": None if status == "resolved" else counts[status or "unresolved"],
        "sort": order,
        "querystring": query.urlencode(),
        "unsorted": unsorted.urlencode(),
        "any_status": any_status.urlencode(),
        "sees_team": scoping.can_manage(request.user),
        "today": today,
        "here": request.get_full_path(),
        # What the flags' fragment asks for (a flag's own form): said, not looked up in vain
        # for every flag (a missing variable costs the template an exception each time).
        "action": "",
        "action_form": None,
    }
    return render(request, "retention/at_risk.html", context)


@login_required
def at_risk_export(request):
    """The at-risk list as it is filtered, every page, as CSV (same scope as the page)."""
    form = AtRiskFilterForm(request.GET, user=request.user)
    rows = _flags(request.user, form)
    today = timezone.localdate()
    header = [
        _("Account"),
        _("External ID"),
        _("Owner"),
        _("Team"),
        _("Segment"),
        _("Reason"),
        _("Status"),
        _("Why"),
        _("Measured value"),
        _("Threshold"),
        _("Raised on"),
        _("Age (days)"),
        _("Band"),
        _("Score"),
        _("Drop (30 days)"),
        _("MRR"),
        _("ARR at risk"),
        _("Next renewal"),
        _("Acknowledged by"),
        _("Acknowledgement"),
        _("Snoozed until"),
        _("Snooze reason"),
        _("Link"),
    ]

    # Labels looked up once: get_FOO_display() translates every choice on every row.
    reasons = {key: str(label) for key, label in RiskFlag.Reason.choices}
    statuses = {key: str(label) for key, label in RiskFlag.Status.choices}

    def _rows():
        for f in rows.iterator(chunk_size=1000):
            account = f.account
            yield [
                csv_cell(account.name),
                csv_cell(account.external_id),
                csv_cell(account.owner or ""),
                csv_cell(account.team or ""),
                csv_cell(account.segment or ""),
                reasons.get(f.reason, f.reason),
                statuses.get(f.status, f.status),
                csv_cell(word(f.why)),
                "" if f.measured_value is None else f.measured_value,
                "" if f.threshold is None else f.threshold,
                timezone.localdate(f.raised_at).isoformat(),
                f.age_days(today),
                f.current_band or "",
                "" if f.current_score is None else f.current_score,
                "" if f.drop is None else f.drop,
                account.mrr,
                f"{f.arr_at_risk:.2f}",
                account.next_renewal_on or "",
                csv_cell(f.acknowledged_by or ""),
                csv_cell(f.acknowledged_comment),
                f.snoozed_until or "",
                csv_cell(f.snooze_reason),
                request.build_absolute_uri(account.get_absolute_url()),
            ]

    return csv_response(f"at-risk-{today.isoformat()}.csv", header, _rows())


def _row(request, pk: int):
    """The flag as its account's row in the list shows it, in any status."""
    row = (
        flag_selectors.open_flags_for(request.user, statuses=ALL_STATUSES)
        .select_related("acknowledged_by")
        .filter(pk=pk)
        .first()
    )
    if row is None:
        raise Http404
    return _with_age([row], timezone.localdate())[0]


def _render_row(request, pk: int, *, action: str = "", form=None):
    context = {
        "flags": [_row(request, pk)],
        "action": action,
        "action_form": form,
        "sees_team": scoping.can_manage(request.user),
        "here": safe_next(request, reverse("retention:at_risk")),
    }
    return render(request, "retention/_at_risk_flags.html", context)


@login_required
def at_risk_row(request, pk: int):
    """One flag of an account's row (htmx: "Cancel" puts it back without its form)."""
    flag_selectors.flag_for(request.user, pk)
    if not request.htmx:
        return redirect(safe_next(request, reverse("retention:at_risk")))
    return _render_row(request, pk)


def _perform(action: str, *, flag: RiskFlag, by, data: dict) -> str:
    """Call the flag service for ``action``; return the message for the user."""
    if action == "acknowledge":
        flags.acknowledge_flag(flag=flag, by=by, comment=data["comment"])
        text = _("Flag on %(account)s acknowledged: %(reason)s.")
    elif action == "resolve":
        flags.resolve_flag(flag=flag, by=by, comment=data["comment"])
        text = _("Flag on %(account)s resolved: %(reason)s.")
    else:
        flag = flags.snooze_flag(flag=flag, by=by, until=data["until"], reason=data["reason"])
        text = _("Flag on %(account)s snoozed until %(day)s: %(reason)s.")
    return text % {
        "account": flag.account,
        "reason": flag.get_reason_display(),
        "day": formats.date_format(flag.snoozed_until, "DATE_FORMAT") if flag.snoozed_until else "",
    }


@login_required
def flag_action(request, pk: int, action: str):
    """Acknowledge, resolve or snooze a flag with a comment: inline under htmx, else a page."""
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        raise Http404
    flag = flag_selectors.flag_for(request.user, pk, to_change=True)
    form = form_class(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            text = _perform(action, flag=flag, by=request.user, data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if not request.htmx:
                messages.success(request, text)
                return redirect(safe_next(request, reverse("retention:at_risk")))
            # The page moves the flag between its counts per status (data-count in the page).
            moved = {"from": flag.status, "to": MOVES_TO[action]}
            event = {"level": "success", "text": text, **moved}
            return trigger_client_event(_render_row(request, pk), "treue:message", event)
    if request.htmx:
        return _render_row(request, pk, action=action, form=form)
    row = _row(request, pk)
    context = {
        "f": row,
        "flag_list": [row],
        "action": action,
        "action_form": form,
        "sees_team": scoping.can_manage(request.user),
        "here": safe_next(request, reverse("retention:at_risk")),
    }
    return render(request, "retention/at_risk_action.html", context)
