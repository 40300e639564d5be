"""Teams and users: what every app shares."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
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
