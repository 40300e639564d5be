"""The documented relationship: interactions, follow-ups, open problems and feedback."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm.db import ChoiceLabels
from crm.links import id_url

from .feedback import FeedbackThresholds, on_its_scale, thresholds_in_force


class Tone(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEUTRAL = "neutral", _("Neutral")
    NEGATIVE = "negative", _("Negative")


class InteractionQuerySet(models.QuerySet):
    def alive(self):
        return self.filter(deleted_at__isnull=True)

    def contacts_made(self):
        """Meetings and calls: what counts as being in touch (``last_meeting_or_call_at``)."""
        return self.alive().filter(kind__in=Interaction.CONTACT_KINDS)


class Interaction(ChoiceLabels, models.Model):
    """A meeting, call, email or note logged against an account."""

    class Kind(models.TextChoices):
        MEETING = "meeting", _("Meeting")
        CALL = "call", _("Call")
        EMAIL = "email", _("Email")
        NOTE = "note", _("Note")

    CONTACT_KINDS = (Kind.MEETING, Kind.CALL)

    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        related_name="interactions",
        on_delete=models.PROTECT,
        # Covered by the (account, -occurred_at) index; a plain one lured PostgreSQL into
        # filtering a whole account's history by date (team dashboard: 100 ms -> 55 ms).
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        related_name="interactions",
        on_delete=models.PROTECT,
    )
    contacts = models.ManyToManyField(
        "customers.Contact",
        verbose_name=_("contacts present"),
        related_name="interactions",
        blank=True,
    )
    summary = models.CharField(_("summary"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    tone = models.CharField(_("tone"), max_length=10, choices=Tone.choices, blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)

    objects = InteractionQuerySet.as_manager()

    history = HistoricalRecords(m2m_fields=[contacts], excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-occurred_at"]
        get_latest_by = "occurred_at"
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        indexes = [
            models.Index(fields=["account", "-occurred_at"], name="interaction_account_time_idx"),
            models.Index(fields=["author", "-occurred_at"], name="interaction_author_time_idx"),
            # The last days' interactions of a set of accounts by author and kind (team
            # dashboard), read from the index alone: the 80,000 of the last 30 days in one
            # range, not an index probe into each of 12,500 accounts' histories.
            models.Index(
                fields=["occurred_at"],
                include=["account", "author", "kind"],
                condition=Q(deleted_at__isnull=True),
                name="interaction_window_idx",
            ),
            models.Index(
                fields=["account", "occurred_at"],
                condition=Q(kind__in=["meeting", "call"], deleted_at__isnull=True),
                name="interaction_contact_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary}"

    def get_absolute_url(self) -> str:
        return id_url("interactions:interaction_detail", self.pk)


# --- when a promise is open or overdue, in SQL (``FollowUp.is_overdue`` is the pure twin).
# Every filter and count that asks it calls these; ``prefix`` reaches the follow-ups through
# a relation (``"follow_up__"`` from a playbook's step).


def follow_up_open(prefix: str = "") -> Q:
    """Follow-ups not done yet."""
    return Q(**{f"{prefix}done_at__isnull": True})


def follow_up_overdue(day, prefix: str = "") -> Q:
    """Follow-ups overdue on ``day``: not done and due before it."""
    return follow_up_open(prefix) & Q(**{f"{prefix}due_on__lt": day})


class FollowUpQuerySet(models.QuerySet):
    def open(self) -> "FollowUpQuerySet":
        return self.filter(follow_up_open())

    def overdue_on(self, day) -> "FollowUpQuerySet":
        return self.filter(follow_up_overdue(day))

    def due_by(self, day) -> "FollowUpQuerySet":
        """Open and due on ``day`` or before (due today or overdue)."""
        return self.open().filter(due_on__lte=day)


class FollowUp(models.Model):
    """Something we promised the customer, with a due date and an owner."""

    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        related_name="follow_ups",
        on_delete=models.CASCADE,
    )
    interaction = models.ForeignKey(
        Interaction,
        verbose_name=_("from interaction"),
        related_name="follow_ups",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    title = models.CharField(_("what we promised"), max_length=200)
    due_on = models.DateField(_("due on"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        related_name="follow_ups",
        on_delete=models.PROTECT,
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()
    objects = FollowUpQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [
            models.Index(
                fields=["owner", "due_on"],
                condition=Q(done_at__isnull=True),
                name="followup_open_owner_due_idx",
            ),
            models.Index(fields=["account", "due_on"], name="followup_account_due_idx"),
            # The open follow-ups of a set of accounts by owner (team dashboard), read from
            # the index alone instead of 40,000 rows of the table.
            models.Index(
                fields=["account"],
                include=["owner", "due_on"],
                condition=Q(done_at__isnull=True),
                name="followup_open_account_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (due {self.due_on:%Y-%m-%d})"

    def get_absolute_url(self) -> str:
        return id_url("customers:account_detail", self.account_id) + "#follow-ups"

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    def is_overdue(self, today) -> bool:
        return self.done_at is None and self.due_on < today


class PlannedMeetingQuerySet(models.QuerySet):
    def open(self):
        """Neither held (completed into an interaction) nor cancelled."""
        return self.filter(completed_at__isnull=True, cancelled_at__isnull=True)


class PlannedMeeting(ChoiceLabels, models.Model):
    """A meeting or call put in the calendar ahead of time. It is the account's next planned
    touch until it is held: then the CSM completes it into a logged interaction (or cancels
    it)."""

    KINDS = [(k.value, k.label) for k in Interaction.CONTACT_KINDS]

    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        related_name="planned_meetings",
        on_delete=models.CASCADE,
    )
    kind = models.CharField(_("kind"), max_length=10, choices=KINDS, default="meeting")
    planned_at = models.DateTimeField(_("planned for"))
    summary = models.CharField(_("what it is about"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("held by"),
        related_name="planned_meetings",
        on_delete=models.PROTECT,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    completed_at = models.DateTimeField(_("held on"), null=True, blank=True, editable=False)
    interaction = models.OneToOneField(
        Interaction,
        verbose_name=_("logged as"),
        related_name="planned_as",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True, editable=False)

    objects = PlannedMeetingQuerySet.as_manager()

    class Meta:
        ordering = ["planned_at", "pk"]
        verbose_name = _("planned meeting")
        verbose_name_plural = _("planned meetings")
        indexes = [
            models.Index(
                fields=["account", "planned_at"],
                condition=Q(completed_at__isnull=True, cancelled_at__isnull=True),
                name="planned_open_account_idx",
            ),
            models.Index(
                fields=["owner", "planned_at"],
                condition=Q(completed_at__isnull=True, cancelled_at__isnull=True),
                name="planned_open_owner_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True) | Q(cancelled_at__isnull=True),
                name="planned_not_held_and_cancelled",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary} ({self.planned_at:%Y-%m-%d})"

    def get_absolute_url(self) -> str:
        return id_url("customers:account_detail", self.account_id) + "#planned"

    @property
    def is_open(self) -> bool:
        return self.completed_at is None and self.cancelled_at is None


class OpenProblem(ChoiceLabels, models.Model):
    """A complaint, escalation or blocker, from opened to resolved."""

    class Severity(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        RESOLVED = "resolved", _("Resolved")

    class Category(models.TextChoices):
        COMPLAINT = "complaint", _("Complaint")
        ESCALATION = "escalation", _("Escalation")
        BLOCKER = "blocker", _("Blocker")

    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        related_name="problems",
        on_delete=models.CASCADE,
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(
        _("category"), max_length=20, choices=Category.choices, default=Category.COMPLAINT
    )
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default="open")
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        related_name="problems_opened",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("open problem")
        verbose_name_plural = _("open problems")
        indexes = [
            models.Index(
                fields=["account", "severity", "opened_at"],
                condition=~Q(status="resolved"),
                name="problem_unresolved_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="resolved") & Q(resolved_at__isnull=False))
                | (~Q(status="resolved") & Q(resolved_at__isnull=True)),
                name="problem_resolved_iff_resolved_at",
                violation_error_message=_(
                    "A resolved problem needs a resolution time, an open one none."
                ),
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("opened_at")),
                name="problem_resolved_after_opened",
                violation_error_message=_("A problem cannot be resolved before it was opened."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return id_url("customers:account_detail", self.account_id) + "#problems"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.RESOLVED


class FeedbackQuerySet(models.QuerySet):
    def with_category(self, thresholds: FeedbackThresholds | None = None) -> "FeedbackQuerySet":
        """Each row's promoter / passive / detractor by ``thresholds`` (default: those in
        force), read once for the whole list instead of once per row."""
        thresholds = thresholds or thresholds_in_force()
        return self.annotate(category_in_force=thresholds.category_sql())


class Feedback(ChoiceLabels, models.Model):
    """What the customer told us in a survey: NPS (0–10) or CSAT (1–5)."""

    class Kind(models.TextChoices):
        NPS = "nps", _("NPS (0–10)")
        CSAT = "csat", _("CSAT (1–5)")

    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        related_name="feedback",
        on_delete=models.CASCADE,
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        related_name="feedback",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        related_name="feedback_recorded",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text=_("The CSM responsible when the feedback was given."),
    )
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices)
    score = models.PositiveSmallIntegerField(_("score"))
    received_on = models.DateField(_("received on"))
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = FeedbackQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        indexes = [
            models.Index(fields=["account", "-received_on"], name="feedback_account_date_idx"),
            models.Index(fields=["author", "-received_on"], name="feedback_author_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=on_its_scale(),
                name="feedback_score_in_range",
                violation_error_message=_(
                    "An NPS score is between 0 and 10, a CSAT score between 1 and 5."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.score} — {self.account}"

    def get_absolute_url(self) -> str:
        return id_url("customers:account_detail", self.account_id) + "#feedback"

    @property
    def category(self) -> str:
        """promoter / passive / detractor by the thresholds in force (an admin sets them in
        the scoring configuration); read with the row by ``with_category()``."""
        if hasattr(self, "category_in_force"):
            return self.category_in_force
        return thresholds_in_force().category(self.kind, self.score)


# --- surveys: NPS / CSAT asked by email, answered on a public page (interactions.surveys) ---

COMMENT_MAX_LENGTH = 5000


class SurveySendQuerySet(models.QuerySet):
    def live(self, now=None) -> "SurveySendQuerySet":
        """Links that can still be answered."""
        return self.filter(expires_at__gt=now or timezone.now())


class SurveySend(ChoiceLabels, models.Model):
    """One survey asked of one contact: a personal link (only its SHA-256 is stored), valid
    for a while, answered (and changed) until it expires. The answer is a ``Feedback`` row."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    # No index of their own: the named indexes below start with them (a bulk send writes
    # thousands of rows, each into every index).
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        related_name="survey_sends",
        on_delete=models.CASCADE,
        db_index=False,
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        related_name="survey_sends",
        on_delete=models.CASCADE,
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=4, choices=Feedback.Kind.choices)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        related_name="survey_sends",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    language = models.CharField(_("language"), max_length=8)
    # Unique by a constraint, not ``unique=True``: that would add a second index for LIKE
    # look-ups (PostgreSQL), and a fingerprint is only ever looked up whole.
    token_hash = models.CharField(_("link fingerprint"), max_length=64, editable=False)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True, max_length=COMMENT_MAX_LENGTH)
    feedback = models.OneToOneField(
        Feedback,
        verbose_name=_("feedback"),
        related_name="survey_send",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )

    objects = SurveySendQuerySet.as_manager()

    class Meta:
        ordering = ["-queued_at", "-pk"]
        verbose_name = _("survey sent")
        verbose_name_plural = _("surveys sent")
        indexes = [
            models.Index(fields=["contact", "-queued_at"], name="surveysend_contact_idx"),
            models.Index(fields=["account", "-queued_at"], name="surveysend_account_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["token_hash"], name="surveysend_token_unique"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | on_its_scale(),
                name="surveysend_score_in_range",
                violation_error_message=_(
                    "An NPS score is between 0 and 10, a CSAT score between 1 and 5."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.contact_id} ({self.account_id})"


class SurveyTemplate(models.Model):
    """The email of a survey, per kind and language, which an admin edits. Placeholders:
    ``{name}`` (the contact), ``{company}`` (ours), ``{link}`` (the answer page),
    ``{unsubscribe}`` (the unsubscribe link)."""

    kind = models.CharField(_("kind"), max_length=4, choices=Feedback.Kind.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(
        _("body"),
        max_length=10000,
        help_text=_(
            "Plain text. Placeholders: {name}, {company}, {link}, {unsubscribe}. The HTML "
            "version is made from it."
        ),
    )
    question = models.CharField(
        _("question"),
        max_length=300,
        help_text=_("Shown on the answer page above the buttons. Placeholder: {company}."),
    )

    class Meta:
        ordering = ["kind", "language"]
        verbose_name = _("survey template")
        verbose_name_plural = _("survey templates")
        constraints = [
            models.UniqueConstraint(fields=["kind", "language"], name="surveytemplate_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.language})"
