"""The playbooks' REST API (``/api/v1/playbooks/``, ``/api/v1/playbook-runs/``,
``/api/v1/tasks/``): playbooks are read by anyone signed in; runs and their tasks are scoped
by account like everything else; a task is marked done or skipped (with a reason) through
the same services as the pages."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.api import IdFilter, ScopedViewSetMixin
from interactions.models import Feedback

from ..models import Playbook, PlaybookRun, PlaybookStep, RiskFlag, RunStep
from ..models.playbooks import step_open
from . import selectors, services
from .surveys import outcome_text


def survey_kind_field():
    return serializers.ChoiceField(
        choices=Feedback.Kind.choices,
        allow_blank=True,
        read_only=True,
        help_text=_("For a survey step: the survey it sends on its day (empty: none)."),
    )


class PlaybookStepSerializer(serializers.ModelSerializer):
    survey_kind = survey_kind_field()

    class Meta:
        model = PlaybookStep
        fields = ["position", "kind", "survey_kind", "title", "offset_days", "assignee"]
        read_only_fields = fields


class PlaybookSerializer(serializers.ModelSerializer):
    steps = PlaybookStepSerializer(many=True, read_only=True)
    flag_reason = serializers.ChoiceField(
        choices=RiskFlag.Reason.choices,
        allow_blank=True,
        read_only=True,
        help_text=_("For a raised flag: only flags of this reason (empty: any reason)."),
    )

    class Meta:
        model = Playbook
        fields = [
            "id",
            "name",
            "description",
            "trigger",
            "trigger_days",
            "cadence_multiple",
            "flag_reason",
            "segment",
            "is_active",
            "version",
            "steps",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="List the playbooks"),
    retrieve=extend_schema(summary="Show a playbook and its steps"),
)
class PlaybookViewSet(viewsets.ReadOnlyModelViewSet):
    """Named lists of steps started by a trigger (DESIGN.md "Playbooks"); edited in the admin."""

    serializer_class = PlaybookSerializer
    queryset = Playbook.objects.prefetch_related("steps").order_by("name")
    lookup_value_regex = "[0-9]+"


class TaskSerializer(serializers.ModelSerializer):
    account = serializers.IntegerField(source="run.account_id", read_only=True)
    playbook = serializers.CharField(source="run.playbook.name", read_only=True)
    title = serializers.CharField(source="follow_up.title", read_only=True)
    due_on = serializers.DateField(source="follow_up.due_on", read_only=True)
    owner = serializers.IntegerField(source="follow_up.owner_id", read_only=True)
    follow_up = serializers.IntegerField(source="follow_up_id", read_only=True)
    status = serializers.CharField(read_only=True, help_text=_("open, done or skipped"))
    survey_kind = survey_kind_field()
    outcome = serializers.JSONField(
        read_only=True,
        help_text=_(
            "What a survey step did on its day: queued (contacts asked), skipped (reason → "
            "count), nobody (accounts without a decision maker or champion)."
        ),
    )
    note = serializers.SerializerMethodField(help_text=_("The outcome in words."))

    class Meta:
        model = RunStep
        fields = [
            "id",
            "run",
            "account",
            "playbook",
            "position",
            "kind",
            "title",
            "due_on",
            "owner",
            "follow_up",
            "status",
            "skipped_at",
            "skip_reason",
            "survey_kind",
            "outcome",
            "note",
        ]
        read_only_fields = fields

    def get_note(self, step) -> str:
        return outcome_text(step)


class PlaybookRunSerializer(serializers.ModelSerializer):
    playbook_name = serializers.CharField(source="playbook.name", read_only=True)
    version_number = serializers.IntegerField(source="version.version", read_only=True)
    steps = TaskSerializer(many=True, read_only=True)

    class Meta:
        model = PlaybookRun
        fields = [
            "id",
            "account",
            "playbook",
            "playbook_name",
            "version_number",
            "occurrence",
            "trigger_day",
            "started_at",
            "status",
            "completed_at",
            "cancel_comment",
            "steps",
        ]
        read_only_fields = fields


class RunFilter(filters.FilterSet):
    account = IdFilter(field_name="account_id")
    playbook = IdFilter(field_name="playbook_id")
    status = filters.MultipleChoiceFilter(choices=PlaybookRun.Status.choices)

    class Meta:
        model = PlaybookRun
        fields = ["account", "playbook", "status"]


class CancelSerializer(serializers.Serializer):
    comment = serializers.CharField(allow_blank=True, help_text=_("Why the run is cancelled."))


@extend_schema_view(
    list=extend_schema(summary="List the playbook runs on accounts you may see"),
    retrieve=extend_schema(summary="Show a run with its tasks"),
)
class PlaybookRunViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = PlaybookRunSerializer
    queryset = PlaybookRun.objects.all()
    filterset_class = RunFilter
    ordering = ["-started_at", "-pk"]
    write_actions = frozenset({"cancel"})

    def base_queryset(self):
        steps = RunStep.objects.select_related("follow_up", "run__playbook").order_by("position")
        return PlaybookRun.objects.select_related("playbook", "version").prefetch_related(
            Prefetch("steps", queryset=steps)
        )

    def get_editable_object(self, pk):
        return selectors.editable_run_for(self.request.user, pk)

    @extend_schema(
        request=CancelSerializer, responses=PlaybookRunSerializer, summary="Cancel a run"
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        run = self.get_object()
        data = CancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.cancel_run(run=run, comment=data.validated_data["comment"])
        return Response(PlaybookRunSerializer(self.base_queryset().get(pk=run.pk)).data)


class TaskFilter(filters.FilterSet):
    account = IdFilter(field_name="run__account_id")
    due_before = filters.DateFilter(field_name="follow_up__due_on", lookup_expr="lt")
    open = filters.BooleanFilter(method="filter_open")

    class Meta:
        model = RunStep
        fields = ["account", "due_before", "open"]

    def filter_open(self, queryset, name, value):
        return queryset.filter(step_open()) if value else queryset.exclude(step_open())


class SkipSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, help_text=_("Why the step is skipped."))


@extend_schema_view(
    list=extend_schema(summary="List the playbook tasks on accounts you may see"),
    retrieve=extend_schema(summary="Show a playbook task"),
)
class TaskViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The steps of runs: each is a follow-up on the CSM's list. Mark one done, or skip it
    with a reason."""

    serializer_class = TaskSerializer
    queryset = RunStep.objects.all()
    filterset_class = TaskFilter
    scope_via = "run__account"
    ordering = ["follow_up__due_on", "pk"]
    write_actions = frozenset({"done", "skip"})

    def base_queryset(self):
        return RunStep.objects.select_related("follow_up", "run__playbook")

    def get_editable_object(self, pk):
        return selectors.editable_step_for(self.request.user, pk)

    def _answer(self, step):
        return Response(TaskSerializer(self.base_queryset().get(pk=step.pk)).data)

    @extend_schema(request=None, responses=TaskSerializer, summary="Mark a task done")
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        return self._answer(services.complete_step(step=self.get_object()))

    @extend_schema(request=SkipSerializer, responses=TaskSerializer, summary="Skip a task")
    @action(detail=True, methods=["post"])
    def skip(self, request, pk=None):
        step = self.get_object()
        data = SkipSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(services.skip_step(step=step, reason=data.validated_data["reason"]))
