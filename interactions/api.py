"""The REST API of the documented relationship: interactions, follow-ups, open problems and
feedback (``/api/v1/``).

Reads are scoped through ``crm.scoping``; writes look their object up with this app's
selectors (which know, e.g., that an interaction's author may edit it) and call
``interactions.services``.
"""

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.api import (
    DateTimeFilter,
    IdFilter,
    ScopedRelatedField,
    ScopedUserField,
    ScopedViewSetMixin,
)
from customers.models import Account, Contact

from . import selectors, services
from .feedback import CATEGORIES
from .models import Feedback, FollowUp, Interaction, OpenProblem, Tone

# --- interactions -------------------------------------------------------------------------


class InteractionSerializer(serializers.ModelSerializer):
    account = ScopedRelatedField(queryset=Account.objects.all(), scope="editable")
    account_name = serializers.CharField(source="account.name", read_only=True)
    author = serializers.PrimaryKeyRelatedField(read_only=True)
    author_name = serializers.StringRelatedField(source="author", read_only=True)
    contacts = ScopedRelatedField(
        queryset=Contact.objects.all(), scope="visible", via="account", many=True, required=False
    )
    tone = serializers.ChoiceField(choices=Tone.choices, required=False, allow_blank=True)
    # The field's name until the tone was called so (it collided with the CSM's green / amber /
    # red sentiment readings); kept so existing clients keep working.
    sentiment = serializers.ChoiceField(
        source="tone",
        choices=Tone.choices,
        required=False,
        allow_blank=True,
        help_text=_("Deprecated: the same as tone."),
    )
    follow_up_title = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=200,
        help_text=_("When logging: what we promised (defaults to the first line of next steps)."),
    )
    follow_up_due = serializers.DateField(
        write_only=True,
        required=False,
        allow_null=True,
        help_text=_("When logging: promise a follow-up due on this day."),
    )

    class Meta:
        model = Interaction
        fields = [
            "id",
            "account",
            "account_name",
            "kind",
            "occurred_at",
            "author",
            "author_name",
            "contacts",
            "summary",
            "notes",
            "tone",
            "sentiment",
            "next_steps",
            "follow_up_title",
            "follow_up_due",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"occurred_at": {"required": False}}

    def validate_account(self, account):
        if self.instance is not None and account.pk != self.instance.account_id:
            raise serializers.ValidationError(_("An interaction stays with its account."))
        return account


class InteractionFilter(filters.FilterSet):
    account = IdFilter(field_name="account_id")
    author = IdFilter(field_name="author_id")
    kind = filters.MultipleChoiceFilter(choices=Interaction.Kind.choices)
    occurred_after = DateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = DateTimeFilter(field_name="occurred_at", lookup_expr="lte")
    sentiment = filters.ChoiceFilter(
        field_name="tone", choices=Tone.choices, label=_("Deprecated: tone")
    )

    class Meta:
        model = Interaction
        fields = ["account", "author", "kind", "tone", "occurred_after", "occurred_before"]


