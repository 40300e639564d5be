"""The survey API: ``POST /api/v1/surveys/`` sends, ``GET /api/v1/surveys/`` lists the sends,
``GET /api/v1/survey-responses/`` lists the answers. Scoped like everything else."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from crm.api import IdFilter, ScopedRelatedField, ScopedViewSetMixin
from customers.models import Account, Contact

from ..models import Feedback, SurveySend
from . import services


class SurveySendSerializer(serializers.ModelSerializer):
    contact_name = serializers.CharField(source="contact.name", read_only=True)
    answered = serializers.SerializerMethodField()

    class Meta:
        model = SurveySend
        fields = [
            "id",
            "account",
            "contact",
            "contact_name",
            "kind",
            "status",
            "queued_at",
            "sent_at",
            "expires_at",
            "answered",
        ]
        read_only_fields = fields

    def get_answered(self, send) -> bool:
        return send.answered_at is not None


class SendRequestSerializer(serializers.Serializer):
    account = ScopedRelatedField(queryset=Account.objects.all(), scope="editable")
    contacts = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=1000
    )
    kind = serializers.ChoiceField(choices=Feedback.Kind.choices)


class SkippedSerializer(serializers.Serializer):
    contact = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=list(services.REASONS))


class SurveyResponseSerializer(serializers.ModelSerializer):
    contact_name = serializers.CharField(source="contact.name", read_only=True)
    survey = serializers.IntegerField(source="pk", read_only=True)

    class Meta:
        model = SurveySend
        fields = [
            "survey",
            "account",
            "contact",
            "contact_name",
            "kind",
            "score",
            "comment",
            "answered_at",
            "feedback",
        ]
        read_only_fields = fields


class SurveyFilter(filters.FilterSet):
    account = IdFilter(field_name="account_id")

    class Meta:
        model = SurveySend
        fields = ["account", "kind"]


@extend_schema_view(
    list=extend_schema(summary="List the surveys sent to accounts you may see"),
    create=extend_schema(
        summary="Send an NPS or CSAT survey to contacts of an account",
        request=SendRequestSerializer,
        responses={
            201: inline_serializer(
                "SurveySendResult",
                {
                    "sends": SurveySendSerializer(many=True),
                    "skipped": SkippedSerializer(many=True),
                },
            )
        },
    ),
)
class SurveyViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    """Surveys sent: contacts without email, who left, unsubscribed or were asked within the
    last 90 days are skipped, with the reason."""

    serializer_class = SurveySendSerializer
    queryset = SurveySend.objects.all()
    filterset_class = SurveyFilter
    ordering = ["-queued_at", "-pk"]

    def base_queryset(self):
        return SurveySend.objects.select_related("contact")

    def create(self, request, *args, **kwargs):
        data = SendRequestSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        account = data.validated_data["account"]
        ids = data.validated_data["contacts"]
        contacts = list(Contact.objects.filter(account=account, pk__in=ids))
        if unknown := sorted(set(ids) - {c.pk for c in contacts}):
            raise ValidationError(
                {"contacts": [_("Not contacts of this account: %(ids)s") % {"ids": unknown}]}
            )
        try:
            result = services.send_surveys(
                account=account,
                contacts=contacts,
                kind=data.validated_data["kind"],
                sender=request.user,
            )
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        body = {
            "sends": SurveySendSerializer(
                self.base_queryset().filter(pk__in=result.queued_ids), many=True
            ).data,
            "skipped": [{"contact": c, "reason": r} for c, r in result.skipped.items()],
        }
        return Response(body, status=status.HTTP_201_CREATED)


class ResponseFilter(filters.FilterSet):
    account = IdFilter(field_name="account_id")

    class Meta:
        model = SurveySend
        fields = ["account", "kind"]


@extend_schema_view(list=extend_schema(summary="List the answers to surveys"))
class SurveyResponseViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The answers given through survey links (each is also a feedback row)."""

    serializer_class = SurveyResponseSerializer
    queryset = SurveySend.objects.filter(answered_at__isnull=False)
    filterset_class = ResponseFilter
    ordering = ["-answered_at", "-pk"]

    def base_queryset(self):
        return SurveySend.objects.filter(answered_at__isnull=False).select_related("contact")
