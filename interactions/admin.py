"""The admin for interactions, follow-ups, open problems and feedback.

An interaction is never removed: "delete" marks it deleted (``services.delete_interactions``)
and "Restore" brings it back; both recompute the account's last meeting or call. The account
admin gains its latest interactions here, because ``customers`` does not know this app.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

import customers.admin  # noqa: F401  (registers the account admin extended below)
from crm import events
from crm.admin import AnnouncesAccountChanges, ReadOnlyInline, adopt_saved
from crm.admin_actions import export_as_csv
from crm.admin_widgets import TolerantAutocomplete
from customers.models import Account

from . import services
from .feedback import CATEGORIES, thresholds_in_force
from .models import (
    Feedback,
    FollowUp,
    Interaction,
    OpenProblem,
    PlannedMeeting,
    SurveySend,
    SurveyTemplate,
)

LATEST_INTERACTIONS = 20


# ---------------------------------------------------------------------------------------------
# List filters


class DeletedFilter(admin.SimpleListFilter):
    title = _("deleted")
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("no", _("No")), ("yes", _("Yes"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


class FollowUpStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", _("Open")), ("overdue", _("Overdue")), ("done", _("Done"))]

    def queryset(self, request, queryset):
        match self.value():
            case "open":
                return queryset.open()
            case "overdue":
                return queryset.overdue_on(timezone.localdate())
            case "done":
                return queryset.filter(done_at__isnull=False)
        return queryset


class FeedbackCategoryFilter(admin.SimpleListFilter):
    """promoter / passive / detractor, by the thresholds in force (as ``Feedback.category``)."""

    title = _("category")
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return [
            ("promoter", _("Promoter")),
            ("passive", _("Passive")),
            ("detractor", _("Detractor")),
        ]

    def queryset(self, request, queryset):
        if self.value() not in CATEGORIES:
            return queryset
        return queryset.filter(thresholds_in_force().category_filter(self.value()))


# ---------------------------------------------------------------------------------------------
# Forms. Their fields come from the ModelAdmin; they ask the services' checks
# (``services.validate_*``), so the admin obeys the rules the pages and the API obey, and a bad
# entry is a form error next to its field, not a 500.


class ServiceCheckedForm(forms.ModelForm):
    """Runs ``check(cleaned_data)`` once the fields it reads are valid; shows its
    ValidationError on the fields it names."""

    needs: tuple[str, ...] = ()

    def check(self, cleaned: dict) -> None:
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        if all(cleaned.get(f) is not None for f in self.needs):
            try:
                self.check(cleaned)
            except ValidationError as error:
                for field, messages_ in error.message_dict.items():
                    self.add_error(field if field in self.fields else None, messages_)
        return cleaned


class InteractionAdminForm(ServiceCheckedForm):
    needs = ("account",)

    def check(self, cleaned):
        services.validate_interaction(
            account_id=cleaned["account"].pk,
            occurred_at=cleaned.get("occurred_at"),
            contacts=cleaned.get("contacts"),
        )


class FeedbackAdminForm(ServiceCheckedForm):
    needs = ("account", "kind", "score")

    def check(self, cleaned):
        services.validate_feedback(
            account_id=cleaned["account"].pk,
            kind=cleaned["kind"],
            score=cleaned["score"],
            contact=cleaned.get("contact"),
        )


class FollowUpAdminForm(ServiceCheckedForm):
    needs = ("account", "title", "due_on")

    def check(self, cleaned):
        services.validate_follow_up(
            account=cleaned["account"],
            title=cleaned["title"],
            due_on=cleaned["due_on"],
            owner=cleaned.get("owner"),
            interaction=cleaned.get("interaction"),
            editing=self.instance if self.instance.pk else None,
        )


class OpenProblemAdminForm(ServiceCheckedForm):
    needs = ("status",)

    def check(self, cleaned):
        services.validate_problem_status(
            status=cleaned["status"], resolution=cleaned.get("resolution") or ""
        )


# ---------------------------------------------------------------------------------------------
# The account admin, with its latest interactions


class LatestInteractionsFormSet(BaseInlineFormSet):
    """Only the latest interactions of the account: an inline cannot paginate, and an old
    account has thousands. The changelist, filtered to the account, has them all."""

    def get_queryset(self):
        if not hasattr(self, "_latest"):
            self._latest = super().get_queryset()[:LATEST_INTERACTIONS]
        return self._latest


class InteractionInline(ReadOnlyInline):
    model = Interaction
    formset = LatestInteractionsFormSet
    verbose_name_plural = _("latest interactions")
    fields = [
        "occurred_at",
        "kind",
        "summary",
        "author",
        "tone",
        "deleted_at",
    ]
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author").order_by("-occurred_at")


# Extend whatever account admin is registered (``customers.admin.AccountAdmin``), so the lower
# app keeps no knowledge of this one.
_RegisteredAccountAdmin = type(admin.site.get_model_admin(Account))


class AccountAdmin(_RegisteredAccountAdmin):
    def get_inlines(self, request, obj):
        inlines = list(super().get_inlines(request, obj))
        if obj is None:
            return inlines
        # After contacts, contracts and spans; before the transfers.
        at = next(
            (i for i, inline in enumerate(inlines) if inline.model.__name__ == "OwnershipTransfer"),
            len(inlines),
        )
        return [*inlines[:at], InteractionInline, *inlines[at:]]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "interactions_overview"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is None:
            return fieldsets
        return [*fieldsets, (_("Interactions"), {"fields": ["interactions_overview"]})]

    @admin.display(description=_("interactions"))
    def interactions_overview(self, obj):
        total = obj.interactions.count()
        url = reverse("admin:interactions_interaction_changelist") + f"?account__id__exact={obj.pk}"
        return format_html(
            '{} · <a href="{}">{}</a>',
            ngettext(
                "%(count)d interaction in all (the latest %(latest)d below).",
                "%(count)d interactions in all (the latest %(latest)d below).",
                total,
            )
            % {"count": total, "latest": min(total, LATEST_INTERACTIONS)},
            url,
            _("Show all"),
        )

    @admin.action(description=_("Rebuild derived fields"), permissions=["change"])
    def rebuild_derived_fields(self, request, queryset):
        with transaction.atomic():
            # The last contact first: the ledger's refresh announces the accounts (crm.events)
            # and their health is scored from both.
            services.refresh_last_meeting_or_call(account_ids=queryset.values_list("pk", flat=True))
            super().rebuild_derived_fields(request, queryset)


admin.site.unregister(Account)
admin.site.register(Account, AccountAdmin)


# ---------------------------------------------------------------------------------------------
# Model admins


@admin.register(Interaction)
class InteractionAdmin(TolerantAutocomplete, SimpleHistoryAdmin):
    form = InteractionAdminForm
    list_display = [
        "occurred_at",
        "kind",
        "summary",
        "account",
        "author",
        "tone",
        "is_deleted",
    ]
    list_select_related = ["account", "author"]
    search_fields = ["summary", "notes", "next_steps", "account__name"]
    list_filter = [
        DeletedFilter,
        "kind",
        "tone",
        ("author", admin.RelatedOnlyFieldListFilter),
        "account__segment",
        "account__team",
    ]
    date_hierarchy = "occurred_at"
    autocomplete_fields = ["account", "author", "contacts"]
    readonly_fields = ["created_at", "updated_at", "deleted_at"]
    actions = ["restore", export_as_csv]
    fieldsets = [
        (None, {"fields": ["account", "kind", "occurred_at", "author", "contacts"]}),
        (_("What happened"), {"fields": ["summary", "notes", "tone", "next_steps"]}),
        (
            _("Record"),
            {"fields": ["created_at", "updated_at", "deleted_at"], "classes": ["collapse"]},
        ),
    ]

    @admin.display(description=_("deleted"), boolean=True, ordering="deleted_at")
    def is_deleted(self, obj):
        return obj.deleted_at is not None

    def get_changeform_initial_data(self, request):
        return {"author": request.user.pk, **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        if not change:
            logged = services.log_interaction(
                account=obj.account,
                author=obj.author,
                kind=obj.kind,
                summary=obj.summary,
                occurred_at=obj.occurred_at,
                contacts=form.cleaned_data.get("contacts", ()),
                notes=obj.notes,
                tone=obj.tone,
                next_steps=obj.next_steps,
            )
            adopt_saved(obj, logged)
            return
        # A meeting or call may have moved in time, changed kind or account: recompute the last
        # contact of the account before and after.
        previous = form.initial.get("account")
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            services.refresh_last_meeting_or_call(account_ids={obj.account_id, previous} - {None})
            events.announce({obj.account_id, previous} - {None}, events.What.INTERACTION)

    def delete_model(self, request, obj):
        services.delete_interaction(interaction=obj)

    def delete_queryset(self, request, queryset):
        services.delete_interactions(interaction_ids=queryset.values_list("pk", flat=True))

    def get_deleted_objects(self, objs, request):
        # Nothing cascades: the rows stay, marked deleted.
        objs = list(objs)
        model_count = {self.opts.verbose_name_plural: len(objs)}
        return [str(obj) for obj in objs], model_count, set(), []

    @admin.action(description=_("Restore selected interactions"), permissions=["change"])
    def restore(self, request, queryset):
        count = services.restore_interactions(interaction_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext("Restored %(count)d interaction.", "Restored %(count)d interactions.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(FollowUp)
class FollowUpAdmin(TolerantAutocomplete, SimpleHistoryAdmin):
    list_display = ["title", "account", "owner", "due_on", "state", "done_at"]
    list_select_related = ["account", "owner"]
    search_fields = ["title", "account__name"]
    list_filter = [
        FollowUpStateFilter,
        ("owner", admin.RelatedOnlyFieldListFilter),
        "account__team",
    ]
    date_hierarchy = "due_on"
    autocomplete_fields = ["account", "interaction", "owner"]
    readonly_fields = ["created_at"]
    actions = ["mark_done", export_as_csv]
    form = FollowUpAdminForm

    def get_changeform_initial_data(self, request):
        return {"owner": request.user.pk, **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        promised = services.create_follow_up(
            account=obj.account,
            title=obj.title,
            due_on=obj.due_on,
            owner=obj.owner,
            interaction=obj.interaction,
        )
        if obj.done_at is not None:
            promised = services.complete_follow_up(follow_up=promised, at=obj.done_at)
        adopt_saved(obj, promised)

    @admin.display(description=_("state"), ordering="done_at")
    def state(self, obj):
        if obj.is_done:
            return _("Done")
        return _("Overdue") if obj.is_overdue(timezone.localdate()) else _("Open")

    @admin.action(description=_("Mark done"), permissions=["change"])
    def mark_done(self, request, queryset):
        count = services.complete_follow_ups(follow_up_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext("Marked %(count)d follow-up done.", "Marked %(count)d follow-ups done.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(OpenProblem)
class OpenProblemAdmin(AnnouncesAccountChanges, TolerantAutocomplete, SimpleHistoryAdmin):
    announces = events.What.PROBLEM
    form = OpenProblemAdminForm
    list_display = [
        "title",
        "account",
        "category",
        "severity",
        "status",
        "opened_at",
        "opened_by",
        "resolved_at",
    ]
    list_select_related = ["account", "opened_by"]
    search_fields = ["title", "description", "resolution", "account__name"]
    list_filter = ["status", "severity", "category", "account__segment", "account__team"]
    date_hierarchy = "opened_at"
    autocomplete_fields = ["account", "opened_by"]
    readonly_fields = ["resolved_at"]
    actions = ["mark_in_progress", export_as_csv]
    fieldsets = [
        (None, {"fields": ["account", "title", "description", "category", "severity"]}),
        (_("Progress"), {"fields": ["status", "opened_at", "opened_by", "resolution"]}),
        (_("Resolved"), {"fields": ["resolved_at"]}),
    ]

    def get_changeform_initial_data(self, request):
        return {"opened_by": request.user.pk, **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        # The status goes through the services, which stamp (or clear) ``resolved_at``.
        terms = {f: getattr(obj, f) for f in ("title", "severity", "category", "description")}
        status, resolution = obj.status, obj.resolution
        if not change:
            opened = services.open_problem(
                account=obj.account,
                by=obj.opened_by,
                opened_at=obj.opened_at,
                status=status,
                resolution=resolution,
                **terms,
            )
            adopt_saved(obj, opened)
            return
        with transaction.atomic():
            # The account, opening and opener as typed; the rest as the pages change it.
            obj.status, obj.resolution = form.initial["status"], form.initial["resolution"]
            super().save_model(request, obj, form, change)
            edited = services.edit_problem(
                problem=obj, status=status, resolution=resolution, **terms
            )
            adopt_saved(obj, edited)

    @admin.action(description=_("Mark in progress"), permissions=["change"])
    def mark_in_progress(self, request, queryset):
        count = services.start_work_on_problems(problem_ids=queryset.values_list("pk", flat=True))
        skipped = queryset.count() - count
        self.message_user(
            request,
            ngettext(
                "Moved %(count)d problem to in progress.",
                "Moved %(count)d problems to in progress.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d problem was not open and is unchanged.",
                    "%(count)d problems were not open and are unchanged.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


@admin.register(Feedback)
class FeedbackAdmin(AnnouncesAccountChanges, TolerantAutocomplete, SimpleHistoryAdmin):
    announces = events.What.FEEDBACK
    form = FeedbackAdminForm
    list_display = ["received_on", "account", "kind", "score", "category", "contact", "author"]
    list_select_related = ["account", "contact__account", "author"]
    search_fields = ["account__name", "comment", "contact__name"]
    list_filter = [
        "kind",
        FeedbackCategoryFilter,
        ("author", admin.RelatedOnlyFieldListFilter),
        "account__segment",
    ]
    date_hierarchy = "received_on"
    autocomplete_fields = ["account", "contact", "author"]
    readonly_fields = ["created_at"]
    actions = [export_as_csv]

    def get_queryset(self, request):
        return super().get_queryset(request).with_category()

    @admin.display(description=_("category"), ordering="category_in_force")
    def category(self, obj):
        return obj.category

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # The service credits the account's owner when nobody is named.
        recorded = services.record_feedback(
            account=obj.account,
            kind=obj.kind,
            score=obj.score,
            received_on=obj.received_on,
            contact=obj.contact,
            author=obj.author,
            comment=obj.comment,
        )
        adopt_saved(obj, recorded)


@admin.register(PlannedMeeting)
class PlannedMeetingAdmin(admin.ModelAdmin):
    """Meetings planned ahead, to look into: they are planned, moved, held and cancelled on
    the account page (``interactions.calendar.touches``), whose rules the admin would skip."""

    list_display = ["account", "kind", "planned_at", "owner", "completed_at", "cancelled_at"]
    list_filter = ["kind"]
    search_fields = ["account__name", "summary"]
    list_select_related = ["account", "owner"]
    date_hierarchy = "planned_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SurveyTemplate)
class SurveyTemplateAdmin(admin.ModelAdmin):
    """The survey emails, per kind and language (placeholders: {name}, {company}, {link},
    {unsubscribe})."""

    list_display = ("kind", "language", "subject")
    list_filter = ("kind", "language")


@admin.register(SurveySend)
class SurveySendAdmin(admin.ModelAdmin):
    """Surveys sent and their answers; read-only (answers come through the personal link)."""

    list_display = ("account", "contact", "kind", "status", "queued_at", "answered_at", "score")
    list_filter = ("kind", "status")
    list_select_related = ("account", "contact__account")
    search_fields = ("account__name", "contact__name")
    raw_id_fields = ("account", "contact", "sender", "feedback")
    exclude = ("token_hash",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
