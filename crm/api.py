"""What every app's API shares: pagination, the token-client throttle, the viewset mixin that
scopes every queryset through ``crm.scoping``, and the error handler that turns a service's
``ValidationError`` into a 400 naming the field.

This module imports no app above ``crm``: the apps' ``api.py`` modules build on it, and
``retention.api_urls`` puts their viewsets together under ``/api/v1/``.
"""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field
from rest_framework import pagination, permissions, serializers
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from . import scoping
from .db import MAX_ID

# --- pagination ---------------------------------------------------------------------------


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=N`` with 50 rows a page by default; ``?page_size=`` up to 200."""

    page_size_query_param = "page_size"

    @property
    def page_size(self) -> int:
        return settings.API_PAGE_SIZE

    @property
    def max_page_size(self) -> int:
        return settings.API_MAX_PAGE_SIZE


# --- throttling ---------------------------------------------------------------------------


class TokenClientThrottle(UserRateThrottle):
    """Rate-limits requests authenticated by an API token, per user (``API_TOKEN_RATE``,
    e.g. ``1000/hour``): the other tools' scripts."""

    scope = "token"
    authenticator = TokenAuthentication

    def get_rate(self) -> str | None:
        # Read the rate on each request, not once at import, so a settings change applies.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view) -> bool:
        if not isinstance(request.successful_authenticator, self.authenticator):
            return True
        return super().allow_request(request, view)


class SessionClientThrottle(TokenClientThrottle):
    """Rate-limits API requests of people signed in through the browser (session), per user
    (``API_SESSION_RATE``): a page's script or a signed-in tab cannot loop on the API
    unbounded. Counted apart from the user's token requests."""

    scope = "session"
    authenticator = SessionAuthentication


class TokenObtainThrottle(AnonRateThrottle):
    """Slows down password guessing on the endpoint that hands out tokens (per IP)."""

    scope = "token_obtain"

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


# --- errors -------------------------------------------------------------------------------


def _as_field_errors(error: DjangoValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
            for field, messages in error.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: error.messages}


def exception_handler(exc, context):
    """DRF's handler, plus: a Django ``ValidationError`` raised by a service (or a model's
    ``full_clean``) answers 400 with the fields it names, like a serializer's errors."""
    # Imported here: DRF's views read the throttle and pagination classes of this module
    # from the settings when they are first imported.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, DjangoValidationError):
        exc = serializers.ValidationError(_as_field_errors(exc))
    return drf_exception_handler(exc, context)


# --- filtering ----------------------------------------------------------------------------


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(filters.NumberFilter):
    """A row id in a query (``?account=12``): a whole number from 1, so ``1.5`` or an id past
    what the database can hold is a 400 naming the parameter, not a guess or an error."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class _LocalDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return value
        try:
            # In the server's zone: the database then never sees an offset it cannot hold
            # (PostgreSQL stops at ±15:59) and a year 1 that turns into year 0 is refused here.
            return timezone.localtime(value)
        except (OverflowError, ValueError):
            raise forms.ValidationError(
                _("The date and time is out of range."), code="invalid"
            ) from None


class DateTimeFilter(filters.IsoDateTimeFilter):
    """An ISO 8601 date and time in a query (``?occurred_after=2026-01-31T09:00:00+01:00``)."""

    field_class = _LocalDateTimeField


# --- scoping ------------------------------------------------------------------------------


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key that must name a row the requesting user may see (``scope="visible"``)
    or change (``scope="editable"``), through ``crm.scoping``; any other id is answered like
    one that does not exist, so nothing leaks."""

    def __init__(self, *, scope: str = "editable", via: str = "", **kwargs):
        if scope not in {"visible", "editable"}:
            raise ValueError(f"Unknown scope {scope!r}")
        self.scope, self.via = scope, via
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset()
        request = self.context.get("request")
        if request is None:
            return queryset.none()
        narrow = scoping.visible if self.scope == "visible" else scoping.editable
        return narrow(request.user, queryset, via=self.via)


class ScopedUserField(serializers.PrimaryKeyRelatedField):
    """An active person the requesting user may name (``crm.scoping.visible_people``): the
    browsable API offers only them, and anyone else answers as an id no one has, in the same
    words, so the staff list does not leak."""

    default_error_messages = {
        "does_not_exist": _("Not a user you can assign."),
        "incorrect_type": _("Not a user you can assign."),
    }

    def get_queryset(self) -> QuerySet:
        request = self.context.get("request")
        users = get_user_model().objects.filter(is_active=True)
        if request is None:
            return users.none()
        return scoping.visible_people(request.user, users)

    def to_internal_value(self, data):
        # An id past what the database holds is no one's (not an overflow in the query).
        if isinstance(data, int | str) and str(data).isdigit() and not 1 <= int(data) <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class ScopedViewSetMixin:
    """Every queryset through ``crm.scoping``: reads see ``visible`` rows, writes (the actions
    in ``write_actions``) find their object among the ``editable`` ones. Anything out of scope
    answers 404, never 403, as the pages do.

    A viewset sets ``scope_via`` (the lookup path from its model to the account; ``""`` for
    accounts) and ``base_queryset()`` (with its ``select_related``); it may override
    ``get_editable_object`` to use its app's selector (e.g. an interaction's author may edit
    it on an account they can only read)."""

    scope_via: str = "account"
    lookup_value_regex = "[0-9]+"
    write_actions: frozenset[str] = frozenset({"update", "partial_update", "destroy"})

    def base_queryset(self) -> QuerySet:
        return self.queryset.all()

    def get_queryset(self) -> QuerySet:
        return scoping.visible(self.request.user, self.base_queryset(), via=self.scope_via)

    def get_editable_object(self, pk):
        queryset = scoping.editable(self.request.user, self.base_queryset(), via=self.scope_via)
        return get_object_or_404(queryset, pk=pk)

    def get_object(self):
        if self.action not in self.write_actions:
            return super().get_object()
        lookup = self.lookup_url_kwarg or self.lookup_field
        try:
            obj = self.get_editable_object(self.kwargs[lookup])
        except (TypeError, ValueError, DjangoValidationError):
            raise Http404 from None
        self.check_object_permissions(self.request, obj)
        return obj


class AdminWritesOnly(permissions.BasePermission):
    """Reading is for anyone signed in (the queryset is scoped); writing is for admins, as
    DESIGN.md gives accounts and contracts to the admin."""

    message = _("Only an admin can change this.")

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return bool(request.user.is_authenticated and request.user.is_admin_role)
