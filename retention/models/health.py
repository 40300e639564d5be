"""Health scores, their configuration, CSM sentiment readings and risk flags (owned by
retention/health/)."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm.db import ChoiceLabels
from interactions.feedback import SCALES, FeedbackThresholds

DAYS = {"validators": [MinValueValidator(1)]}
# A person's comment (on a flag, with a sentiment reading): room for a paragraph, bounded so
# that one comment cannot weigh on every page that shows it.
COMMENT_MAX_LENGTH = 4000


def comment_error(text: str, *, missing: str) -> str | None:
    """What is wrong with a person's comment (already stripped): empty (``missing``) or longer
    than ``COMMENT_MAX_LENGTH``; None when nothing is."""
    if not text:
        return missing
    if len(text) > COMMENT_MAX_LENGTH:
        return gettext("Keep it to %(limit)s characters (this has %(length)s).") % {
            "limit": COMMENT_MAX_LENGTH,
            "length": len(text),
        }
    return None


class Rating(models.TextChoices):
    """What a measure gave: DESIGN.md's good / average / poor (n/a is stored as null)."""

    GOOD = "good", _("Good")
    AVERAGE = "average", _("Average")
    POOR = "poor", _("Poor")


class Band(models.TextChoices):
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")


class ScoringConfiguration(models.Model):
    """Every weight and threshold of the health model (DESIGN.md "Health model").

    Versioned: a change is a new row and the previous one stays, so each ``HealthScore`` points
    at the configuration that produced it. Exactly one row is active (a partial unique
    constraint); ``retention.health.active_configuration`` reads it.
    """

    WEIGHT_FIELDS = (
        "weight_engagement",
        "weight_sentiment",
        "weight_problems",
        "weight_relationship",
        "weight_voice",
        "weight_commercial",
    )

    version = models.PositiveIntegerField(_("version"), unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=False, editable=False)
    note = models.CharField(_("what changed and why"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        related_name="+",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
    )

    # Weights: signed in the column so that clean() (not the form field) words the refusal.
    weight_engagement = models.SmallIntegerField(_("engagement weight"), default=25)
    weight_sentiment = models.SmallIntegerField(_("CSM sentiment weight"), default=20)
    weight_problems = models.SmallIntegerField(_("open problems weight"), default=15)
    weight_relationship = models.SmallIntegerField(_("relationship weight"), default=15)
    weight_voice = models.SmallIntegerField(_("voice of the customer weight"), default=15)
    weight_commercial = models.SmallIntegerField(_("commercial weight"), default=10)

    points_good = models.SmallIntegerField(_("points for good"), default=100)
    points_average = models.SmallIntegerField(_("points for average"), default=60)
    points_poor = models.SmallIntegerField(_("points for poor"), default=0)

    green_from = models.SmallIntegerField(
        _("green from (score)"), default=76, help_text=_("A score at or above this is green.")
    )
    yellow_from = models.SmallIntegerField(
        _("yellow from (score)"),
        default=51,
        help_text=_("A score at or above this (and below green) is yellow; below it is red."),
    )

    engagement_good_ratio = models.DecimalField(
        _("engagement good up to (× cadence)"), max_digits=4, decimal_places=2, default=1
    )
    engagement_average_ratio = models.DecimalField(
        _("engagement average up to (× cadence)"), max_digits=4, decimal_places=2, default=2
    )
    default_cadence_days = models.PositiveSmallIntegerField(
        _("expected cadence without a segment (days)"), default=30, **DAYS
    )
    sentiment_max_age_days = models.PositiveSmallIntegerField(
        _("CSM sentiment counts for (days)"), default=45, **DAYS
    )
    problem_age_days = models.PositiveSmallIntegerField(
        _("an open problem is old after (days)"), default=30, **DAYS
    )
    medium_problem_is_poor = models.BooleanField(
        _("a young medium-severity problem is poor"),
        default=False,
        help_text=_("Off: a medium-severity problem younger than the age limit counts as average."),
    )
    relationship_window_days = models.PositiveSmallIntegerField(
        _("champion and decision maker met within (days)"), default=90, **DAYS
    )
    relationship_min_colleagues = models.PositiveSmallIntegerField(
        _("colleagues who must know the account"),
        default=1,
        help_text=_(
            "Fewer of our team in touch within the window caps the relationship at average."
        ),
    )
    voice_max_age_days = models.PositiveSmallIntegerField(
        _("NPS / CSAT counts for (days)"), default=180, **DAYS
    )
    nps_promoter_from = models.PositiveSmallIntegerField(_("NPS promoter from"), default=9)
    nps_passive_from = models.PositiveSmallIntegerField(_("NPS passive from"), default=7)
    csat_promoter_from = models.PositiveSmallIntegerField(_("CSAT promoter from"), default=5)
    csat_passive_from = models.PositiveSmallIntegerField(_("CSAT passive from"), default=4)
    renewal_window_days = models.PositiveSmallIntegerField(
        _("renewal is due within (days)"), default=90, **DAYS
    )
    downgrade_lookback_days = models.PositiveSmallIntegerField(
        _("downgrade: compare MRR with (days ago)"), default=90, **DAYS
    )
    onboarding_days = models.PositiveSmallIntegerField(
        _("onboarding lasts (days)"), default=90, **DAYS
    )
    onboarding_engagement_factor = models.DecimalField(
        _("engagement weight factor in onboarding"), max_digits=4, decimal_places=2, default=2
    )
    transfer_watch_days = models.PositiveSmallIntegerField(
        _("on watch after an owner change (days)"), default=60, **DAYS
    )
    trend_days = models.PositiveSmallIntegerField(
        _("trend and drop window (days)"), default=30, **DAYS
    )
    flag_drop_points = models.PositiveSmallIntegerField(
        _("flag a drop of at least (points)"), default=15, **DAYS
    )

    class Meta:
        ordering = ["-version"]
        get_latest_by = "version"
        verbose_name = _("scoring configuration")
        verbose_name_plural = _("scoring configurations")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="scoring_one_active"
            ),
            models.CheckConstraint(
                condition=Q(weight_engagement__gte=0)
                & Q(weight_sentiment__gte=0)
                & Q(weight_problems__gte=0)
                & Q(weight_relationship__gte=0)
                & Q(weight_voice__gte=0)
                & Q(weight_commercial__gte=0),
                name="scoring_weights_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(yellow_from__gte=1)
                & Q(yellow_from__lt=models.F("green_from"))
                & Q(green_from__lte=100),
                name="scoring_bands_in_order",
            ),
        ]

    def __str__(self) -> str:
        active = _(" (active)") if self.is_active else ""
        return f"{_('Scoring')} v{self.version}{active}"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}

        def refuse(field: str, message) -> None:
            errors.setdefault(field, []).append(message)

        weights = {name: getattr(self, name) for name in self.WEIGHT_FIELDS}
        for name, value in weights.items():
            if value is not None and value < 0:
                label = self._meta.get_field(name).verbose_name
                refuse(name, _("The %(field)s cannot be negative.") % {"field": label})
        if all(v == 0 for v in weights.values() if v is not None):
            for name in self.WEIGHT_FIELDS:
                refuse(name, _("All weights are zero: give at least one measure a weight."))

        good, average, poor = self.points_good, self.points_average, self.points_poor
        for name, value in (
            ("points_good", good),
            ("points_average", average),
            ("points_poor", poor),
        ):
            if value is not None and not 0 <= value <= 100:
                refuse(name, _("Points are between 0 and 100."))
        if None not in (good, average, poor) and not poor <= average <= good:
            refuse("points_average", _("Points for average must lie between poor and good."))

        if self.green_from is not None and not 1 < self.green_from <= 100:
            refuse("green_from", _("The green band starts between 2 and 100."))
        if self.yellow_from is not None and self.yellow_from < 1:
            refuse("yellow_from", _("The yellow band starts at 1 or above (red is below it)."))
        if (
            self.green_from is not None
            and self.yellow_from is not None
            and self.yellow_from >= self.green_from
        ):
            refuse(
                "yellow_from",
                _("The yellow band (from %(yellow)s) must start below green (from %(green)s).")
                % {"yellow": self.yellow_from, "green": self.green_from},
            )

        good_ratio, average_ratio = self.engagement_good_ratio, self.engagement_average_ratio
        if good_ratio is not None and good_ratio <= 0:
            refuse("engagement_good_ratio", _("The engagement good ratio must be above 0."))
        if good_ratio is not None and average_ratio is not None and average_ratio < good_ratio:
            refuse(
                "engagement_average_ratio",
                _("The engagement average ratio cannot be below the good ratio."),
            )
        if self.onboarding_engagement_factor is not None and self.onboarding_engagement_factor < 0:
            refuse("onboarding_engagement_factor", _("The onboarding factor cannot be negative."))

        for kind, (bottom, top) in SCALES.items():
            promoter, passive = f"{kind}_promoter_from", f"{kind}_passive_from"
            hi, lo = getattr(self, promoter), getattr(self, passive)
            if hi is not None and not bottom <= hi <= top:
                refuse(promoter, _("Between %(lo)s and %(hi)s.") % {"lo": bottom, "hi": top})
            if hi is not None and lo is not None and not bottom <= lo < hi:
                refuse(passive, _("The passive threshold must be below the promoter threshold."))
        if errors:
            raise ValidationError(errors)

    @classmethod
    def default_cadence_in_force(cls) -> models.Subquery:
        """The active configuration's cadence for accounts without a segment, as a subquery
        the reading query holds (no query of its own)."""
        active = cls.objects.filter(is_active=True).values("default_cadence_days")[:1]
        return models.Subquery(active, output_field=models.PositiveSmallIntegerField())

    @property
    def weights(self) -> dict[str, int]:
        """Weight per measure key (``engagement``, ``sentiment``...)."""
        return {name.removeprefix("weight_"): getattr(self, name) for name in self.WEIGHT_FIELDS}

    def feedback_thresholds(self) -> FeedbackThresholds:
        """Where promoters and passives begin in this version (``interactions.feedback``)."""
        return FeedbackThresholds(*(getattr(self, f) for f in FeedbackThresholds._fields))

    @classmethod
    def thresholds_in_force(cls) -> FeedbackThresholds:
        """The active version's feedback thresholds, or DESIGN.md's before there is one; what
        pages, the API and the admin sort feedback by (handed to ``interactions`` at start)."""
        row = cls.objects.filter(is_active=True).values_list(*FeedbackThresholds._fields).first()
        return FeedbackThresholds(*row) if row else FeedbackThresholds()


