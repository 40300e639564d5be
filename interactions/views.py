"""Pages that log and keep the relationship: interactions, follow-ups, problems, feedback,
and the handover brief. Each view: get the scoped object, call one service, answer with a
message (or, under htmx, with the fragment that changed)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm import scoping
from crm.views import add_service_errors, safe_next
from customers import selectors as customer_selectors

from . import selectors, services
from .forms import (
    AccountChoiceForm,
    EditInteractionForm,
    FeedbackForm,
    FollowUpForm,
    LogInteractionForm,
    ProblemEditForm,
    ProblemForm,
)
from .models import Interaction

TIMELINE_PAGE_SIZE = 20


@login_required
def interaction_detail(request, pk: int):
    interaction = selectors.interaction_for(request.user, pk)
    context = {
        "interaction": interaction,
        "can_edit": selectors.can_edit_interaction(request.user, interaction),
        "follow_ups": interaction.follow_ups.select_related("owner"),
        "versions": selectors.versions_of(interaction),
    }
    return render(request, "interactions/interaction_detail.html", context)


def _account_param(request):
    return request.POST.get("account") or request.GET.get("account")


def _log_context(request, form, account, **extra) -> dict:
    return {
        "form": form,
        "account": account,
        "source": request.POST.get("source") or request.GET.get("source") or "page",
        **extra,
    }


def _prefill(request) -> dict:
    """A link may prefill the kind and summary (a playbook's call step: "Log the call")."""
    initial = {}
    if (kind := request.GET.get("kind")) in Interaction.Kind.values:
        initial["kind"] = kind
    if summary := request.GET.get("summary", "").replace("\x00", "")[:200]:
        initial["summary"] = summary
    return initial


@login_required
def interaction_log(request):
    """Log a meeting, call, email or note in under a minute. Under htmx the form swaps in
    place and the account's timeline follows; without JavaScript it is a plain form."""
    account_id = _account_param(request)
    if not account_id or not str(account_id).isdigit():
        chooser = AccountChoiceForm(user=request.user)
        template = "interactions/_log_form.html" if request.htmx else "interactions/log.html"
        return render(request, template, _log_context(request, None, None, chooser=chooser))
    # The form and its answer show the account's own columns: not its owner, segment or team.
    account = customer_selectors.editable_account_for(request.user, int(account_id), related=False)
    if request.method == "POST":
        form = LogInteractionForm(request.POST, account=account)
    else:
        form = LogInteractionForm(account=account, initial=_prefill(request))
    saved = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.log_interaction(account=account, author=request.user, **data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if not request.htmx:
                messages.success(
                    request, _("%(kind)s logged.") % {"kind": saved.get_kind_display()}
                )
                return redirect(safe_next(request, account.get_absolute_url()))
            form = LogInteractionForm(account=account)
    context = _log_context(request, form, account, saved=saved)
    if request.htmx:
        if saved is not None and context["source"] == "account":
            page = customer_selectors.timeline(account, per_page=TIMELINE_PAGE_SIZE)
            context.update(
                timeline=page,
                timeline_kinds=customer_selectors.timeline_kinds(),
                selected_kinds=[],
                follow_ups=customer_selectors.open_follow_ups_on(account),
                can_edit=True,
                # Scored again by the save (retention listens): the new score and flags.
                health=customer_selectors.latest_health_on(account),
                flags=customer_selectors.unresolved_flags_on(account),
            )
        return render(request, "interactions/_log_form.html", context)
    return render(request, "interactions/log.html", context)


@login_required
def interaction_edit(request, pk: int):
    """Change a logged interaction (its author or whoever may change the account)."""
    interaction = selectors.editable_interaction_for(request.user, pk)
    form = EditInteractionForm(request.POST or None, interaction=interaction)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        contacts = data.pop("contacts")
        try:
            services.update_interaction(interaction=interaction, contacts=contacts, **data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(interaction)
    context = {"form": form, "interaction": interaction, "account": interaction.account}
    return render(request, "interactions/interaction_form.html", context)


# --- follow-ups ---


@login_required
def follow_up_create(request, pk: int):
    account = customer_selectors.editable_account_for(request.user, pk)
    form = FollowUpForm(request.POST or None, account=account, initial={"owner": request.user})
    if request.method == "POST" and form.is_valid():
        try:
            services.create_follow_up(account=account, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Follow-up added."))
            return redirect(account.get_absolute_url() + "#follow-ups")
    context = {"form": form, "account": account, "title": _("Promise a follow-up")}
    return render(request, "interactions/simple_form.html", context)


@login_required
def follow_up_edit(request, pk: int):
    follow_up = selectors.editable_follow_up_for(request.user, pk)
    initial = {"title": follow_up.title, "due_on": follow_up.due_on, "owner": follow_up.owner}
    form = FollowUpForm(request.POST or None, account=follow_up.account, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_follow_up(follow_up=follow_up, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Follow-up updated."))
            return redirect(follow_up)
    context = {"form": form, "account": follow_up.account, "title": _("Edit follow-up")}
    return render(request, "interactions/simple_form.html", context)


def _follow_up_answer(request, follow_up, message: str):
    if request.htmx:
        follow_up.refresh_from_db()
        context = {"follow_ups": [follow_up], "today": timezone.localdate(), "can_edit": True}
        return render(request, "interactions/_follow_up_items.html", context)
    messages.success(request, message)
    return redirect(safe_next(request, follow_up.get_absolute_url()))


@login_required
@require_POST
def follow_up_done(request, pk: int):
    """One click: the promise is kept."""
    follow_up = selectors.editable_follow_up_for(request.user, pk)
    services.complete_follow_up(follow_up=follow_up)
    return _follow_up_answer(request, follow_up, _("Done: %(title)s.") % {"title": follow_up.title})


@login_required
@require_POST
def follow_up_reopen(request, pk: int):
    follow_up = selectors.editable_follow_up_for(request.user, pk)
    services.reopen_follow_up(follow_up=follow_up)
    return _follow_up_answer(
        request, follow_up, _("Open again: %(title)s.") % {"title": follow_up.title}
    )


# --- open problems ---


@login_required
def problem_create(request, pk: int):
    account = customer_selectors.editable_account_for(request.user, pk)
    form = ProblemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.open_problem(account=account, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Problem recorded."))
            return redirect(account.get_absolute_url() + "#problems")
    context = {"form": form, "account": account, "title": _("Record a problem")}
    return render(request, "interactions/simple_form.html", context)


@login_required
def problem_edit(request, pk: int):
    """Edit a problem and move it open → in progress → resolved (a resolution is required)."""
    problem = selectors.editable_problem_for(request.user, pk)
    initial = {
        f: getattr(problem, f)
        for f in ("title", "category", "severity", "description", "status", "resolution")
    }
    form = ProblemEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_problem(problem=problem, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Problem updated."))
            return redirect(problem)
    context = {"form": form, "account": problem.account, "title": _("Edit problem")}
    return render(request, "interactions/simple_form.html", context)


# --- feedback ---


@login_required
def feedback_create(request, pk: int):
    account = customer_selectors.editable_account_for(request.user, pk)
    form = FeedbackForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_feedback(account=account, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Feedback recorded."))
            return redirect(account.get_absolute_url() + "#feedback")
    context = {"form": form, "account": account, "title": _("Record feedback (NPS / CSAT)")}
    return render(request, "interactions/simple_form.html", context)


@login_required
def feedback_edit(request, pk: int):
    feedback = selectors.editable_feedback_for(request.user, pk)
    initial = {
        f: getattr(feedback, f) for f in ("kind", "score", "received_on", "contact", "comment")
    }
    form = FeedbackForm(request.POST or None, account=feedback.account, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_feedback(feedback=feedback, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Feedback updated."))
            return redirect(feedback)
    context = {"form": form, "account": feedback.account, "title": _("Edit feedback")}
    return render(request, "interactions/simple_form.html", context)


# --- the handover brief ---


@login_required
def handover_brief(request, pk: int):
    """One printable page for whoever takes the account over."""
    account = customer_selectors.account_for(request.user, pk)
    context = {
        "account": account,
        "can_edit": scoping.can_edit(request.user, account),
        "pending_handover": customer_selectors.pending_handover_on(request.user, account),
        "health": customer_selectors.latest_health_on(account),
        "flags": customer_selectors.unresolved_flags_on(account),
        **selectors.handover_brief(account),
    }
    return render(request, "interactions/brief.html", context)
