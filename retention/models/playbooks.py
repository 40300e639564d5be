"""Playbooks, their versions and their runs (owned by retention/playbooks/; DESIGN.md
"Playbooks").

A ``Playbook`` and its ``PlaybookStep`` rows are what an admin edits. Every save that changes
them stores a ``PlaybookVersion``: a frozen copy of the trigger and the steps. A run points at
the version it started with, so editing a playbook never changes a run under way. A run's
steps are ``RunStep`` rows, each tied one-to-one to a ``FollowUp``: the task sits on the same
list as the CSM's own follow-ups (open while its ``done_at`` is empty)."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from interactions.models import Feedback, follow_up_open

from .health import COMMENT_MAX_LENGTH, RiskFlag


class Trigger(models.TextChoices):
    NEW_CUSTOMER = "new_customer", _("A new customer span begins")
    FLAG_RAISED = "flag_raised", _("A risk flag is raised")
    RENEWAL_AHEAD = "renewal_ahead", _("A renewal is N days ahead")
    NO_CONTACT = "no_contact", _("No meeting or call for N days")
    TRANSFER = "transfer", _("An ownership transfer")
    DETRACTOR = "detractor", _("A detractor answer")
    MANUAL = "manual", _("By hand (a campaign)")


# Triggers evaluated by the beat task (the others start from an event or by hand).
TIME_TRIGGERS = (Trigger.RENEWAL_AHEAD, Trigger.NO_CONTACT)


class StepKind(models.TextChoices):
    MEETING = "meeting", _("Meeting")
    CALL = "call", _("Call")
    EMAIL = "email", _("Email")
    TASK = "task", _("Task")
    SURVEY = "survey", _("Survey")


# Steps completed by logging an interaction of the same kind on the account.
INTERACTION_STEP_KINDS = (StepKind.MEETING, StepKind.CALL)
# Only a survey step names a survey. One that names none (saved before steps named theirs)
# stays a task for its assignee; the playbook editor asks for one (``playbook_errors``).
SURVEY_STEP = Q(kind=StepKind.SURVEY) | Q(survey_kind="")


def survey_kind_field():
    return models.CharField(
        _("survey"),
        max_length=4,
        choices=Feedback.Kind.choices,
        blank=True,
        help_text=_(
            "For a survey step: which survey its day sends to the account's decision makers "
            "and champions."
        ),
    )


class Assignee(models.TextChoices):
    OWNER = "owner", _("The account's owner")
    LEAD = "lead", _("The team lead")


class Playbook(models.Model):
    """A named list of steps started by one trigger, optionally for one segment only."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices)
    trigger_days = models.PositiveIntegerField(
        _("N days"),
        null=True,
        blank=True,
        help_text=_("For a renewal ahead or no meeting or call: the N of the trigger."),
    )
    cadence_multiple = models.PositiveSmallIntegerField(
        _("N as a multiple of the cadence"),
        null=True,
        blank=True,
        help_text=_(
            "For no meeting or call: N is this many times the segment's expected cadence "
            "(instead of a fixed number of days)."
        ),
    )
    flag_reason = models.CharField(
        _("flag reason"),
        max_length=20,
        choices=RiskFlag.Reason.choices,
        blank=True,
        help_text=_("For a raised flag: only flags of this reason (empty: any reason)."),
    )
    segment = models.ForeignKey(
        "customers.Segment",
        verbose_name=_("segment"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Empty: every segment."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("playbook")
        verbose_name_plural = _("playbooks")
        indexes = [models.Index(fields=["trigger", "is_active"], name="playbook_trigger_idx")]

    def __str__(self) -> str:
        return self.name


class PlaybookStep(models.Model):
    """One step of a playbook: becomes a task due on the trigger day plus its offset."""

    playbook = models.ForeignKey(
        Playbook, verbose_name=_("playbook"), related_name="steps", on_delete=models.CASCADE
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=StepKind.choices)
    title = models.CharField(_("title"), max_length=200)
    offset_days = models.IntegerField(
        _("due after (days)"),
        default=0,
        validators=[
            MinValueValidator(
                0, message=_("A step cannot be due before the trigger day (negative offset).")
            )
        ],
    )
    assignee = models.CharField(
        _("assignee"), max_length=10, choices=Assignee.choices, default=Assignee.OWNER
    )
    survey_kind = survey_kind_field()

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        constraints = [
            models.CheckConstraint(
                condition=Q(offset_days__gte=0), name="playbookstep_offset_not_negative"
            ),
            models.CheckConstraint(condition=SURVEY_STEP, name="playbookstep_survey_kind"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.kind != StepKind.SURVEY:
            self.survey_kind = ""  # left over from a survey step changed into another kind


class PlaybookVersion(models.Model):
    """A playbook as it was saved: the trigger and a frozen copy of its steps
    (``[{"kind", "title", "offset_days", "assignee"}, …]`` in order; a survey step also has
    its ``"survey_kind"``). Runs keep theirs."""

    playbook = models.ForeignKey(
        Playbook, verbose_name=_("playbook"), related_name="versions", on_delete=models.PROTECT
    )
    version = models.PositiveIntegerField(_("version"))
    name = models.CharField(_("name"), max_length=200)
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices)
    trigger_days = models.PositiveIntegerField(_("N days"), null=True, blank=True)
    cadence_multiple = models.PositiveSmallIntegerField(
        _("N as a multiple of the cadence"), null=True, blank=True
    )
    steps = models.JSONField(_("steps"), default=list)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )

    class Meta:
        ordering = ["playbook", "-version"]
        verbose_name = _("playbook version")
        verbose_name_plural = _("playbook versions")
        constraints = [
            models.UniqueConstraint(fields=["playbook", "version"], name="playbook_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class PlaybookRun(models.Model):
    """One playbook started on one account for one occurrence of its trigger (a span's first
    day, a flag, a contract's renewal, an absence, a transfer, an answer, a campaign)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        COMPLETE = "complete", _("Complete")
        CANCELLED = "cancelled", _("Cancelled")

    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        related_name="playbook_runs",
        on_delete=models.CASCADE,
    )
    playbook = models.ForeignKey(
        Playbook, verbose_name=_("playbook"), related_name="runs", on_delete=models.PROTECT
    )
    version = models.ForeignKey(
        PlaybookVersion, verbose_name=_("version"), related_name="runs", on_delete=models.PROTECT
    )
    occurrence = models.CharField(_("occurrence"), max_length=64)
    trigger_day = models.DateField(_("trigger day"))
    started_at = models.DateTimeField(_("started at"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    cancel_comment = models.TextField(_("why cancelled"), blank=True, max_length=COMMENT_MAX_LENGTH)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("playbook run")
        verbose_name_plural = _("playbook runs")
        constraints = [
            # The same occurrence never starts a second run…
            models.UniqueConstraint(
                fields=["account", "playbook", "occurrence"], name="playbookrun_one_per_occurrence"
            ),
            # …and no second run of a playbook starts on an account while one is open.
            models.UniqueConstraint(
                fields=["account", "playbook"],
                condition=Q(status="open"),
                name="playbookrun_one_open",
            ),
        ]
        indexes = [
            models.Index(
                fields=["account"], condition=Q(status="open"), name="playbookrun_open_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.playbook} – {self.account}"


def step_open(prefix: str = "") -> Q:
    """Steps neither done (their follow-up) nor skipped: ``RunStep.status == "open"`` in SQL
    (``prefix`` reaches the steps through a relation: ``"steps__"`` from a run)."""
    return follow_up_open(f"{prefix}follow_up__") & Q(**{f"{prefix}skipped_at__isnull": True})


class RunStep(models.Model):
    """A step of a run: its task is ``follow_up`` (done when the follow-up is). Skipped with a
    reason, it is closed and says why. A survey step sends its survey on its day by itself
    and keeps what that did in ``outcome`` (``{"queued": n, "skipped": {reason: n},
    "nobody": n}``, worded when read)."""

    run = models.ForeignKey(
        PlaybookRun, verbose_name=_("run"), related_name="steps", on_delete=models.CASCADE
    )
    position = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("kind"), max_length=10, choices=StepKind.choices)
    follow_up = models.OneToOneField(
        "interactions.FollowUp",
        verbose_name=_("task"),
        related_name="playbook_step",
        on_delete=models.CASCADE,
    )
    skipped_at = models.DateTimeField(_("skipped at"), null=True, blank=True)
    skip_reason = models.TextField(_("why skipped"), blank=True, max_length=COMMENT_MAX_LENGTH)
    survey_kind = survey_kind_field()
    outcome = models.JSONField(_("what it did"), default=dict, blank=True)

    class Meta:
        ordering = ["run", "position"]
        verbose_name = _("run step")
        verbose_name_plural = _("run steps")
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="runstep_unique_position"),
            models.CheckConstraint(condition=SURVEY_STEP, name="runstep_survey_kind"),
        ]
        indexes = [
            # The survey steps whose day has come (run_playbooks, each morning).
            models.Index(
                fields=["kind"],
                condition=Q(kind=StepKind.SURVEY, skipped_at__isnull=True),
                name="runstep_survey_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.run}: {self.position + 1}"

    @property
    def status(self) -> str:
        if self.skipped_at is not None:
            return "skipped"
        return "done" if self.follow_up.done_at is not None else "open"