class SentimentReading(models.Model):
    """The owner's own read of an account (green / amber / red) with the reason: the
    "CSM sentiment" measure. It counts for ``sentiment_max_age_days``."""

    class Sentiment(models.TextChoices):
        GREEN = "green", _("Green")
        AMBER = "amber", _("Amber")
        RED = "red", _("Red")

    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        related_name="sentiment_readings",
        on_delete=models.CASCADE,
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        related_name="sentiment_readings",
        on_delete=models.PROTECT,
    )
    sentiment = models.CharField(_("sentiment"), max_length=5, choices=Sentiment.choices)
    comment = models.TextField(_("why"), max_length=COMMENT_MAX_LENGTH)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        get_latest_by = "recorded_at"
        verbose_name = _("CSM sentiment")
        verbose_name_plural = _("CSM sentiments")
        indexes = [
            models.Index(fields=["account", "-recorded_at"], name="sentiment_account_time_idx")
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(comment=""), name="sentiment_has_comment"),
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.get_sentiment_display()} ({self.recorded_at:%Y-%m-%d})"


def said(measure: dict) -> dict | str:
    """Why a measure of a stored score rated as it did: its message, or its sentence."""
    return measure.get("message") or measure.get("explanation", "")


class HealthScore(models.Model):
    """An account's health on one day: the score, its band, the trend and, per measure, what
    it saw and what it gave (``measures``).

    ``measures`` maps a measure key to ``{"rating", "value", "points", "weight", "impact",
    "message"}``, the message being why, as an id and its parameters (``{"id": "no_meeting",
    "days": 47, "cadence": 30}``), worded when read (``retention.health.wording``); scores
    from before messages were stored hold their sentence as ``"explanation"`` instead, and
    ``guards`` holds messages, or such sentences. It is a JSON column rather than a row per
    measure: the scoring run writes one row per account (one bulk upsert per chunk instead of
    six times as many rows), and the account page renders "−18: no meeting for 47 days
    (expected every 30)" from the one row it already loads. Nothing filters or sorts across
    accounts by a single measure; what lists filter on (score, band, trend) are columns.
    """

    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        related_name="health_scores",
        on_delete=models.CASCADE,
    )
    scored_on = models.DateField(_("scored on"))
    configuration = models.ForeignKey(
        ScoringConfiguration,
        verbose_name=_("configuration"),
        related_name="scores",
        on_delete=models.PROTECT,
    )
    score = models.PositiveSmallIntegerField(
        _("score"), null=True, blank=True, help_text=_("Empty when no measure has data.")
    )
    band = models.CharField(_("band"), max_length=6, choices=Band.choices, blank=True)
    previous_score = models.PositiveSmallIntegerField(
        _("score about 30 days earlier"), null=True, blank=True
    )
    trend = models.SmallIntegerField(_("trend (points)"), null=True, blank=True)
    onboarding = models.BooleanField(_("onboarding"), default=False)
    on_watch = models.BooleanField(
        _("on watch"), default=False, help_text=_("The owner changed recently.")
    )
    guards = models.JSONField(_("guard notes"), default=list, blank=True)
    measures = models.JSONField(_("measures"), default=dict, blank=True)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        ordering = ["-scored_on", "account_id"]
        get_latest_by = "scored_on"
        verbose_name = _("health score")
        verbose_name_plural = _("health scores")
        indexes = [
            models.Index(fields=["account", "-scored_on"], name="health_account_day_idx"),
            models.Index(fields=["scored_on", "band"], name="health_day_band_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["account", "scored_on"], name="health_one_per_day"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__lte=100), name="health_score_0_100"
            ),
            models.CheckConstraint(
                condition=(Q(score__isnull=True) & Q(band=""))
                | (Q(score__isnull=False) & ~Q(band="")),
                name="health_band_iff_score",
            ),
        ]

    def __str__(self) -> str:
        score = "n/a" if self.score is None else self.score
        return f"{self.account} · {self.scored_on}: {score}"

    @property
    def reasons(self) -> list[dict]:
        """The measures that cost points, worst first, each with ``impact`` and ``said``: its
        message, or the sentence of a score from before messages were stored (e.g. −18,
        ``{"id": "no_meeting", "days": 47, "cadence": 30}``)."""
        costly = [
            {"measure": key, **m, "said": said(m)}
            for key, m in self.measures.items()
            if m.get("impact", 0) < 0
        ]
        return sorted(costly, key=lambda m: m["impact"])

    @property
    def trend_arrow(self) -> str:
        if self.trend is None:
            return ""
        return "↑" if self.trend >= 5 else "↓" if self.trend <= -5 else "→"


