"""Pages of accounts, contacts and handovers. Each view: get the scoped object, call one
service, redirect with a message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from crm import scoping
from crm.exports import csv_response
from crm.views import add_service_errors, safe_next

from . import handovers, selectors, services
from .forms import (
    ContactForm,
    HandoverApprovalForm,
    HandoverDeclineForm,
    HandoverRequestForm,
    PortfolioTransferForm,
    TransferForm,
)

PAGE_SIZE = 50
TIMELINE_PAGE_SIZE = 20


@login_required
def account_list(request):
    """Every account the user may read (their team's), searchable: the directory."""
    search = request.GET.get("q", "").strip()
    accounts = selectors.accounts_for(request.user, search=search).order_by("name")
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "customers/account_list.html", {"page": page, "q": search})


@login_required
def account_list_export(request):
    """The directory as the user searched it, as CSV (same scope as the page)."""
    search = request.GET.get("q", "").strip()
    accounts = selectors.accounts_for(request.user, search=search).order_by("name")
    header = [
        _("Account"),
        _("External ID"),
        _("Segment"),
        _("Industry"),
        _("Employees"),
        _("Owner"),
        _("Team"),
        _("MRR"),
        _("Customer since"),
        _("Churned on"),
        _("Next renewal"),
        _("Last meeting or call"),
    ]
    rows = (
        [
            a.name,
            a.external_id,
            a.segment,
            a.industry,
            a.employees,
            a.owner,
            a.team,
            a.mrr,
            a.customer_since,
            a.churned_on,
            a.next_renewal_on,
            a.last_meeting_or_call_at,
        ]
        for a in accounts.iterator(chunk_size=500)
    )
    return csv_response("accounts.csv", header, rows)


def _timeline_context(request, account) -> dict:
    kinds = [k for k in request.GET.getlist("kind") if k]
    try:
        number = int(request.GET.get("page", 1))
    except ValueError:
        number = 1
    page = selectors.timeline(account, kinds=kinds, page=number, per_page=TIMELINE_PAGE_SIZE)
    return {
        "account": account,
        "timeline": page,
        "timeline_kinds": selectors.timeline_kinds(),
        "selected_kinds": kinds,
    }


@login_required
def account_detail(request, pk: int):
    account = selectors.account_for(request.user, pk)
    context = {
        **_timeline_context(request, account),
        "can_edit": scoping.can_edit(request.user, account),
        "can_transfer": selectors.can_transfer(request.user, account),
        "contacts": selectors.contacts_of(account),
        "contracts": selectors.contracts_of(account),
        "problems": selectors.open_problems_on(account),
        "follow_ups": selectors.open_follow_ups_on(account),
        "feedback": selectors.latest_feedback_on(account),
        "pending_handover": selectors.pending_handover_on(request.user, account),
        "handover_request": selectors.open_handover_request(account),
        "health": selectors.latest_health_on(account),
        "flags": selectors.unresolved_flags_on(account),
        "today": timezone.localdate(),
    }
    return render(request, "customers/account_detail.html", context)


@login_required
def account_timeline(request, pk: int):
    """The timeline alone (htmx filters and pages swap it in place)."""
    account = selectors.account_for(request.user, pk)
    return render(request, "customers/_timeline.html", _timeline_context(request, account))


@login_required
def contact_detail(request, pk: int):
    contact = selectors.contact_for(request.user, pk)
    can_edit = scoping.can_edit(request.user, contact.account)
    return render(
        request, "customers/contact_detail.html", {"contact": contact, "can_edit": can_edit}
    )


