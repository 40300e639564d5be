"""The playbooks in the admin: inline steps in order, a preview of the tasks for an example
account, and the checks of ``services.playbook_errors`` (a refused save says why). Saving
freezes a new version; runs keep theirs."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Playbook, PlaybookRun, PlaybookStep, PlaybookVersion, RunStep
from . import services
from .surveys import outcome_text


class StepFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        steps = [
            f.cleaned_data
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE", False)
        ]
        playbook = self.instance
        errors = services.playbook_errors(
            trigger=playbook.trigger,
            trigger_days=playbook.trigger_days,
            cadence_multiple=playbook.cadence_multiple,
            segment=playbook.segment,
            steps=steps,
        )
        if errors:
            raise ValidationError(errors)


class StepInline(admin.TabularInline):
    model = PlaybookStep
    formset = StepFormSet
    fields = ["position", "kind", "survey_kind", "title", "offset_days", "assignee"]
    extra = 1
    ordering = ["position", "pk"]


@admin.register(Playbook)
class PlaybookAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "trigger",
        "trigger_days",
        "cadence_multiple",
        "segment",
        "is_active",
        "version",
    ]
    list_filter = ["trigger", "is_active"]
    search_fields = ["name"]
    inlines = [StepInline]
    readonly_fields = ["version", "preview"]
    fields = [
        "name",
        "description",
        ("trigger", "trigger_days", "cadence_multiple", "flag_reason"),
        "segment",
        ("is_active", "version"),
        "preview",
    ]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.save_version(playbook=form.instance, by=request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # runs point at it: deactivate instead

    @admin.display(description=gettext_lazy("preview"))
    def preview(self, obj):
        if obj is None or obj.pk is None:
            return _("Save the playbook to see the tasks it would create.")
        account = services.example_account(obj)
        if account is None:
            return _("No account a run could start on today.")
        rows = services.preview(playbook=obj, account=account)
        items = format_html_join(
            "",
            "<li>{} · {} · {} · {}</li>",
            ((r["due_on"].isoformat(), r["kind"], r["title"], r["person"] or "–") for r in rows),
        )
        return format_html(
            "<p>{}</p><ul>{}</ul>",
            _("Started today on %(account)s:") % {"account": account},
            items,
        )


@admin.register(PlaybookVersion)
class PlaybookVersionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "trigger", "created_at", "created_by"]
    list_filter = ["playbook"]
    readonly_fields = [f.name for f in PlaybookVersion._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RunStepInline(admin.TabularInline):
    model = RunStep
    fields = ["position", "kind", "survey_kind", "follow_up", "skipped_at", "skip_reason", "did"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("what it did"))
    def did(self, step):
        return outcome_text(step)


@admin.register(PlaybookRun)
class PlaybookRunAdmin(admin.ModelAdmin):
    list_display = ["playbook", "account", "status", "trigger_day", "started_at"]
    list_filter = ["status", "playbook"]
    list_select_related = ["playbook", "account"]
    search_fields = ["account__name"]
    inlines = [RunStepInline]
    readonly_fields = [f.name for f in PlaybookRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
