"""Admin for the health model: the scoring configuration (every weight and threshold; saving
makes a new version), the score history and risk flags (read-only lists; acknowledging or
resolving asks for a comment), and the CSM sentiment readings."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from crm import events
from crm.admin import AnnouncesAccountChanges
from crm.admin_actions import export_as_csv
from crm.admin_widgets import TolerantAutocomplete
from crm.queue import enqueue_safely

from .health import flags as flag_services
from .health import scoring
from .health.wording import MEASURE_WORDS, word, word_for
from .models import (
    COMMENT_MAX_LENGTH,
    HealthScore,
    Rating,
    RiskFlag,
    RiskFlagEvent,
    ScoringConfiguration,
    SentimentReading,
    said,
)
from .playbooks import admin as playbooks_admin  # noqa: F401 (registers the playbooks)
from .tasks import score_accounts as score_accounts_task


@admin.register(ScoringConfiguration)
class ScoringConfigurationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "note", "weights_summary", "bands", "created_at", "created_by"]
    list_select_related = ["created_by"]
    readonly_fields = ["version", "is_active", "created_at", "created_by"]
    actions = ["rescore_now"]
    fieldsets = [
        (
            None,
            {
                "fields": ["note", ("version", "is_active"), ("created_at", "created_by")],
                "description": gettext_lazy(
                    "Saving stores a new version and makes it the active one; scores keep "
                    "pointing at the version that produced them. The new weights apply from "
                    "the next scoring run."
                ),
            },
        ),
        (
            gettext_lazy("Weights"),
            {
                "fields": [
                    tuple(ScoringConfiguration.WEIGHT_FIELDS[:3]),
                    tuple(ScoringConfiguration.WEIGHT_FIELDS[3:]),
                ]
            },
        ),
        (
            gettext_lazy("Points and bands"),
            {
                "fields": [
                    ("points_good", "points_average", "points_poor"),
                    ("green_from", "yellow_from"),
                ]
            },
        ),
        (
            gettext_lazy("Measures"),
            {
                "fields": [
                    ("engagement_good_ratio", "engagement_average_ratio", "default_cadence_days"),
                    "sentiment_max_age_days",
                    ("problem_age_days", "medium_problem_is_poor"),
                    ("relationship_window_days", "relationship_min_colleagues"),
                    "voice_max_age_days",
                    ("nps_promoter_from", "nps_passive_from"),
                    ("csat_promoter_from", "csat_passive_from"),
                    ("renewal_window_days", "downgrade_lookback_days"),
                ]
            },
        ),
        (
            gettext_lazy("Guards, trend and flags"),
            {
                "fields": [
                    ("onboarding_days", "onboarding_engagement_factor"),
                    "transfer_watch_days",
                    ("trend_days", "flag_drop_points"),
                ]
            },
        ),
    ]

    def has_delete_permission(self, request, obj=None):
        return False  # scores point at every version

    def save_model(self, request, obj, form, change):
        # Mutates ``obj`` into the new version, so the admin's messages and redirect follow it.
        scoring.save_configuration(configuration=obj, by=request.user)

    @admin.display(description=gettext_lazy("weights"))
    def weights_summary(self, obj):
        return " · ".join(f"{k} {v}" for k, v in obj.weights.items())

    @admin.display(description=gettext_lazy("bands"))
    def bands(self, obj):
        return _("green ≥ %(green)s, yellow ≥ %(yellow)s") % {
            "green": obj.green_from,
            "yellow": obj.yellow_from,
        }

    @admin.action(description=gettext_lazy("Score all accounts now"), permissions=["change"])
    def rescore_now(self, request, queryset):
        enqueue_safely(score_accounts_task)
        self.message_user(
            request,
            _("Scoring of all accounts is queued (if the broker is down, it runs tonight)."),
        )


@admin.register(SentimentReading)
class SentimentReadingAdmin(AnnouncesAccountChanges, TolerantAutocomplete, admin.ModelAdmin):
    announces = events.What.SENTIMENT
    list_display = ["account", "sentiment", "author", "recorded_at", "comment"]
    list_filter = ["sentiment", "recorded_at"]
    list_select_related = ["account", "author"]
    search_fields = ["account__name", "comment"]
    autocomplete_fields = ["account"]
    fields = ["account", "sentiment", "comment", "author", "recorded_at"]
    readonly_fields = ["author", "recorded_at"]

    def has_change_permission(self, request, obj=None):
        return False  # a reading is what someone said on a day; record a new one instead

    def save_model(self, request, obj, form, change):
        saved = scoring.record_sentiment(
            account=obj.account, author=request.user, sentiment=obj.sentiment, comment=obj.comment
        )
        obj.pk, obj.author, obj.recorded_at = saved.pk, saved.author, saved.recorded_at


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + list(self.readonly_fields)


@admin.register(HealthScore)
class HealthScoreAdmin(ReadOnlyAdmin):
    list_display = ["account", "scored_on", "score", "band", "trend", "onboarding", "on_watch"]
    list_filter = ["band", "onboarding", "on_watch", "scored_on", "configuration"]
    list_select_related = ["account"]
    search_fields = ["account__name", "account__external_id"]
    date_hierarchy = "scored_on"
    show_full_result_count = False
    readonly_fields = ["measure_table"]
    actions = [export_as_csv]

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("per measure"))
    def measure_table(self, obj):
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    word_for(MEASURE_WORDS, key),
                    Rating(m["rating"]).label if m.get("rating") in Rating.values else _("n/a"),
                    m.get("weight"),
                    m.get("impact"),
                    word(said(m)),
                )
                for key, m in obj.measures.items()
            ),
        )
        head = _("measure"), _("rating"), _("weight"), _("impact"), _("explanation")
        return format_html(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>",
            *head,
            rows,
        )


class RiskFlagEventInline(admin.TabularInline):
    model = RiskFlagEvent
    extra = 0
    can_delete = False
    fields = ["at", "by", "from_status", "to_status", "worded_note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("comment"))
    def worded_note(self, obj):
        return word(obj.note)


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": COMMENT_MAX_LENGTH}),
    )


def _with_comment(modeladmin, request, queryset, *, service, title: str):
    """An intermediate page asking for the comment, then the service for each flag; flags
    it refuses (already resolved, not yours) are listed, never skipped silently."""
    form = CommentForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        done, refused = 0, []
        for flag in queryset.select_related("account"):
            try:
                service(flag=flag, by=request.user, comment=form.cleaned_data["comment"])
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                refused.append(f"{flag}: {' '.join(getattr(exc, 'messages', [str(exc)]))}")
        changed = ngettext("%(n)s flag changed.", "%(n)s flags changed.", done) % {"n": done}
        modeladmin.message_user(request, changed)
        for line in refused:
            modeladmin.message_user(request, line, messages.WARNING)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "opts": modeladmin.model._meta,
        "flags": queryset.select_related("account"),
        "form": form,
        "action": request.POST.get("action"),
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/retention/riskflag/comment_action.html", context)


@admin.register(RiskFlag)
class RiskFlagAdmin(ReadOnlyAdmin):
    list_display = [
        "account",
        "reason",
        "status",
        "raised_on",
        "last_seen_on",
        "measured_value",
        "threshold",
        "worded_explanation",
        "owner",
    ]
    list_filter = ["status", "reason", "auto_resolved", "raised_on"]
    list_select_related = ["account__owner"]
    search_fields = ["account__name"]
    readonly_fields = ["worded_explanation"]
    date_hierarchy = "raised_on"
    show_full_result_count = False
    inlines = [RiskFlagEventInline]
    actions = ["acknowledge", "resolve", export_as_csv]

    @admin.display(description=gettext_lazy("owner"), ordering="account__owner__username")
    def owner(self, obj):
        return obj.account.owner

    @admin.display(description=gettext_lazy("explanation"))
    def worded_explanation(self, obj):
        return word(obj.why)

    @admin.action(description=gettext_lazy("Acknowledge with a comment"), permissions=["change"])
    def acknowledge(self, request, queryset):
        return _with_comment(
            self,
            request,
            queryset,
            service=flag_services.acknowledge_flag,
            title=_("Acknowledge risk flags"),
        )

    @admin.action(description=gettext_lazy("Resolve with a comment"), permissions=["change"])
    def resolve(self, request, queryset):
        return _with_comment(
            self,
            request,
            queryset,
            service=flag_services.resolve_flag,
            title=_("Resolve risk flags"),
        )