@extend_schema_view(
    list=extend_schema(summary="List the interactions on accounts you may see"),
    retrieve=extend_schema(summary="Show an interaction"),
    create=extend_schema(summary="Log a meeting, call, email or note"),
    update=extend_schema(summary="Change a logged interaction"),
    partial_update=extend_schema(summary="Change some of a logged interaction"),
    destroy=extend_schema(summary="Delete an interaction (an admin can restore it)"),
)
class InteractionViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Meetings, calls, emails and notes. Logging a meeting or call moves the account's last
    contact; a delete is a soft delete."""

    serializer_class = InteractionSerializer
    queryset = Interaction.objects.all()
    filterset_class = InteractionFilter
    ordering_fields = ["occurred_at", "created_at", "updated_at"]
    ordering = ["-occurred_at", "-pk"]

    def base_queryset(self):
        return (
            Interaction.objects.alive()
            .select_related("account", "author")
            .prefetch_related("contacts")
        )

    def get_editable_object(self, pk):
        return selectors.editable_interaction_for(self.request.user, pk)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        if data.get("follow_up_due") is None:
            data.pop("follow_up_due", None)
        serializer.instance = services.log_interaction(author=self.request.user, **data)

    def perform_update(self, serializer):
        changes = dict(serializer.validated_data)
        changes.pop("account", None)
        for write_only in ("follow_up_title", "follow_up_due"):
            if changes.pop(write_only, None):
                raise serializers.ValidationError(
                    {write_only: _("Add a follow-up on its own (POST /api/v1/follow-ups/).")}
                )
        contacts = changes.pop("contacts", None)
        serializer.instance = services.update_interaction(
            interaction=serializer.instance, contacts=contacts, **changes
        )

    def perform_destroy(self, instance):
        services.delete_interaction(interaction=instance)


# --- follow-ups ---------------------------------------------------------------------------


class FollowUpSerializer(serializers.ModelSerializer):
    account = ScopedRelatedField(queryset=Account.objects.all(), scope="editable")
    account_name = serializers.CharField(source="account.name", read_only=True)
    interaction = ScopedRelatedField(
        queryset=Interaction.objects.alive(),
        scope="visible",
        via="account",
        required=False,
        allow_null=True,
    )
    owner = ScopedUserField(
        required=False,
        help_text=_("Who keeps the promise (defaults to you)."),
    )
    owner_name = serializers.StringRelatedField(source="owner", read_only=True)
    is_done = serializers.BooleanField(read_only=True)

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "account",
            "account_name",
            "interaction",
            "title",
            "due_on",
            "owner",
            "owner_name",
            "done_at",
            "is_done",
            "created_at",
        ]
        read_only_fields = ["done_at"]

    def validate_account(self, account):
        if self.instance is not None and account.pk != self.instance.account_id:
            raise serializers.ValidationError(_("A follow-up stays with its account."))
        return account


class FollowUpFilter(filters.FilterSet):
    account = IdFilter(field_name="account_id")
    owner = IdFilter(field_name="owner_id")
    done = filters.BooleanFilter(field_name="done_at", lookup_expr="isnull", exclude=True)
    due_before = filters.DateFilter(field_name="due_on", lookup_expr="lte")
    due_after = filters.DateFilter(field_name="due_on", lookup_expr="gte")

    class Meta:
        model = FollowUp
        fields = ["account", "owner", "done", "due_before", "due_after"]


@extend_schema_view(
    list=extend_schema(summary="List the follow-ups on accounts you may see"),
    retrieve=extend_schema(summary="Show a follow-up"),
    create=extend_schema(summary="Promise the customer something by a date"),
    update=extend_schema(summary="Change a follow-up"),
    partial_update=extend_schema(summary="Change some of a follow-up"),
)
class FollowUpViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """What we promised customers, by when and who keeps the promise."""

    serializer_class = FollowUpSerializer
    queryset = FollowUp.objects.all()
    filterset_class = FollowUpFilter
    ordering_fields = ["due_on", "created_at", "done_at"]
    ordering = ["due_on", "pk"]
    write_actions = ScopedViewSetMixin.write_actions | {"complete", "reopen"}

    def base_queryset(self):
        return FollowUp.objects.select_related("account", "owner")

    def get_editable_object(self, pk):
        return selectors.editable_follow_up_for(self.request.user, pk)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.setdefault("owner", self.request.user)
        serializer.instance = services.create_follow_up(**data)

    def perform_update(self, serializer):
        follow_up = serializer.instance
        data = serializer.validated_data
        serializer.instance = services.update_follow_up(
            follow_up=follow_up,
            title=data.get("title", follow_up.title),
            due_on=data.get("due_on", follow_up.due_on),
            owner=data.get("owner", follow_up.owner),
        )

    @extend_schema(request=None, responses=FollowUpSerializer, summary="Mark a follow-up done")
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        follow_up = services.complete_follow_up(follow_up=self.get_object())
        return Response(self.get_serializer(follow_up).data)

    @extend_schema(request=None, responses=FollowUpSerializer, summary="Open a follow-up again")
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        follow_up = services.reopen_follow_up(follow_up=self.get_object())
        return Response(self.get_serializer(follow_up).data)


# --- open problems ------------------------------------------------------------------------


class OpenProblemSerializer(serializers.ModelSerializer):
    account = ScopedRelatedField(queryset=Account.objects.all(), scope="editable")
    account_name = serializers.CharField(source="account.name", read_only=True)
    opened_by = serializers.PrimaryKeyRelatedField(read_only=True)
    opened_by_name = serializers.StringRelatedField(
        source="opened_by", read_only=True, allow_null=True
    )
    resolution = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("How it was resolved: required when the status becomes resolved."),
    )

    class Meta:
        model = OpenProblem
        fields = [
            "id",
            "account",
            "account_name",
            "title",
            "description",
            "category",
            "severity",
            "status",
            "opened_at",
            "opened_by",
            "opened_by_name",
            "resolved_at",
            "resolution",
        ]
        read_only_fields = ["opened_at", "resolved_at"]

    def validate_account(self, account):
        if self.instance is not None and account.pk != self.instance.account_id:
            raise serializers.ValidationError(_("A problem stays with its account."))
        return account


class OpenProblemFilter(filters.FilterSet):
    account = IdFilter(field_name="account_id")
    status = filters.MultipleChoiceFilter(choices=OpenProblem.Status.choices)
    severity = filters.MultipleChoiceFilter(choices=OpenProblem.Severity.choices)
    unresolved = filters.BooleanFilter(method="filter_unresolved")

    class Meta:
        model = OpenProblem
        fields = ["account", "status", "severity", "category", "unresolved"]

    def filter_unresolved(self, queryset, name, value):
        resolved = OpenProblem.Status.RESOLVED
        return queryset.exclude(status=resolved) if value else queryset.filter(status=resolved)


@extend_schema_view(
    list=extend_schema(summary="List the problems on accounts you may see"),
    retrieve=extend_schema(summary="Show a problem"),
    create=extend_schema(summary="Record a complaint, escalation or blocker"),
    update=extend_schema(summary="Change a problem or move its status"),
    partial_update=extend_schema(summary="Change some of a problem or move its status"),
)
class OpenProblemViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Complaints, escalations and blockers, from open to resolved (a resolution is required
    to resolve one)."""

    serializer_class = OpenProblemSerializer
    queryset = OpenProblem.objects.all()
    filterset_class = OpenProblemFilter
    ordering_fields = ["opened_at", "severity", "resolved_at"]
    ordering = ["-opened_at", "-pk"]

    def base_queryset(self):
        return OpenProblem.objects.select_related("account", "opened_by")

    def get_editable_object(self, pk):
        return selectors.editable_problem_for(self.request.user, pk)

    def perform_create(self, serializer):
        serializer.instance = services.open_problem(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        problem, data = serializer.instance, serializer.validated_data
        fields = ("title", "severity", "category", "description", "status", "resolution")
        serializer.instance = services.edit_problem(
            problem=problem, **{f: data.get(f, getattr(problem, f)) for f in fields}
        )


# --- feedback -----------------------------------------------------------------------------


class FeedbackSerializer(serializers.ModelSerializer):
    account = ScopedRelatedField(queryset=Account.objects.all(), scope="editable")
    account_name = serializers.CharField(source="account.name", read_only=True)
    contact = ScopedRelatedField(
        queryset=Contact.objects.all(),
        scope="visible",
        via="account",
        required=False,
        allow_null=True,
    )
    author = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    author_name = serializers.StringRelatedField(source="author", read_only=True, allow_null=True)
    category = serializers.ChoiceField(
        choices=CATEGORIES,
        read_only=True,
        help_text=_(
            "By the thresholds of the active scoring configuration, as the health score "
            "(by default NPS 9–10 and CSAT 5 promoter, NPS 7–8 and CSAT 4 passive)."
        ),
    )

    class Meta:
        model = Feedback
        fields = [
            "id",
            "account",
            "account_name",
            "contact",
            "author",
            "author_name",
            "kind",
            "score",
            "category",
            "received_on",
            "comment",
            "created_at",
        ]
        extra_kwargs = {"score": {"help_text": _("NPS 0–10, CSAT 1–5.")}}

    def validate_account(self, account):
        if self.instance is not None and account.pk != self.instance.account_id:
            raise serializers.ValidationError(_("Feedback stays with its account."))
        return account


class FeedbackFilter(filters.FilterSet):
    account = IdFilter(field_name="account_id")
    received_after = filters.DateFilter(field_name="received_on", lookup_expr="gte")
    received_before = filters.DateFilter(field_name="received_on", lookup_expr="lte")

    class Meta:
        model = Feedback
        fields = ["account", "kind", "received_after", "received_before"]


@extend_schema_view(
    list=extend_schema(summary="List the feedback of accounts you may see"),
    retrieve=extend_schema(summary="Show a feedback answer"),
    create=extend_schema(summary="Record an NPS (0–10) or CSAT (1–5) answer"),
    update=extend_schema(summary="Correct a feedback answer"),
    partial_update=extend_schema(summary="Correct some of a feedback answer"),
)
class FeedbackViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """What customers told us in surveys."""

    serializer_class = FeedbackSerializer
    queryset = Feedback.objects.all()
    filterset_class = FeedbackFilter
    ordering_fields = ["received_on", "score", "created_at"]
    ordering = ["-received_on", "-pk"]

    def base_queryset(self):
        return Feedback.objects.with_category().select_related("account", "contact", "author")

    def get_editable_object(self, pk):
        return selectors.editable_feedback_for(self.request.user, pk)

    def perform_create(self, serializer):
        serializer.instance = services.record_feedback(**serializer.validated_data)

    def perform_update(self, serializer):
        feedback, data = serializer.instance, serializer.validated_data
        serializer.instance = services.update_feedback(
            feedback=feedback,
            kind=data.get("kind", feedback.kind),
            score=data.get("score", feedback.score),
            received_on=data.get("received_on", feedback.received_on),
            contact=data.get("contact", feedback.contact),
            comment=data.get("comment", feedback.comment),
        )
