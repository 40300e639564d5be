"""The REST API of health, risk flags and retention figures (``/api/v1/``).

Health scores and flags are read through ``crm.scoping`` (and this app's flag selectors);
people acknowledge, snooze and resolve flags through ``retention.health.flags``; retention figures
come from ``retention.figures.metrics`` with the keys of DESIGN.md's JSON.
"""

import re

from django.db.models import F
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from crm import scoping
from crm.api import DateTimeFilter, IdFilter, ScopedViewSetMixin
from crm.periods import read_period
from customers import selectors as customer_selectors
from customers.models import Account

from .figures.metrics import RetentionError, retention_figures
from .health import flags
from .health import selectors as flag_selectors
from .health.wording import word
from .models import Band, HealthScore, Rating, RiskFlag, RiskFlagEvent, said

MESSAGE_HELP = _(
    'What the scoring said, as a message id and its parameters (e.g. {"id": "no_meeting", '
    '"days": 47, "cadence": 30}); null on rows from before messages were stored.'
)
WORDED_HELP = _("The same in the request's language.")

# --- health scores ------------------------------------------------------------------------


class MeasureSerializer(serializers.Serializer):
    """What one measure saw and gave (DESIGN.md "Health model")."""

    rating = serializers.ChoiceField(
        choices=Rating.choices, allow_null=True, help_text=_("Empty (null) when n/a.")
    )
    value = serializers.JSONField(allow_null=True, help_text=_("What the measure saw."))
    points = serializers.IntegerField(allow_null=True)
    weight = serializers.FloatField()
    impact = serializers.IntegerField(help_text=_("Points it cost against a perfect score."))
    message = serializers.JSONField(allow_null=True, default=None, help_text=MESSAGE_HELP)
    explanation = serializers.SerializerMethodField(help_text=WORDED_HELP)

    def get_explanation(self, measure: dict) -> str:
        return word(said(measure))


class ReasonSerializer(MeasureSerializer):
    measure = serializers.CharField(help_text=_("engagement, sentiment, problems…"))


class HealthScoreSerializer(serializers.ModelSerializer):
    account_name = serializers.CharField(source="account.name", read_only=True)
    band = serializers.ChoiceField(choices=Band.choices, allow_blank=True, read_only=True)
    measures = serializers.DictField(child=MeasureSerializer(), read_only=True)
    reasons = ReasonSerializer(many=True, read_only=True)
    guards = serializers.SerializerMethodField(help_text=_("The guard notes, worded."))
    guard_messages = serializers.SerializerMethodField(
        help_text=_("The guard notes as messages (null for a note from before messages).")
    )

    class Meta:
        model = HealthScore
        fields = [
            "id",
            "account",
            "account_name",
            "scored_on",
            "score",
            "band",
            "previous_score",
            "trend",
            "onboarding",
            "on_watch",
            "guards",
            "guard_messages",
            "measures",
            "reasons",
            "computed_at",
        ]
        read_only_fields = fields

    def get_guards(self, health: HealthScore) -> list[str]:
        return [word(g) for g in health.guards]

    def get_guard_messages(self, health: HealthScore) -> list[dict | None]:
        return [g if isinstance(g, dict) else None for g in health.guards]


class HealthScoreFilter(filters.FilterSet):
    account = IdFilter(field_name="account_id")
    band = filters.MultipleChoiceFilter(choices=Band.choices)
    scored_after = filters.DateFilter(field_name="scored_on", lookup_expr="gte")
    scored_before = filters.DateFilter(field_name="scored_on", lookup_expr="lte")
    latest = filters.BooleanFilter(
        method="filter_latest", label=_("Only each account's most recent score")
    )

    class Meta:
        model = HealthScore
        fields = ["account", "band", "scored_after", "scored_before", "latest"]

    def filter_latest(self, queryset, name, value):
        if not value:
            return queryset
        # The day of the account's current health (``AccountHealth``) is its newest score's.
        return queryset.filter(account__current_health__scored_on=F("scored_on"))


@extend_schema_view(
    list=extend_schema(summary="List the health scores of accounts you may see"),
    retrieve=extend_schema(summary="Show a health score with its reasons"),
)
class HealthScoreViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """An account's health on a day: the score, its band, the trend and, per measure, what it
    saw and what it gave. History is kept: filter ``latest=true`` for the current ones."""

    serializer_class = HealthScoreSerializer
    queryset = HealthScore.objects.all()
    filterset_class = HealthScoreFilter
    ordering_fields = ["scored_on", "score", "trend"]
    ordering = ["-scored_on", "account_id"]

    def base_queryset(self):
        return HealthScore.objects.select_related("account")


