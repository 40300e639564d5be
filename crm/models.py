"""Teams and users: what every app shares."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """The roles, each a Django group of the same name (created by a data migration)."""

    CSM = "CSM", _("Customer success manager")
    TEAM_LEAD = "Team lead", _("Team lead")
    ADMIN = "Admin", _("Admin")


class User(AbstractUser):
    """A person at our company: a CSM, a team lead or an admin, in at most one team."""

    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        related_name="members",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )

    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Empty: the browser's language."),
    )
    daily_digest = models.BooleanField(
        _("daily digest email"),
        default=True,
        help_text=_("An email at 07:00 with what is due today, what became red and what waits."),
    )
    # The day the last digest was claimed for (a conditional update: never two on one day).
    digest_sent_on = models.DateField(_("digest sent on"), null=True, blank=True, editable=False)
    # The private calendar feed's key; its URL carries the key signed with SECRET_KEY
    # (crm.feeds), so the table alone does not give anyone the URL. New key = old URL 404.
    calendar_key = models.CharField(
        _("calendar feed key"), max_length=32, unique=True, null=True, blank=True, editable=False
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["first_name", "last_name", "username"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="user_email_ci_unique",
            )
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def has_role(self, role: Role) -> bool:
        # Cached on the instance: the role is asked for several times per request.
        if not hasattr(self, "_role_names"):
            self._role_names = set(self.groups.values_list("name", flat=True))
        return role.value in self._role_names

    @property
    def is_admin_role(self) -> bool:
        return self.is_superuser or self.has_role(Role.ADMIN)

    @property
    def is_team_lead(self) -> bool:
        return self.has_role(Role.TEAM_LEAD)

    @property
    def is_csm(self) -> bool:
        return self.has_role(Role.CSM)


class PendingTask(models.Model):
    """A Celery task the broker refused (it was down): kept here and sent again later by
    ``crm.queue.send_pending_tasks`` (beat, every few minutes; before each successful enqueue;
    ``manage.py send_pending_tasks``). Deleted once the broker has accepted the message. The
    same task with the same arguments is kept once (``fingerprint``): tasks are idempotent."""

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    fingerprint = models.CharField(_("fingerprint"), max_length=64, unique=True, editable=False)
    first_failed_at = models.DateTimeField(_("first failed at"))
    last_failed_at = models.DateTimeField(_("last failed at"))
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["first_failed_at", "pk"]
        verbose_name = _("pending task")
        verbose_name_plural = _("pending tasks")

    def __str__(self) -> str:
        return f"{self.task} ({self.attempts})"


class InboxItem(models.Model):
    """Something that needs a user: a message id and its parameters, worded when read in the
    reader's language (``crm.inbox``), a link to its place, read or not. Filled by the apps
    that cause it, in the same transaction; ``topic`` names what it is about ("flag:12"),
    so the item is settled (read) when that is dealt with and never posted twice."""

    class Kind(models.TextChoices):
        FLAG_RAISED = "flag_raised", _("Risk flag raised")
        HANDOVER = "handover", _("Handover to acknowledge")
        HANDOVER_REQUEST = "handover_request", _("Handover to approve")
        TASK_DUE = "task_due", _("Task due")
        DETRACTOR = "detractor", _("Detractor answer")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        related_name="inbox_items",
        on_delete=models.CASCADE,
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    message = models.CharField(_("message id"), max_length=50)
    params = models.JSONField(_("message parameters"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=500)
    topic = models.CharField(_("about"), max_length=100)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("inbox item")
        verbose_name_plural = _("inbox items")
        indexes = [
            models.Index(fields=["user", "-created_at"], name="inbox_user_time_idx"),
            # The navigation's unread count: an index-only count of a handful of entries.
            models.Index(
                fields=["user"], condition=models.Q(read_at__isnull=True), name="inbox_unread_idx"
            ),
            models.Index(
                fields=["topic"], condition=models.Q(read_at__isnull=True), name="inbox_topic_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "topic"], name="inbox_once_per_topic"),
            models.CheckConstraint(
                condition=models.Q(link__startswith="/"), name="inbox_link_is_a_path"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_kind_display()} ({self.topic})"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