def band_rank(band: str = "band") -> models.Case:
    """Red 0, yellow 1, green 2, no band 3: the risk order of ``band`` (a field path)."""
    return models.Case(
        models.When(**{band: Band.RED}, then=models.Value(0)),
        models.When(**{band: Band.YELLOW}, then=models.Value(1)),
        models.When(**{band: Band.GREEN}, then=models.Value(2)),
        default=models.Value(3),
    )


class AccountHealth(models.Model):
    """An account's latest health: a copy of the columns of its newest ``HealthScore`` that
    lists count, filter and sort by, one row per scored account.

    Written by the scoring run in the transaction that writes the scores
    (``retention.health.scoring.record_current_health``), so it is never behind them. Pages read
    it instead of looking up each account's newest score among its history: the team
    dashboard's health distribution of 12,500 accounts is a join on a key instead of two
    index probes per account (bench/bench_pages.py). ``rebuild_current_health`` recomputes
    it from the scores."""

    account = models.OneToOneField(
        "customers.Account",
        verbose_name=_("account"),
        related_name="current_health",
        on_delete=models.CASCADE,
        primary_key=True,
    )
    scored_on = models.DateField(_("scored on"))
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    band = models.CharField(_("band"), max_length=6, choices=Band.choices, blank=True)
    previous_score = models.PositiveSmallIntegerField(
        _("score about 30 days earlier"), null=True, blank=True
    )
    trend = models.SmallIntegerField(_("trend (points)"), null=True, blank=True)

    class Meta:
        verbose_name = _("current health")
        verbose_name_plural = _("current health")
        indexes = [
            # The riskiest accounts first (team dashboard): walked in order, stopped at 8.
            models.Index(band_rank(), "score", name="accounthealth_risk_idx"),
        ]

    def __str__(self) -> str:
        score = "n/a" if self.score is None else self.score
        return f"{self.account} · {self.scored_on}: {score}"


