from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .models import Team, User


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "member_count", "created_at"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, obj):
        return obj.member_count


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "team", "roles", "is_active"]
    list_filter = ["team", "groups", "is_active", "is_staff", "is_superuser"]
    list_select_related = ["team"]
    autocomplete_fields = ["team"]
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Team"), {"fields": ("team",)}))
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Profile"), {"fields": ("first_name", "last_name", "email", "team", "groups")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("roles"))
    def roles(self, obj):
        return ", ".join(g.name for g in obj.groups.all())
