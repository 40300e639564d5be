from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count, OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from .admin_actions import export_as_csv
from .admin_widgets import TolerantAutocomplete
from .models import InboxItem, PendingTask, Team, User


def count_of(model, relation: str) -> Subquery:
    """A correlated subquery counting ``relation`` per row of ``model``: still one query for a
    changelist, and no row explosion when several counts are shown side by side. Takes the
    relation by name, so a model here can count rows of the apps above it."""
    return Subquery(
        model.objects.filter(pk=OuterRef("pk")).annotate(n=Count(relation)).values("n")[:1]
    )


def adopt_saved(target, source) -> None:
    """Make the admin's unsaved ``target`` the row a service saved (``source``), so the admin's
    redirect, message and log entry refer to it."""
    for field in type(source)._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    target._state.adding = False
    target._state.db = source._state.db


class ReadOnlyInline(admin.TabularInline):
    """An inline that shows rows changed elsewhere (a service, another page): no add, change
    or delete, its fields all read-only."""

    extra = 0

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MemberInline(ReadOnlyInline):
    """The team's people; membership is changed on the user."""

    model = User
    fields = ["username", "first_name", "last_name", "email", "is_active"]
    show_change_link = True
    verbose_name = _("member")
    verbose_name_plural = _("members")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "member_count", "account_count", "created_at"]
    search_fields = ["name"]
    readonly_fields = ["created_at"]
    inlines = [MemberInline]
    actions = [export_as_csv]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(n_members=count_of(Team, "members"), n_accounts=count_of(Team, "accounts"))
        )

    @admin.display(description=_("members"), ordering="n_members")
    def member_count(self, obj):
        return obj.n_members

    @admin.display(description=_("accounts"), ordering="n_accounts")
    def account_count(self, obj):
        return obj.n_accounts


@admin.register(User)
class UserAdmin(TolerantAutocomplete, BaseUserAdmin):
    list_display = [
        "username",
        "email",
        "first_name",
        "last_name",
        "team",
        "roles",
        "account_count",
        "is_active",
        "last_login",
    ]
    list_filter = ["team", "groups", "is_active", "is_staff", "is_superuser"]
    list_select_related = ["team"]
    autocomplete_fields = ["team"]
    actions = [export_as_csv]
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Team"), {"fields": ("team",)}))
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Profile"), {"fields": ("first_name", "last_name", "email", "team", "groups")}),
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("groups")
            .annotate(n_accounts=count_of(User, "owned_accounts"))
        )

    @admin.display(description=_("roles"))
    def roles(self, obj):
        return ", ".join(g.name for g in obj.groups.all())

    @admin.display(description=_("accounts owned"), ordering="n_accounts")
    def account_count(self, obj):
        return obj.n_accounts


@admin.register(PendingTask)
class PendingTaskAdmin(admin.ModelAdmin):
    """Tasks the broker refused while it was down (``crm.queue``), sent again every 5 minutes
    by beat. Read-only; "Send now" tries at once, deleting a row drops that task."""

    list_display = ["task", "attempts", "first_failed_at", "last_failed_at", "last_error"]
    list_filter = ["task"]
    fields = ["task", "args", "kwargs", "attempts", "first_failed_at", "last_failed_at"]
    fields += ["last_error"]
    readonly_fields = fields
    actions = ["send_now"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send the pending tasks now"), permissions=["view"])
    def send_now(self, request, queryset):
        from .queue import send_pending_tasks

        summary = send_pending_tasks()
        if "error" in summary:
            self.message_user(
                request,
                _("The broker still refuses: %(error)s") % summary,
                level=messages.WARNING,
            )
        else:
            self.message_user(request, _("%(sent)s sent, %(left)s left.") % summary)


@admin.register(InboxItem)
class InboxItemAdmin(admin.ModelAdmin):
    """What the inbox holds, to look into (posted and settled by the apps, never typed in)."""

    list_display = ["user", "kind", "message", "topic", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["user__username", "topic"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