class AccountHealthView(GenericAPIView):
    """The latest health score of one account (404 when it is not scored yet)."""

    serializer_class = HealthScoreSerializer
    queryset = HealthScore.objects.none()

    @extend_schema(
        summary="Show an account's current health",
        responses={200: HealthScoreSerializer, 404: OpenApiResponse(description="Not found.")},
    )
    def get(self, request, account_id: int):
        account = customer_selectors.account_for(request.user, account_id)
        health = flag_selectors.latest_health(account)
        if health is None:
            return Response({"detail": _("This account has no health score yet.")}, status=404)
        return Response(self.get_serializer(health).data)


# --- risk flags ---------------------------------------------------------------------------


class RiskFlagEventSerializer(serializers.ModelSerializer):
    by_name = serializers.StringRelatedField(source="by", read_only=True, allow_null=True)
    comment = serializers.SerializerMethodField(
        help_text=_("A person's comment, or what the scoring said, in the request's language.")
    )
    message = serializers.JSONField(read_only=True, allow_null=True, help_text=MESSAGE_HELP)

    class Meta:
        model = RiskFlagEvent
        fields = ["at", "by", "by_name", "from_status", "to_status", "comment", "message"]
        read_only_fields = fields

    def get_comment(self, event: RiskFlagEvent) -> str:
        return word(event.note)


class RiskFlagSerializer(serializers.ModelSerializer):
    account_name = serializers.CharField(source="account.name", read_only=True)
    acknowledged_by_name = serializers.StringRelatedField(
        source="acknowledged_by", read_only=True, allow_null=True
    )
    resolved_by_name = serializers.StringRelatedField(
        source="resolved_by", read_only=True, allow_null=True
    )
    events = RiskFlagEventSerializer(many=True, read_only=True)
    explanation = serializers.SerializerMethodField(help_text=WORDED_HELP)
    explanation_message = serializers.JSONField(
        read_only=True, allow_null=True, help_text=MESSAGE_HELP
    )
    resolved_comment = serializers.SerializerMethodField(
        help_text=_("How a person dealt with it, or why it resolved itself, worded.")
    )
    resolved_message = serializers.JSONField(
        read_only=True, allow_null=True, help_text=MESSAGE_HELP
    )

    class Meta:
        model = RiskFlag
        fields = [
            "id",
            "account",
            "account_name",
            "reason",
            "status",
            "raised_at",
            "raised_on",
            "last_seen_on",
            "measured_value",
            "threshold",
            "explanation",
            "explanation_message",
            "acknowledged_by",
            "acknowledged_by_name",
            "acknowledged_at",
            "acknowledged_comment",
            "resolved_by",
            "resolved_by_name",
            "resolved_at",
            "resolved_comment",
            "resolved_message",
            "auto_resolved",
            "snoozed_until",
            "snooze_reason",
            "events",
        ]
        read_only_fields = fields

    def get_explanation(self, flag: RiskFlag) -> str:
        return word(flag.why)

    def get_resolved_comment(self, flag: RiskFlag) -> str:
        return word(flag.resolution)


class FlagCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(
        allow_blank=True, help_text=_("What you are doing about it / how it was dealt with.")
    )


class FlagSnoozeSerializer(serializers.Serializer):
    until = serializers.DateField(help_text=_("A day after today."))
    reason = serializers.CharField(allow_blank=True, help_text=_("Why the flag can wait."))


class RiskFlagFilter(filters.FilterSet):
    account = IdFilter(field_name="account_id")
    owner = IdFilter(field_name="account__owner_id")
    reason = filters.MultipleChoiceFilter(choices=RiskFlag.Reason.choices)
    status = filters.MultipleChoiceFilter(choices=RiskFlag.Status.choices)
    unresolved = filters.BooleanFilter(method="filter_unresolved")
    raised_after = DateTimeFilter(field_name="raised_at", lookup_expr="gte")

    class Meta:
        model = RiskFlag
        fields = ["account", "owner", "reason", "status", "unresolved", "raised_after"]

    def filter_unresolved(self, queryset, name, value):
        resolved = RiskFlag.Status.RESOLVED
        return queryset.exclude(status=resolved) if value else queryset.filter(status=resolved)


