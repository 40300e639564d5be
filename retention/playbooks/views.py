"""The playbook pages: the account's open runs (a panel of the account page), a step done,
skipped or handed on, the lead's overview of overdue runs, and starting a play on a
selection of accounts (a campaign). Thin: each calls one selector or service."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from crm import scoping
from crm.views import safe_next
from customers import selectors as customer_selectors

from ..health.selection import selection_from
from . import selectors, services
from .report import onboarding_report

MAX_SELECTION = 1000


@login_required
def account_plays(request, pk: int):
    account = customer_selectors.account_for(request.user, pk)
    context = {
        "account": account,
        "runs": selectors.open_runs_of(account),
        "can_edit": scoping.can_edit(request.user, account),
        "today": timezone.localdate(),
    }
    return render(request, "retention/_account_plays.html", context)


@login_required
@require_POST
def step_done(request, pk: int):
    step = selectors.editable_step_for(request.user, pk)
    services.complete_step(step=step)
    messages.success(request, _("Step done: %(title)s") % {"title": step.follow_up.title})
    return redirect(safe_next(request, step.run.account.get_absolute_url()))


@login_required
def step_skip(request, pk: int):
    step = selectors.editable_step_for(request.user, pk)
    error = None
    if request.method == "POST":
        try:
            services.skip_step(step=step, reason=request.POST.get("reason", "")[:5000])
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request, _("Step skipped: %(title)s") % {"title": step.follow_up.title}
            )
            return redirect(step.run.account.get_absolute_url())
    return render(request, "retention/step_skip.html", {"step": step, "error": error})


@login_required
def run_cancel(request, pk: int):
    """Cancel an open run with a comment (its open tasks leave the list)."""
    run = selectors.editable_run_for(request.user, pk)
    error = None
    if request.method == "POST":
        try:
            services.cancel_run(run=run, comment=request.POST.get("comment", "")[:5000])
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("Play cancelled: %(name)s") % {"name": run.playbook.name})
            return redirect(run.account.get_absolute_url())
    return render(request, "retention/run_cancel.html", {"run": run, "error": error})


@login_required
def plays_overview(request):
    """For a lead: runs with overdue steps per CSM (a CSM sees their own)."""
    rows = selectors.overdue_runs_per_csm(request.user)
    report = None
    if scoping.can_manage(request.user):
        report = onboarding_report(runs=selectors.runs_for(request.user))
    context = {"rows": rows, "report": report, "today": timezone.localdate()}
    return render(request, "retention/plays.html", context)


@login_required
@require_POST
def start_play(request):
    """Start a playbook on the selected accounts (a lead's campaign): those ticked in a list,
    or all the list shows (``health.selection``)."""
    if not scoping.can_manage(request.user):
        raise PermissionDenied
    try:
        playbook = get_object_or_404(selectors.playbooks(), pk=int(request.POST.get("playbook")))
    except (TypeError, ValueError):
        raise Http404 from None
    back = redirect(safe_next(request, reverse("retention:plays")))
    selection = selection_from(
        request,
        limit=MAX_SELECTION,
        too_many=_("A play starts on at most %(max)s accounts at once; %(n)s are selected."),
    )
    if selection is None:
        return back
    ids = list(selection.accounts.values_list("pk", flat=True))
    started = services.start_campaign(playbook=playbook, account_ids=ids, by=request.user)
    skipped = len(ids) - len(started)
    messages.success(
        request,
        ngettext(
            "%(playbook)s started on %(n)s account.",
            "%(playbook)s started on %(n)s accounts.",
            len(started),
        )
        % {"playbook": playbook.name, "n": len(started)},
    )
    if skipped:
        messages.info(
            request,
            ngettext(
                "%(n)s account skipped (not a customer, another segment, or a run is open).",
                "%(n)s accounts skipped (not customers, another segment, or a run is open).",
                skipped,
            )
            % {"n": skipped},
        )
    return back