@login_required
def contact_create(request, pk: int):
    account = selectors.editable_account_for(request.user, pk)
    form = ContactForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.create_contact(account=account, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(name)s added to the contacts.") % {"name": contact.name})
            return redirect(account.get_absolute_url() + "#contacts")
    return render(
        request, "customers/contact_form.html", {"form": form, "account": account, "contact": None}
    )


@login_required
def contact_edit(request, pk: int):
    contact = selectors.editable_contact_for(request.user, pk)
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_contact(contact=contact, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(name)s updated.") % {"name": form.cleaned_data["name"]})
            return redirect(contact.account.get_absolute_url() + "#contacts")
    context = {"form": form, "account": contact.account, "contact": contact}
    return render(request, "customers/contact_form.html", context)


@login_required
def account_transfer(request, pk: int):
    """A team lead or admin hands one account to a new owner."""
    account = selectors.editable_account_for(request.user, pk)
    if not selectors.can_transfer(request.user, account):
        raise Http404
    form = TransferForm(request.POST or None, user=request.user, exclude_owner=account.owner)
    if request.method == "POST" and form.is_valid():
        try:
            transfer = services.transfer_ownership(
                account=account, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(account)s now belongs to %(user)s, who is asked to acknowledge the handover.")
                % {"account": account, "user": transfer.to_owner},
            )
            return redirect(account)
    return render(request, "customers/transfer_form.html", {"form": form, "account": account})


@login_required
def portfolio_transfer(request):
    """A team lead or admin hands all of a CSM's accounts to someone else in one step."""
    if not scoping.can_manage(request.user):
        raise Http404
    form = PortfolioTransferForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            transfers = services.transfer_portfolio(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                ngettext(
                    "%(n)d account handed from %(from)s to %(to)s.",
                    "%(n)d accounts handed from %(from)s to %(to)s.",
                    len(transfers),
                )
                % {
                    "n": len(transfers),
                    "from": form.cleaned_data["from_owner"],
                    "to": form.cleaned_data["to_owner"],
                },
            )
            return redirect("home")
    return render(request, "customers/transfer_form.html", {"form": form, "account": None})


@login_required
def handover_request(request, pk: int):
    """A CSM asks for an account to go to a colleague of its team; a lead decides."""
    account = selectors.editable_account_for(request.user, pk)
    if selectors.can_transfer(request.user, account):
        return redirect("customers:account_transfer", pk=account.pk)  # they hand it over
    form = HandoverRequestForm(request.POST or None, user=request.user, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            asked = handovers.request_handover(
                account=account, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Asked to hand %(account)s to %(user)s: your team lead decides.")
                % {"account": account, "user": asked.proposed_owner},
            )
            return redirect(account)
    context = {"form": form, "account": account, "asking": True}
    return render(request, "customers/transfer_form.html", context)


@login_required
def handover_list(request):
    """Handovers waiting for the user's acknowledgement and the last ones acknowledged; for a
    lead the requests to decide; the user's own requests and what became of them."""
    to_decide = list(selectors.handover_requests_to_decide(request.user))
    context = {
        "pending": selectors.pending_handovers_for(request.user),
        "recent": selectors.recent_handovers_for(request.user),
        "to_decide": to_decide,
        # Whom each request may go to (the account's owner left out in the page): one query.
        "targets": list(selectors.transfer_targets(request.user)) if to_decide else [],
        "my_requests": selectors.handover_requests_of(request.user),
    }
    return render(request, "customers/handover_list.html", context)


def _decided(request, decide, form) -> None:
    """Run ``decide(**form.cleaned_data)`` (a handover service) and say what came of it."""
    errors = [] if form.is_valid() else [e for es in form.errors.values() for e in es]
    if not errors:
        try:
            messages.success(request, decide(**form.cleaned_data))
            return
        except ValidationError as error:
            errors = error.messages
    for text in errors:
        messages.error(request, text)


@login_required
@require_POST
def handover_approve(request, pk: int):
    """A lead approves a handover request, to the proposed colleague or another person."""
    asked = selectors.handover_request_to_decide(request.user, pk)
    form = HandoverApprovalForm(request.POST, user=request.user, handover=asked)

    def approve(*, to_owner, comment):
        transfer = handovers.approve_handover(
            handover=asked, by=request.user, to_owner=to_owner, comment=comment
        )
        return _(
            "%(account)s now belongs to %(user)s, who is asked to acknowledge the handover."
        ) % {"account": asked.account, "user": transfer.to_owner}

    _decided(request, approve, form)
    return redirect("customers:handover_list")


@login_required
@require_POST
def handover_decline(request, pk: int):
    """A lead declines a handover request, saying why."""
    asked = selectors.handover_request_to_decide(request.user, pk)

    def decline(*, comment):
        handovers.decline_handover(handover=asked, by=request.user, comment=comment)
        return _("Handover of %(account)s declined; %(user)s stays the owner.") % {
            "account": asked.account,
            "user": asked.account.owner,
        }

    _decided(request, decline, HandoverDeclineForm(request.POST))
    return redirect("customers:handover_list")


@login_required
@require_POST
def handover_acknowledge(request, pk: int):
    transfer = selectors.handover_for(request.user, pk)
    services.acknowledge_handover(transfer=transfer, user=request.user)
    messages.success(
        request,
        _("Handover of %(account)s acknowledged: it is yours now.") % {"account": transfer.account},
    )
    return redirect(safe_next(request, reverse("customers:handover_list")))
