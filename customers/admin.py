"""The admin for accounts, contacts, contracts, ownership and churn.

Contract writes (the contract's own page, the account's inline, deletions) go through
``customers.services``, which check the terms and refresh the derived ledger in the same
transaction, so an admin can never leave an account's spans, MRR or status out of step with its
contracts. Ownership changes only through a transfer.
"""

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from crm import events
from crm.admin import AnnouncesAccountChanges, ReadOnlyInline, adopt_saved, count_of
from crm.admin_actions import export_as_csv
from crm.admin_widgets import TolerantAutocomplete

from . import services
from .models import (
    ACCOUNT_STATUSES,
    Account,
    ChurnReason,
    ChurnRecord,
    Contact,
    Contract,
    CustomerSpan,
    HandoverRequest,
    MrrSpan,
    OwnershipTransfer,
    Segment,
    account_status,
    contract_active_on,
    no_contact_since,
)

DERIVED_FIELDS = (
    "last_meeting_or_call_at",
    "customer_since",
    "churned_on",
    "mrr",
    "next_renewal_on",
    "derived_on",
)


# ---------------------------------------------------------------------------------------------
# List filters on derived fields


class CustomerStatusFilter(admin.SimpleListFilter):
    """Customer / churned / prospect, from the cached ledger status."""

    title = _("customer status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            ("customer", _("Customer")),
            ("churned", _("Churned")),
            ("prospect", _("Never a customer")),
        ]

    def queryset(self, request, queryset):
        if self.value() in ACCOUNT_STATUSES:
            return queryset.filter(account_status(self.value()))
        return queryset


