"""Accounts (the customer companies), contacts, contracts, ownership and churn.

Contracts are the source of truth for being a customer (DESIGN.md "The ledger"). The account's
status fields and ``CustomerSpan`` rows are derived from them by ``customers.services`` and are
never typed in.
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm.db import AddDays, ChoiceLabels
from crm.links import id_url

from . import ledger


class Segment(models.Model):
    """A slice of the book of business (SMB, mid-market, enterprise...)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    expected_cadence_days = models.PositiveSmallIntegerField(
        _("expected contact cadence (days)"),
        default=30,
        validators=[MinValueValidator(1)],
        help_text=_("How often a meeting or call is expected with an account of this segment."),
    )
    benchmark_retention_rate = models.DecimalField(
        _("industry benchmark retention rate (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        constraints = [
            models.CheckConstraint(
                condition=Q(expected_cadence_days__gte=1), name="segment_cadence_positive"
            ),
            models.CheckConstraint(
                condition=Q(benchmark_retention_rate__isnull=True)
                | Q(benchmark_retention_rate__gte=0, benchmark_retention_rate__lte=100),
                name="segment_benchmark_is_percent",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BudgetBand(models.TextChoices):
    UNDER_10K = "lt10k", _("under 10k")
    FROM_10K = "10k-50k", _("10k–50k")
    FROM_50K = "50k-250k", _("50k–250k")
    FROM_250K = "250k-1m", _("250k–1M")
    OVER_1M = "gt1m", _("over 1M")


class Account(models.Model):
    """A customer company (or a prospect or former customer: the contracts decide)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    external_id = models.CharField(
        _("external ID"),
        max_length=100,
        null=True,
        blank=True,
        unique=True,
        help_text=_("The account's key in the billing or ERP system, used by imports."),
    )
    segment = models.ForeignKey(
        Segment,
        verbose_name=_("segment"),
        related_name="accounts",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    budget_band = models.CharField(
        _("annual budget band"), max_length=10, choices=BudgetBand.choices, blank=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        related_name="owned_accounts",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    team = models.ForeignKey(
        "crm.Team",
        verbose_name=_("team"),
        related_name="accounts",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # Derived from the ledger and the interactions; maintained by services, rebuilt by
    # ``manage.py rebuild_derived``. Never edited by hand.
    last_meeting_or_call_at = models.DateTimeField(
        _("last meeting or call"), null=True, blank=True, editable=False
    )
    customer_since = models.DateField(_("customer since"), null=True, blank=True, editable=False)
    churned_on = models.DateField(_("churned on"), null=True, blank=True, editable=False)
    mrr = models.DecimalField(
        _("MRR"), max_digits=12, decimal_places=2, default=Decimal("0"), editable=False
    )
    next_renewal_on = models.DateField(_("next renewal"), null=True, blank=True, editable=False)
    derived_on = models.DateField(
        _("derived fields computed on"), null=True, blank=True, editable=False
    )

    # Derived fields are recomputed, not edited: keeping them out of the history keeps it to
    # what people changed.
    history = HistoricalRecords(
        excluded_fields=[
            "updated_at",
            "last_meeting_or_call_at",
            "customer_since",
            "churned_on",
            "mrr",
            "next_renewal_on",
            "derived_on",
        ]
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        indexes = [
            models.Index(fields=["owner", "name"], name="account_owner_name_idx"),
            models.Index(fields=["team", "name"], name="account_team_name_idx"),
            models.Index(fields=["last_meeting_or_call_at"], name="account_last_touch_idx"),
            models.Index(fields=["next_renewal_on"], name="account_next_renewal_idx"),
            models.Index(fields=["customer_since"], name="account_customer_since_idx"),
            models.Index(fields=["churned_on"], name="account_churned_on_idx"),
            models.Index(fields=["mrr"], name="account_mrr_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(mrr__gte=0), name="account_mrr_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return id_url("customers:account_detail", self.pk)

    @property
    def is_customer(self) -> bool:
        """Whether the account was a customer when its derived fields were last computed."""
        return self.customer_since is not None

    def mark_contacted(self, at: dt.datetime) -> bool:
        """Move ``last_meeting_or_call_at`` forward to ``at`` (never backwards). Writes the row;
        returns whether it changed."""
        if self.last_meeting_or_call_at is not None and self.last_meeting_or_call_at >= at:
            return False
        self.last_meeting_or_call_at = at
        # A queryset update: a derived field moving is not an edit for the audit history.
        type(self).objects.filter(pk=self.pk).update(last_meeting_or_call_at=at)
        return True


class Contact(ChoiceLabels, models.Model):
    """A person at the customer, with their role for us and what they prefer."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        VIDEO = "video", _("Video call")
        IN_PERSON = "in_person", _("In person")
        CHAT = "chat", _("Chat")

    account = models.ForeignKey(
        Account, verbose_name=_("account"), related_name="contacts", on_delete=models.CASCADE
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    title = models.CharField(_("job title"), max_length=200, blank=True)
    is_decision_maker = models.BooleanField(_("decision maker"), default=False)
    is_champion = models.BooleanField(_("champion"), default=False)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=20, choices=Channel.choices, blank=True
    )
    preferences = models.TextField(
        _("personal preferences"),
        blank=True,
        help_text=_(
            "How they like to work with us: times, tone, topics to avoid, family, hobbies."
        ),
    )
    left_on = models.DateField(
        _("left the company on"),
        null=True,
        blank=True,
        help_text=_("Set when the person leaves; a champion leaving is a risk."),
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Of the emails we send them (surveys). Empty: the installation's language."),
    )
    surveys_unsubscribed_at = models.DateTimeField(
        _("unsubscribed from surveys"),
        null=True,
        blank=True,
        help_text=_("Set when the person followed the unsubscribe link of a survey email."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["account", "name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [models.Index(fields=["account", "name"], name="contact_account_name_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "email"],
                condition=~Q(email=""),
                name="contact_email_unique_per_account",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.account})"

    def get_absolute_url(self) -> str:
        return id_url("customers:contact_detail", self.pk)

    @property
    def is_active(self) -> bool:
        return self.left_on is None


# --- an account's status and its last touch, in SQL, by its derived fields (``Account.is_customer``
# is the pure twin of "customer"). The API's and the admin's filters and the pages call these.

ACCOUNT_STATUSES = ("customer", "churned", "prospect")


def account_status(status: str) -> Q:
    """Accounts that are customers (today), churned (were customers, are not now) or
    prospects (never were), as of their derived fields."""
    return {
        "customer": Q(customer_since__isnull=False),
        "churned": Q(customer_since__isnull=True, churned_on__isnull=False),
        "prospect": Q(customer_since__isnull=True, churned_on__isnull=True),
    }[status]


def no_contact_since(moment: dt.datetime) -> Q:
    """Accounts with no meeting or call since ``moment`` (or none ever)."""
    return Q(last_meeting_or_call_at__isnull=True) | Q(last_meeting_or_call_at__lt=moment)


# --- the ledger's two rules about a day, in SQL (their pure twins are in ``customers.ledger``).
# Every filter, aggregate and join that asks them calls these; ``prefix`` reaches the rows
# through a relation (``"spans__"``, ``"contracts__"``).


def contract_active_on(day: dt.date, prefix: str = "") -> Q:
    """Contracts active on ``day``: ``start_date <= day``, no end date or ``day <= end_date``,
    and no cancellation or ``day < cancelled_on`` (``ledger.is_active_on``)."""
    return (
        Q(**{f"{prefix}start_date__lte": day})
        & (Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": day}))
        & (Q(**{f"{prefix}cancelled_on__isnull": True}) | Q(**{f"{prefix}cancelled_on__gt": day}))
    )


def span_covers(day: dt.date, prefix: str = "") -> Q:
    """Spans (customer or MRR spans) that hold ``day``: ``start_date <= day`` and no end date
    or ``day <= end_date`` (``ledger.covers``)."""
    return Q(**{f"{prefix}start_date__lte": day}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": day})
    )


class ContractQuerySet(models.QuerySet):
    def active_on(self, day: dt.date) -> "ContractQuerySet":
        """The contracts that count on ``day``."""
        return self.filter(contract_active_on(day))


class SpanQuerySet(models.QuerySet):
    def covering(self, day: dt.date) -> "SpanQuerySet":
        """The spans that hold ``day`` (at most one per account)."""
        return self.filter(span_covers(day))


class Contract(models.Model):
    """A subscription. The account is a customer on day d when one of its contracts has
    start_date <= d, (no end_date or d <= end_date) and (no cancelled_on or d < cancelled_on)."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), related_name="contracts", on_delete=models.PROTECT
    )
    reference = models.CharField(_("reference"), max_length=100, unique=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    cancelled_on = models.DateField(
        _("cancelled on"),
        null=True,
        blank=True,
        help_text=_("First day on which the contract no longer counts."),
    )
    notice_period_days = models.PositiveSmallIntegerField(
        _("notice period (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_(
            "Notice must be given this many days before the end date, or the contract renews. "
            "Empty: none agreed."
        ),
    )
    notice_given_on = models.DateField(_("notice given on"), null=True, blank=True)
    renewal_confirmed = models.BooleanField(_("renewal confirmed"), default=False)
    monthly_value = models.DecimalField(
        _("monthly value"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ContractQuerySet.as_manager()

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["account", "-start_date"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        indexes = [
            models.Index(fields=["account", "start_date"], name="contract_account_start_idx"),
            models.Index(fields=["end_date"], name="contract_end_idx"),
            # The last day to give notice (the calendar's notice deadlines), where one is due.
            models.Index(
                AddDays(F("end_date"), -F("notice_period_days")),
                name="contract_notice_deadline_idx",
                condition=Q(
                    cancelled_on__isnull=True,
                    notice_given_on__isnull=True,
                    notice_period_days__isnull=False,
                    end_date__isnull=False,
                ),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(monthly_value__gte=0),
                name="contract_value_not_negative",
                violation_error_message=_("The monthly value cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="contract_end_not_before_start",
                violation_error_message=_("The end date is before the start date."),
            ),
            models.CheckConstraint(
                condition=Q(cancelled_on__isnull=True) | Q(cancelled_on__gte=F("start_date")),
                name="contract_cancel_not_before_start",
                violation_error_message=_("The cancellation is before the start date."),
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return id_url("customers:account_detail", self.account_id) + "#contracts"

    def is_active_on(self, day: dt.date) -> bool:
        """The ledger rule of DESIGN.md for this one contract."""
        return ledger.is_active_on(self, day)

    @property
    def notice_deadline(self) -> dt.date | None:
        """The last day to give notice before the contract renews (None without an end date
        or an agreed notice period)."""
        if self.end_date is None or not self.notice_period_days:
            return None
        return self.end_date - dt.timedelta(days=self.notice_period_days)

    @property
    def last_active_day(self) -> dt.date | None:
        """The last day the contract counts (inclusive), or None when open-ended."""
        return ledger.last_counting_day(self)


class CustomerSpan(models.Model):
    """A maximal run of days on which the account was a customer, derived from its contracts.

    Kept in step by ``customers.services.refresh_ledger`` so retention figures count S, N and E
    with an index instead of grouping every contract on every request.
    """

    account = models.ForeignKey(
        Account, verbose_name=_("account"), related_name="spans", on_delete=models.CASCADE
    )
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"), null=True, blank=True)

    objects = SpanQuerySet.as_manager()

    class Meta:
        ordering = ["account", "start_date"]
        verbose_name = _("customer span")
        verbose_name_plural = _("customer spans")
        indexes = [
            models.Index(fields=["start_date", "end_date"], name="span_dates_idx"),
            models.Index(fields=["end_date"], name="span_end_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["account", "start_date"], name="span_unique_start"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="span_end_not_before_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.start_date} – {self.end_date or '…'}"


class MrrSpan(models.Model):
    """A run of customer days on which the account's MRR (the sum of the monthly values of its
    counting contracts) stays the same, derived from its contracts.

    Kept in step with ``CustomerSpan`` by ``customers.services.refresh_ledger``: the pieces of
    an account refine its customer spans (a price change starts a new piece), so "the MRR of
    each account on day D" is one index range, and revenue retention never scans contracts.
    """

    # The unique (account, first day) index serves lookups by account.
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        related_name="mrr_spans",
        on_delete=models.CASCADE,
        db_index=False,
    )
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"), null=True, blank=True)
    mrr = models.DecimalField(_("MRR"), max_digits=14, decimal_places=2)

    objects = SpanQuerySet.as_manager()

    class Meta:
        ordering = ["account", "start_date"]
        verbose_name = _("MRR span")
        verbose_name_plural = _("MRR spans")
        indexes = [
            models.Index(fields=["start_date", "end_date"], name="mrrspan_dates_idx"),
            models.Index(fields=["end_date"], name="mrrspan_end_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["account", "start_date"], name="mrrspan_unique_start"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="mrrspan_end_not_before_start",
            ),
            models.CheckConstraint(condition=Q(mrr__gte=0), name="mrrspan_mrr_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.start_date} – {self.end_date or '…'}: {self.mrr}"


class LedgerRevision(models.Model):
    """One row per ``refresh_ledger`` run: the highest id is a cheap version of the ledger
    (contracts, spans, MRR spans) that caches of derived figures are keyed by. Rows are only
    ever added; ``rebuild_derived`` drops all but the newest."""

    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger revision")
        verbose_name_plural = _("ledger revisions")

    def __str__(self) -> str:
        return f"#{self.pk} {self.changed_at:%Y-%m-%d %H:%M:%S}"


class OwnershipTransfer(ChoiceLabels, models.Model):
    """A change of owner, with the handover the new owner acknowledges."""

    # The reason the CSV import gives; stored as its msgid, worded when read (``reason_text``).
    IMPORT_REASON = gettext_noop("Changed by CSV import")

    account = models.ForeignKey(
        Account, verbose_name=_("account"), related_name="transfers", on_delete=models.CASCADE
    )
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("from"),
        related_name="transfers_from",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("to"),
        related_name="transfers_to",
        on_delete=models.PROTECT,
    )
    transferred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("transferred by"),
        related_name="transfers_made",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    transferred_at = models.DateTimeField(_("transferred at"))
    reason = models.CharField(_("reason"), max_length=200)
    handover_notes = models.TextField(_("handover notes"), blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-transferred_at"]
        get_latest_by = "transferred_at"
        verbose_name = _("ownership transfer")
        verbose_name_plural = _("ownership transfers")
        indexes = [
            models.Index(fields=["account", "-transferred_at"], name="transfer_account_idx"),
            models.Index(fields=["to_owner", "acknowledged_at"], name="transfer_to_ack_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_owner=F("to_owner")),
                name="transfer_changes_owner",
                violation_error_message=_("The new owner is the current owner."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.from_owner or '—'} → {self.to_owner}"

    def get_absolute_url(self) -> str:
        return id_url("customers:account_detail", self.account_id) + "#transfers"

    @property
    def reason_text(self) -> str:
        """Why, in the reader's language when the CSV import gave the reason; a person's
        reason as they wrote it."""
        return gettext(self.reason) if self.reason == self.IMPORT_REASON else self.reason


class HandoverRequest(ChoiceLabels, models.Model):
    """A CSM asks for an account to be handed to a colleague (DESIGN.md "Handover"); a lead
    of its team or an admin approves, maybe to another new owner, which makes the
    ``OwnershipTransfer`` the new owner acknowledges, or declines, saying why."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        APPROVED = "approved", _("approved")
        DECLINED = "declined", _("declined")

    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        related_name="handover_requests",
        on_delete=models.CASCADE,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        related_name="handover_requests_made",
        on_delete=models.PROTECT,
    )
    requested_at = models.DateTimeField(_("requested at"))
    proposed_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed new owner"),
        related_name="handover_requests_proposed",
        on_delete=models.PROTECT,
    )
    reason = models.CharField(_("reason"), max_length=200)
    handover_notes = models.TextField(_("handover notes"), max_length=5000, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        related_name="handover_requests_decided",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("comment on the decision"), max_length=2000, blank=True)
    transfer = models.OneToOneField(
        OwnershipTransfer,
        verbose_name=_("transfer"),
        related_name="request",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("handover request")
        verbose_name_plural = _("handover requests")
        constraints = [
            # One open request per account: a second one is a change of the first.
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status="requested"),
                name="handover_request_one_open",
                violation_error_message=_("A handover of this account is already asked for."),
            ),
            models.CheckConstraint(
                condition=Q(status="requested", decided_at__isnull=True)
                | (~Q(status="requested") & Q(decided_at__isnull=False)),
                name="handover_request_decided_when_closed",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(transfer__isnull=False),
                name="handover_request_approved_has_transfer",
            ),
        ]
        indexes = [
            models.Index(fields=["requested_by", "-requested_at"], name="handover_request_by_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account} → {self.proposed_owner} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("customers:handover_list") + f"#request-{self.pk}"


class ChurnReason(models.Model):
    """A managed list of reasons customers leave, kept by admins."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("churn reason")
        verbose_name_plural = _("churn reasons")

    def __str__(self) -> str:
        return self.name


class ChurnRecord(models.Model):
    """Why an account stopped being a customer (the date comes from the ledger)."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), related_name="churn_records", on_delete=models.CASCADE
    )
    churned_on = models.DateField(_("churned on"))
    reason = models.ForeignKey(
        ChurnReason, verbose_name=_("reason"), related_name="records", on_delete=models.PROTECT
    )
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-churned_on"]
        verbose_name = _("churn record")
        verbose_name_plural = _("churn records")
        constraints = [
            models.UniqueConstraint(fields=["account", "churned_on"], name="churn_once_per_day"),
        ]
        indexes = [models.Index(fields=["churned_on"], name="churn_date_idx")]

    def __str__(self) -> str:
        return f"{self.account} — {self.churned_on} ({self.reason})"