@extend_schema_view(
    list=extend_schema(summary="List the risk flags of accounts you may see"),
    retrieve=extend_schema(summary="Show a risk flag and its history"),
)
class RiskFlagViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Warnings about accounts: why (measured value, threshold, explanation), since when and
    what people did about them. Acknowledge, snooze or resolve one with a comment."""

    serializer_class = RiskFlagSerializer
    queryset = RiskFlag.objects.all()
    filterset_class = RiskFlagFilter
    ordering_fields = ["raised_at", "last_seen_on", "reason", "status"]
    ordering = ["-raised_at", "-pk"]
    write_actions = frozenset({"acknowledge", "resolve", "snooze"})

    def base_queryset(self):
        return RiskFlag.objects.select_related(
            "account", "acknowledged_by", "resolved_by"
        ).prefetch_related("events__by")

    def get_editable_object(self, pk):
        return flag_selectors.flag_for(self.request.user, pk, to_change=True)

    def _answer(self, flag):
        flag = get_object_or_404(self.base_queryset(), pk=flag.pk)
        return Response(RiskFlagSerializer(flag, context=self.get_serializer_context()).data)

    @extend_schema(
        request=FlagCommentSerializer,
        responses=RiskFlagSerializer,
        summary="Acknowledge a flag: you have seen it and are on it",
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        flag = self.get_object()
        data = self._valid(FlagCommentSerializer, request)
        return self._answer(flags.acknowledge_flag(flag=flag, by=request.user, **data))

    @extend_schema(
        request=FlagCommentSerializer,
        responses=RiskFlagSerializer,
        summary="Resolve a flag, saying how the risk was dealt with",
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        flag = self.get_object()
        data = self._valid(FlagCommentSerializer, request)
        return self._answer(flags.resolve_flag(flag=flag, by=request.user, **data))

    @extend_schema(
        request=FlagSnoozeSerializer,
        responses=RiskFlagSerializer,
        summary="Put a flag aside until a later day, with a reason",
    )
    @action(detail=True, methods=["post"])
    def snooze(self, request, pk=None):
        flag = self.get_object()
        data = self._valid(FlagSnoozeSerializer, request)
        return self._answer(flags.snooze_flag(flag=flag, by=request.user, **data))

    def _valid(self, serializer_class, request) -> dict:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


# --- retention figures --------------------------------------------------------------------


class RetentionFiguresSerializer(serializers.Serializer):
    """DESIGN.md's retention JSON, with the period and segment it is for."""

    start = serializers.DateField()
    end = serializers.DateField()
    segment = serializers.CharField(allow_null=True)
    start_customers = serializers.IntegerField()
    new_customers = serializers.IntegerField()
    end_customers = serializers.IntegerField()
    retention_rate = serializers.FloatField(allow_null=True)
    retained_customers = serializers.IntegerField()
    cohort_retention_rate = serializers.FloatField(allow_null=True)
    churned_customers = serializers.IntegerField()
    churn_rate = serializers.FloatField(allow_null=True)
    grr = serializers.FloatField(allow_null=True)
    nrr = serializers.FloatField(allow_null=True)


@extend_schema_field(OpenApiTypes.DATE)
class _PeriodDay(serializers.CharField):
    """A day of a period, read as text by ``read_period`` (as the report form and the CLI
    read it), so all three agree on what a date is and say so in the same words."""


class RetentionQuerySerializer(serializers.Serializer):
    """The query of ``GET /api/v1/retention/``: a period by its dates or by its name."""

    start = _PeriodDay(required=False, help_text=_("First day (YYYY-MM-DD)."))
    end = _PeriodDay(required=False, help_text=_("Last day (YYYY-MM-DD)."))
    # No length of its own: ``read_period`` answers any text, quoting back a shortened one.
    period = serializers.CharField(
        required=False,
        help_text=_("Instead of start and end: 2026 (a year), 2026-03 or 2026-Q1."),
    )
    segment = serializers.CharField(
        required=False, max_length=100, help_text=_("A segment's name or id; all when left out.")
    )

    def validate(self, attrs):
        # A Django ``ValidationError`` naming the fields: DRF answers it as the fields' errors.
        period = read_period(
            period=attrs.get("period"), start=attrs.get("start"), end=attrs.get("end")
        )
        attrs["start"], attrs["end"] = period.start, period.end
        segment = attrs.get("segment")
        if segment is not None and re.fullmatch(r"[0-9]{1,18}", segment):
            attrs["segment"] = int(segment)
        return attrs


class ReportReaders(permissions.IsAuthenticated):
    """The company's retention figures are for team leads and admins, as on the report page;
    anyone else is answered 404, as for anything out of scope."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if not scoping.can_manage(request.user):
            raise NotFound
        return True


class RetentionView(GenericAPIView):
    """Retention, churn and revenue retention for a period [start, end] (days inclusive),
    for all accounts or one segment. Rates are percent with two decimals, null where there
    were no customers at the start. For team leads and admins (404 for anyone else)."""

    permission_classes = [ReportReaders]

    serializer_class = RetentionFiguresSerializer
    queryset = Account.objects.none()
    pagination_class = None
    filter_backends = []

    @extend_schema(
        summary="Retention figures for a period and segment",
        parameters=[RetentionQuerySerializer],
        responses={200: RetentionFiguresSerializer},
    )
    def get(self, request):
        query = RetentionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        try:
            figures = retention_figures(
                start=params["start"], end=params["end"], segment=params.get("segment")
            )
        except RetentionError as error:
            raise serializers.ValidationError({"segment": [str(error)]}) from None
        data = {
            "start": figures.start,
            "end": figures.end,
            "segment": figures.segment,
            **figures.as_dict(),
        }
        return Response(self.get_serializer(data).data)