class RenewalFilter(admin.SimpleListFilter):
    title = _("next renewal")
    parameter_name = "renewal"

    def lookups(self, request, model_admin):
        return [
            ("30", _("within 30 days")),
            ("90", _("within 90 days")),
            ("none", _("none scheduled")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value in {"30", "90"}:
            today = timezone.localdate()
            return queryset.filter(
                next_renewal_on__gte=today,
                next_renewal_on__lte=today + dt.timedelta(days=int(value)),
            )
        if value == "none":
            return queryset.filter(next_renewal_on__isnull=True)
        return queryset


class LastContactFilter(admin.SimpleListFilter):
    title = _("last meeting or call")
    parameter_name = "contacted"

    def lookups(self, request, model_admin):
        return [
            ("30", _("within 30 days")),
            ("90", _("30–90 days ago")),
            ("older", _("more than 90 days ago")),
            ("never", _("never")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        month, quarter = now - dt.timedelta(days=30), now - dt.timedelta(days=90)
        never_contacted = Q(last_meeting_or_call_at__isnull=True)
        match self.value():
            case "30":
                return queryset.exclude(no_contact_since(month))
            case "90":
                return queryset.filter(no_contact_since(month)).exclude(no_contact_since(quarter))
            case "older":
                return queryset.filter(no_contact_since(quarter)).exclude(never_contacted)
            case "never":
                return queryset.filter(never_contacted)
        return queryset


class ContractStateFilter(admin.SimpleListFilter):
    """Where a contract stands today, by the ledger rule."""

    title = _("state today")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("active", _("Active")),
            ("future", _("Not started")),
            ("over", _("Ended or cancelled")),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        match self.value():
            case "active":
                return queryset.active_on(today)
            case "future":
                return queryset.filter(start_date__gt=today)
            case "over":
                return queryset.filter(start_date__lte=today).exclude(contract_active_on(today))
        return queryset


class LeftCompanyFilter(admin.SimpleListFilter):
    title = _("still at the company")
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No, left"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(left_on__isnull=True)
        if self.value() == "no":
            return queryset.filter(left_on__isnull=False)
        return queryset


class AcknowledgedFilter(admin.SimpleListFilter):
    title = _("acknowledged")
    parameter_name = "acknowledged"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("Not yet"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(acknowledged_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(acknowledged_at__isnull=True)
        return queryset


# ---------------------------------------------------------------------------------------------
# Forms. Their fields come from the ModelAdmin; they add the checks of the services that the
# database cannot make, so a bad entry is a form error with the service's words, not a 500.


class ContractAdminForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        start = cleaned.get("start_date")
        if start is not None:
            try:
                # The service's own check, so the admin says the same as every other form.
                services.validate_contract_terms(
                    start,
                    cleaned.get("end_date"),
                    cleaned.get("cancelled_on"),
                    cleaned.get("monthly_value"),
                )
            except ValidationError as error:
                for field, messages_ in error.message_dict.items():
                    for message in messages_:
                        if field in self.fields and field not in self.errors:
                            self.add_error(field, message)
        return cleaned


class OwnershipTransferAddForm(forms.ModelForm):
    class Meta:
        model = OwnershipTransfer
        fields = ["account", "to_owner", "reason", "handover_notes"]

    def clean(self):
        cleaned = super().clean()
        account, to_owner, reason = (cleaned.get(f) for f in ("account", "to_owner", "reason"))
        if account is not None and to_owner is not None and reason is not None:
            try:
                services.check_transfer(account=account, to_owner=to_owner, reason=reason)
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


class ChurnRecordAddForm(forms.ModelForm):
    class Meta:
        model = ChurnRecord
        fields = ["account", "reason", "notes"]

    def clean_account(self):
        account = self.cleaned_data["account"]
        if account.churned_on is None:
            raise ValidationError(
                _("%(account)s has not churned according to its contracts.") % {"account": account}
            )
        return account


# ---------------------------------------------------------------------------------------------
# Inlines on Account


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = [
        "name",
        "email",
        "phone",
        "title",
        "is_decision_maker",
        "is_champion",
        "preferred_channel",
        "left_on",
    ]
    show_change_link = True


class ContractInline(admin.TabularInline):
    model = Contract
    form = ContractAdminForm
    extra = 0
    fields = [name for name in services.CONTRACT_FIELDS if name != "account"]
    show_change_link = True


class CustomerSpanInline(ReadOnlyInline):
    model = CustomerSpan
    verbose_name_plural = _("customer spans (derived from the contracts)")
    fields = ["start_date", "end_date"]


class OwnershipTransferInline(ReadOnlyInline):
    model = OwnershipTransfer
    fk_name = "account"
    fields = [
        "transferred_at",
        "from_owner",
        "to_owner",
        "transferred_by",
        "reason",
        "acknowledged_at",
    ]
    show_change_link = True

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("from_owner", "to_owner", "transferred_by")
        )


# ---------------------------------------------------------------------------------------------
# Model admins


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["name", "expected_cadence_days", "benchmark_retention_rate", "account_count"]
    search_fields = ["name"]
    actions = [export_as_csv]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_accounts=count_of(Segment, "accounts"))

    @admin.display(description=_("accounts"), ordering="n_accounts")
    def account_count(self, obj):
        return obj.n_accounts


@admin.register(Account)
class AccountAdmin(TolerantAutocomplete, SimpleHistoryAdmin):
    list_display = [
        "name",
        "segment",
        "owner",
        "team",
        "is_customer",
        "mrr",
        "customer_since",
        "churned_on",
        "next_renewal_on",
        "last_meeting_or_call_at",
    ]
    list_select_related = ["segment", "owner", "team"]
    search_fields = ["name", "external_id", "industry"]
    list_filter = [
        CustomerStatusFilter,
        RenewalFilter,
        LastContactFilter,
        "segment",
        "team",
        ("owner", admin.RelatedOnlyFieldListFilter),
        "budget_band",
    ]
    date_hierarchy = "next_renewal_on"
    autocomplete_fields = ["segment", "owner", "team"]
    readonly_fields = [*DERIVED_FIELDS, "owner_and_transfer", "created_at", "updated_at"]
    inlines = [ContactInline, ContractInline, CustomerSpanInline, OwnershipTransferInline]
    add_inlines = [ContactInline, ContractInline]
    actions = ["rebuild_derived_fields", export_as_csv]
    fieldsets = [
        (
            None,
            {"fields": ["name", "external_id", "segment", "industry", "employees", "budget_band"]},
        ),
        (_("Ownership"), {"fields": ["owner", "team"]}),
        (
            _("Derived (from contracts and interactions)"),
            {
                "fields": list(DERIVED_FIELDS),
                "description": _(
                    "Computed from the contracts and the meetings and calls; never typed in. "
                    "Use the action “Rebuild derived fields” if they ever look wrong."
                ),
            },
        ),
        (_("Record"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def get_inlines(self, request, obj):
        # A new account has no history to show yet.
        return self.add_inlines if obj is None else self.inlines

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        # On change the owner is shown, not edited: the handover must be recorded.
        return [
            (
                title,
                {
                    **options,
                    "fields": [
                        "owner_and_transfer" if f == "owner" else f for f in options["fields"]
                    ],
                },
            )
            for title, options in fieldsets
        ]

    @admin.display(description=_("is customer"), boolean=True, ordering="customer_since")
    def is_customer(self, obj):
        return obj.is_customer

    @admin.display(description=_("owner"))
    def owner_and_transfer(self, obj):
        url = reverse("admin:customers_ownershiptransfer_add") + f"?account={obj.pk}"
        return format_html(
            '{} · <a href="{}">{}</a><div class="help">{}</div>',
            obj.owner or "—",
            url,
            _("Transfer to another owner…"),
            _("The owner changes only through a transfer, which records the handover."),
        )

    def save_model(self, request, obj, form, change):
        if not change and obj.team_id is None and obj.owner is not None:
            obj.team_id = obj.owner.team_id  # as ``services.create_account`` does
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Contract:
            return super().save_formset(request, form, formset, change)
        with transaction.atomic():
            formset.save(commit=False)  # sorts the forms into new, changed and deleted
            if formset.deleted_objects:
                services.delete_contracts(contracts=formset.deleted_objects)
            for contract, changed in formset.changed_objects:
                services.update_contract(contract=contract, **_terms(contract, changed))
            for contract in formset.new_objects:
                adopt_saved(contract, services.create_contract(**_terms(contract)))

    def save_related(self, request, form, formsets, change):
        # The account's own fields (its segment sets the cadence) and its contacts inline:
        # one announcement when all is saved (the contracts' refresh made its own).
        with transaction.atomic():
            super().save_related(request, form, formsets, change)
            if change:
                events.announce([form.instance.pk], events.What.ACCOUNT)

    @admin.action(description=_("Rebuild derived fields"), permissions=["change"])
    def rebuild_derived_fields(self, request, queryset):
        with transaction.atomic():
            count = services.refresh_ledger(account_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext(
                "Rebuilt the derived fields of %(count)d account.",
                "Rebuilt the derived fields of %(count)d accounts.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Contact)
class ContactAdmin(AnnouncesAccountChanges, TolerantAutocomplete, SimpleHistoryAdmin):
    announces = events.What.CONTACT
    list_display = [
        "name",
        "account",
        "title",
        "email",
        "phone",
        "is_decision_maker",
        "is_champion",
        "preferred_channel",
        "left_on",
    ]
    list_select_related = ["account"]
    search_fields = ["name", "email", "title", "account__name"]
    list_filter = [
        LeftCompanyFilter,
        "is_champion",
        "is_decision_maker",
        "preferred_channel",
        "account__segment",
        "account__team",
    ]
    autocomplete_fields = ["account"]
    readonly_fields = ["created_at", "updated_at"]
    actions = [export_as_csv]
    fieldsets = [
        (None, {"fields": ["account", "name", "title", "email", "phone"]}),
        (_("Role for us"), {"fields": ["is_decision_maker", "is_champion", "left_on"]}),
        (_("Preferences"), {"fields": ["preferred_channel", "preferences"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]


@admin.register(Contract)
class ContractAdmin(TolerantAutocomplete, SimpleHistoryAdmin):
    form = ContractAdminForm
    list_display = [
        "reference",
        "account",
        "start_date",
        "end_date",
        "cancelled_on",
        "monthly_value",
        "renewal_confirmed",
        "notice_given_on",
        "active_today",
    ]
    list_select_related = ["account"]
    search_fields = ["reference", "account__name", "account__external_id"]
    list_filter = [ContractStateFilter, "renewal_confirmed", "account__segment", "account__team"]
    date_hierarchy = "start_date"
    autocomplete_fields = ["account"]
    readonly_fields = ["created_at", "updated_at"]
    actions = [export_as_csv]
    fieldsets = [
        (None, {"fields": ["account", "reference", "monthly_value"]}),
        (_("Term"), {"fields": ["start_date", "end_date", "cancelled_on"]}),
        (
            _("Renewal"),
            {"fields": ["notice_period_days", "notice_given_on", "renewal_confirmed"]},
        ),
        (_("Record"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    @admin.display(description=_("active today"), boolean=True)
    def active_today(self, obj):
        return obj.is_active_on(timezone.localdate())

    def save_model(self, request, obj, form, change):
        # The services check the terms and refresh the ledger (of both accounts, when the
        # contract moved to another one).
        if change:
            saved = services.update_contract(contract=obj, **_terms(obj, form.changed_data))
        else:
            saved = services.create_contract(**_terms(obj))
        adopt_saved(obj, saved)

    def delete_model(self, request, obj):
        services.delete_contracts(contracts=[obj])

    def delete_queryset(self, request, queryset):
        services.delete_contracts(contracts=queryset)


def _terms(contract: Contract, names=services.CONTRACT_FIELDS) -> dict:
    """The contract's values of ``names`` (all by default) that a contract write sets, which
    the form has put on the unsaved instance, for the services."""
    return {name: getattr(contract, name) for name in names if name in services.CONTRACT_FIELDS}


@admin.register(CustomerSpan)
class CustomerSpanAdmin(admin.ModelAdmin):
    """Read-only: spans are derived from the contracts by ``refresh_ledger``."""

    list_display = ["account", "start_date", "end_date"]
    list_select_related = ["account"]
    search_fields = ["account__name", "account__external_id"]
    list_filter = ["account__segment", "account__team"]
    date_hierarchy = "start_date"
    actions = [export_as_csv]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MrrSpan)
class MrrSpanAdmin(CustomerSpanAdmin):
    """Read-only: MRR spans are derived from the contracts by ``refresh_ledger``."""

    list_display = ["account", "start_date", "end_date", "mrr"]


@admin.register(OwnershipTransfer)
class OwnershipTransferAdmin(TolerantAutocomplete, SimpleHistoryAdmin):
    """Transfers are history: added through ``transfer_ownership``; afterwards only the
    handover notes can be amended."""

    list_display = [
        "transferred_at",
        "account",
        "from_owner",
        "to_owner",
        "transferred_by",
        "reason",
        "is_acknowledged",
    ]
    list_select_related = ["account", "from_owner", "to_owner", "transferred_by"]
    search_fields = [
        "account__name",
        "reason",
        "to_owner__username",
        "to_owner__last_name",
        "from_owner__username",
        "from_owner__last_name",
    ]
    list_filter = [
        AcknowledgedFilter,
        ("to_owner", admin.RelatedOnlyFieldListFilter),
        ("from_owner", admin.RelatedOnlyFieldListFilter),
    ]
    date_hierarchy = "transferred_at"
    autocomplete_fields = ["account", "to_owner"]
    actions = [export_as_csv]
    change_readonly = [
        "account",
        "from_owner",
        "to_owner",
        "transferred_by",
        "transferred_at",
        "reason",
        "acknowledged_at",
    ]

    @admin.display(description=_("acknowledged"), boolean=True, ordering="acknowledged_at")
    def is_acknowledged(self, obj):
        return obj.acknowledged_at is not None

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = OwnershipTransferAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return OwnershipTransferAddForm._meta.fields
        return [*self.change_readonly, "handover_notes"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.change_readonly

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "to_owner":
            kwargs["queryset"] = db_field.related_model.objects.filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        transfer = services.transfer_ownership(
            account=obj.account,
            to_owner=obj.to_owner,
            by=request.user,
            reason=obj.reason,
            handover_notes=obj.handover_notes,
        )
        adopt_saved(obj, transfer)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(HandoverRequest)
class HandoverRequestAdmin(admin.ModelAdmin):
    """Read-only: CSMs ask and leads decide on the handovers page (``customers.handovers``)."""

    list_display = [
        "requested_at",
        "account",
        "requested_by",
        "proposed_owner",
        "status",
        "decided_by",
        "decided_at",
    ]
    list_select_related = ["account", "requested_by", "proposed_owner", "decided_by"]
    list_filter = ["status", "account__team"]
    search_fields = ["account__name", "reason"]
    date_hierarchy = "requested_at"
    actions = [export_as_csv]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ChurnReason)
class ChurnReasonAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "record_count"]
    list_editable = ["is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    actions = [export_as_csv]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_records=count_of(ChurnReason, "records"))

    @admin.display(description=_("churned accounts"), ordering="n_records")
    def record_count(self, obj):
        return obj.n_records


@admin.register(ChurnRecord)
class ChurnRecordAdmin(TolerantAutocomplete, SimpleHistoryAdmin):
    """The date comes from the ledger (``record_churn``); the reason and notes are ours."""

    list_display = ["churned_on", "account", "reason", "recorded_by", "created_at"]
    list_select_related = ["account", "reason", "recorded_by"]
    search_fields = ["account__name", "notes", "reason__name"]
    list_filter = ["reason", "account__segment", "account__team"]
    date_hierarchy = "churned_on"
    autocomplete_fields = ["account", "reason", "recorded_by"]
    actions = [export_as_csv]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ChurnRecordAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ChurnRecordAddForm._meta.fields
        return ["account", "churned_on", "reason", "notes", "recorded_by", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["account", "churned_on", "recorded_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        record = services.record_churn(
            account=obj.account, reason=obj.reason, notes=obj.notes, by=request.user
        )
        adopt_saved(obj, record)
