"""The REST API of accounts, contacts, contracts and segments (``/api/v1/``).

Reads are scoped through ``crm.scoping``; writes call ``customers.services``. Accounts and
contracts are changed by admins (DESIGN.md gives them to the admin); contacts by whoever may
change the account, as on the pages.
"""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets

from crm.api import (
    AdminWritesOnly,
    DateTimeFilter,
    IdFilter,
    ScopedRelatedField,
    ScopedUserField,
    ScopedViewSetMixin,
)
from crm.models import Team

from . import selectors, services
from .models import Account, Contact, Contract, Segment, account_status, no_contact_since

# --- segments -----------------------------------------------------------------------------


class SegmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Segment
        fields = ["id", "name", "expected_cadence_days", "benchmark_retention_rate"]


@extend_schema_view(
    list=extend_schema(summary="List the segments"),
    retrieve=extend_schema(summary="Show a segment"),
)
class SegmentViewSet(viewsets.ReadOnlyModelViewSet):
    """The segments of the book (not scoped: every account names one of them)."""

    serializer_class = SegmentSerializer
    lookup_value_regex = "[0-9]+"
    queryset = Segment.objects.all()
    ordering_fields = ["name", "expected_cadence_days"]
    ordering = ["name"]
    filterset_fields = ["name"]


# --- accounts -----------------------------------------------------------------------------