class RiskFlag(ChoiceLabels, models.Model):
    """A warning about one account for one reason: why (measured value, threshold,
    explanation), since when, and what people did about it. At most one flag per account and
    reason is not resolved (a partial unique constraint)."""

    class Reason(models.TextChoices):
        ENTERED_RED = "entered_red", _("Entered red")
        SCORE_DROP = "score_drop", _("Score dropped")
        CHAMPION_LEFT = "champion_left", _("Champion left")
        RENEWAL_AT_RISK = "renewal_at_risk", _("Renewal at risk")
        OWNER_CHANGED = "owner_changed", _("Owner changed")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        SNOOZED = "snoozed", _("Snoozed")
        RESOLVED = "resolved", _("Resolved")

    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        related_name="risk_flags",
        on_delete=models.CASCADE,
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)
    raised_on = models.DateField(_("raised by the scoring of"))
    last_seen_on = models.DateField(
        _("condition last seen on"), help_text=_("The last scoring day its condition held.")
    )
    measured_value = models.DecimalField(
        _("measured value"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    threshold = models.DecimalField(
        _("threshold"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    explanation_message = models.JSONField(
        _("explanation"),
        null=True,
        blank=True,
        help_text=_("Why, as a message id and its parameters, worded when read."),
    )
    # Flags raised before messages were stored: their explanation as it was worded then.
    explanation = models.TextField(_("explanation as worded then"), blank=True)

    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_comment = models.TextField(
        _("acknowledgement"), blank=True, max_length=COMMENT_MAX_LENGTH
    )

    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_comment = models.TextField(_("resolution"), blank=True, max_length=COMMENT_MAX_LENGTH)
    resolved_message = models.JSONField(
        _("resolution by the scoring"),
        null=True,
        blank=True,
        help_text=_("Why the flag resolved itself, as a message id and its parameters."),
    )
    auto_resolved = models.BooleanField(
        _("resolved itself"), default=False, help_text=_("Its condition no longer held.")
    )

    snoozed_until = models.DateField(_("snoozed until"), null=True, blank=True)
    snooze_reason = models.TextField(_("snooze reason"), blank=True, max_length=COMMENT_MAX_LENGTH)

    notified_at = models.DateTimeField(_("owner notified at"), null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        verbose_name = _("risk flag")
        verbose_name_plural = _("risk flags")
        indexes = [
            models.Index(fields=["status", "reason"], name="riskflag_status_reason_idx"),
            models.Index(fields=["account", "status"], name="riskflag_account_status_idx"),
            # The unresolved flags of a set of accounts by reason (team dashboard), read
            # from the index alone: 10,000 entries instead of every flag ever raised.
            models.Index(
                fields=["account"],
                include=["reason", "status"],
                condition=~Q(status="resolved"),
                name="riskflag_unresolved_idx",
            ),
            models.Index(
                fields=["raised_at"],
                condition=Q(status="open", notified_at__isnull=True),
                name="riskflag_unnotified_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "reason"],
                condition=~Q(status="resolved"),
                name="riskflag_one_unresolved_per_reason",
            ),
            models.CheckConstraint(
                condition=(Q(status="resolved") & Q(resolved_at__isnull=False))
                | (~Q(status="resolved") & Q(resolved_at__isnull=True)),
                name="riskflag_resolved_iff_resolved_at",
            ),
            models.CheckConstraint(
                condition=~Q(status="snoozed") | Q(snoozed_until__isnull=False),
                name="riskflag_snooze_has_end",
            ),
            models.CheckConstraint(
                condition=Q(explanation_message__isnull=False) | ~Q(explanation=""),
                name="riskflag_says_why",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.get_reason_display()} ({self.get_status_display()})"

    @property
    def is_resolved(self) -> bool:
        return self.status == self.Status.RESOLVED

    def age_days(self, today: dt.date) -> int:
        return (today - timezone.localdate(self.raised_at)).days

    # What a flag says, for ``retention.health.wording.word`` (or ``|worded`` in a template):
    # the message the scoring stored, or the text of a flag from before messages were stored.

    @property
    def why(self) -> dict | str:
        return self.explanation_message or self.explanation

    @property
    def resolution(self) -> dict | str:
        """Why the flag resolved itself, or how a person dealt with it (their comment)."""
        return self.resolved_message or self.resolved_comment


class RiskFlagEvent(ChoiceLabels, models.Model):
    """One change of a flag's state: raised, acknowledged, snoozed, reopened, resolved. ``by``
    is empty when the nightly scoring did it."""

    flag = models.ForeignKey(
        RiskFlag, verbose_name=_("flag"), related_name="events", on_delete=models.CASCADE
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    from_status = models.CharField(
        _("from"), max_length=12, choices=RiskFlag.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=RiskFlag.Status.choices)
    comment = models.TextField(_("comment"), blank=True, max_length=COMMENT_MAX_LENGTH)
    message = models.JSONField(
        _("message"),
        null=True,
        blank=True,
        help_text=_("What the scoring (or a snooze) said, as a message id and its parameters."),
    )

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("risk flag event")
        verbose_name_plural = _("risk flag events")
        indexes = [models.Index(fields=["flag", "at"], name="riskflag_event_flag_idx")]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status} ({self.at:%Y-%m-%d %H:%M})"

    @property
    def note(self) -> dict | str:
        """What the change says: a stored message, or a person's comment (and the text of a
        change from before messages were stored), for ``retention.health.wording.word``."""
        return self.message or self.comment


class ScoringLock(models.Model):
    """A lease that keeps two scoring runs from overlapping (claimed with a conditional
    update, see ``retention.health.scoring``). A row in the database rather than a Redis or advisory
    lock: it outlives the task that takes it (the chunks and the final task run later, in
    other processes), expires by itself if a worker dies, and works for the synchronous
    command without a broker."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    holder = models.CharField(_("held by"), max_length=64, blank=True)
    acquired_at = models.DateTimeField(_("acquired at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("scoring lock")
        verbose_name_plural = _("scoring locks")

    def __str__(self) -> str:
        return f"{self.name}: {self.holder or _('free')}"