class AccountSerializer(serializers.ModelSerializer):
    segment = serializers.PrimaryKeyRelatedField(
        queryset=Segment.objects.all(), required=False, allow_null=True
    )
    segment_name = serializers.CharField(
        source="segment.name", read_only=True, default=None, allow_null=True
    )
    owner = ScopedUserField(required=False, allow_null=True)
    owner_name = serializers.StringRelatedField(source="owner", read_only=True, allow_null=True)
    # The field's name until it was called what it means; kept so existing clients keep working.
    last_interaction_at = serializers.DateTimeField(
        source="last_meeting_or_call_at",
        read_only=True,
        allow_null=True,
        help_text=_("Deprecated: the same as last_meeting_or_call_at."),
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    team_name = serializers.CharField(
        source="team.name", read_only=True, default=None, allow_null=True
    )
    is_customer = serializers.BooleanField(read_only=True)

    class Meta:
        model = Account
        fields = [
            "id",
            "name",
            "external_id",
            "segment",
            "segment_name",
            "industry",
            "employees",
            "budget_band",
            "owner",
            "owner_name",
            "team",
            "team_name",
            "is_customer",
            "customer_since",
            "churned_on",
            "mrr",
            "next_renewal_on",
            "last_meeting_or_call_at",
            "last_interaction_at",
            "created_at",
            "updated_at",
        ]
        # Uniqueness is the service's to check (it names the field); the serializer's
        # validator would only run the same query twice.
        extra_kwargs = {"name": {"validators": []}, "external_id": {"validators": []}}


class AccountFilter(filters.FilterSet):
    STATUS_CHOICES = (
        ("customer", _("Customer")),
        ("churned", _("Former customer")),
        ("prospect", _("Never a customer")),
    )

    q = filters.CharFilter(method="filter_q", label=_("Name contains, or external ID is"))
    segment = IdFilter(field_name="segment_id")
    segment_name = filters.CharFilter(field_name="segment__name", lookup_expr="iexact")
    owner = IdFilter(field_name="owner_id")
    team = IdFilter(field_name="team_id")
    status = filters.ChoiceFilter(choices=STATUS_CHOICES, method="filter_status")
    renewal_before = filters.DateFilter(field_name="next_renewal_on", lookup_expr="lte")
    no_contact_since = DateTimeFilter(method="filter_no_contact_since")

    class Meta:
        model = Account
        fields = ["q", "segment", "segment_name", "owner", "team", "status", "renewal_before"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(external_id__iexact=value))

    def filter_status(self, queryset, name, value):
        return queryset.filter(account_status(value))

    def filter_no_contact_since(self, queryset, name, value):
        return queryset.filter(no_contact_since(value))


@extend_schema_view(
    list=extend_schema(summary="List the accounts you may see"),
    retrieve=extend_schema(summary="Show an account"),
    create=extend_schema(summary="Create an account (admins)"),
)
class AccountViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Customer companies. An owner change is a handover (the pages), not an edit here."""

    serializer_class = AccountSerializer
    permission_classes = [permissions.IsAuthenticated, AdminWritesOnly]
    queryset = Account.objects.all()
    scope_via = ""
    filterset_class = AccountFilter
    ordering_fields = [
        "name",
        "mrr",
        "next_renewal_on",
        "last_meeting_or_call_at",
        "customer_since",
        "created_at",
    ]
    ordering = ["name"]

    def base_queryset(self):
        return Account.objects.select_related("owner", "segment", "team")

    def perform_create(self, serializer):
        serializer.instance = services.create_account(**serializer.validated_data)


# --- contacts -----------------------------------------------------------------------------


class ContactSerializer(serializers.ModelSerializer):
    account = ScopedRelatedField(queryset=Account.objects.all(), scope="editable")
    account_name = serializers.CharField(source="account.name", read_only=True)
    is_active = serializers.BooleanField(read_only=True)
    preferred_channel = serializers.ChoiceField(
        choices=Contact.Channel.choices, required=False, allow_blank=True
    )

    class Meta:
        model = Contact
        fields = [
            "id",
            "account",
            "account_name",
            "name",
            "email",
            "phone",
            "title",
            "is_decision_maker",
            "is_champion",
            "preferred_channel",
            "preferences",
            "left_on",
            "is_active",
            "created_at",
            "updated_at",
        ]
        validators = []  # the (account, email) constraint is checked by the model's full_clean

    def validate_account(self, account):
        if self.instance is not None and account.pk != self.instance.account_id:
            raise serializers.ValidationError(_("A contact stays with its account."))
        return account


class ContactFilter(filters.FilterSet):
    account = IdFilter(field_name="account_id")
    active = filters.BooleanFilter(field_name="left_on", lookup_expr="isnull")
    q = filters.CharFilter(method="filter_q", label=_("Name or email contains"))

    class Meta:
        model = Contact
        fields = ["account", "is_champion", "is_decision_maker", "active", "q"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(email__icontains=value))


@extend_schema_view(
    list=extend_schema(summary="List the contacts of accounts you may see"),
    retrieve=extend_schema(summary="Show a contact"),
    create=extend_schema(summary="Add a contact to an account you may change"),
    update=extend_schema(summary="Change a contact"),
    partial_update=extend_schema(summary="Change some of a contact's details"),
)
class ContactViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """People at the customer, their roles for us and what they prefer."""

    serializer_class = ContactSerializer
    queryset = Contact.objects.all()
    filterset_class = ContactFilter
    ordering_fields = ["name", "created_at", "updated_at"]
    ordering = ["name", "pk"]

    def base_queryset(self):
        return Contact.objects.select_related("account")

    def get_editable_object(self, pk):
        return selectors.editable_contact_for(self.request.user, pk)

    def perform_create(self, serializer):
        serializer.instance = services.create_contact(**serializer.validated_data)

    def perform_update(self, serializer):
        changes = dict(serializer.validated_data)
        changes.pop("account", None)
        serializer.instance = services.update_contact(contact=serializer.instance, **changes)


# --- contracts ----------------------------------------------------------------------------


class ContractSerializer(serializers.ModelSerializer):
    account = ScopedRelatedField(queryset=Account.objects.all(), scope="editable")
    account_name = serializers.CharField(source="account.name", read_only=True)
    # Declared, so DRF does not copy the model's ``MinValueValidator`` with words of its own:
    # the service refuses a negative value, as it does for the admin and the import.
    monthly_value = serializers.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        model = Contract
        fields = ["id", *services.CONTRACT_FIELDS, "account_name", "created_at", "updated_at"]
        # The terms (a value ≥ 0, days in order, a unique reference) are checked by the
        # services.
        extra_kwargs = {"reference": {"validators": []}}


class ContractFilter(filters.FilterSet):
    account = IdFilter(field_name="account_id")
    active_on = filters.DateFilter(method="filter_active_on", label=_("Counts on this day"))
    ends_before = filters.DateFilter(field_name="end_date", lookup_expr="lte")
    ends_after = filters.DateFilter(field_name="end_date", lookup_expr="gte")

    class Meta:
        model = Contract
        fields = ["account", "reference", "renewal_confirmed", "active_on"]

    def filter_active_on(self, queryset, name, day):
        return queryset.active_on(day)


@extend_schema_view(
    list=extend_schema(summary="List the contracts of accounts you may see"),
    retrieve=extend_schema(summary="Show a contract"),
    create=extend_schema(summary="Add a contract to the ledger (admins)"),
    update=extend_schema(summary="Change a contract's terms (admins)"),
    partial_update=extend_schema(summary="Change some of a contract's terms (admins)"),
)
class ContractViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The ledger of being a customer. A change refreshes the account's derived status."""

    serializer_class = ContractSerializer
    permission_classes = [permissions.IsAuthenticated, AdminWritesOnly]
    queryset = Contract.objects.all()
    filterset_class = ContractFilter
    ordering_fields = ["start_date", "end_date", "monthly_value", "reference", "created_at"]
    ordering = ["-start_date", "reference"]

    def base_queryset(self):
        return Contract.objects.select_related("account")

    def perform_create(self, serializer):
        serializer.instance = services.create_contract(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_contract(
            contract=serializer.instance, **serializer.validated_data
        )
