"""The daily digest: one email per user at 07:00, in their language (opt-out on their
settings page): what is due today, what became red, what waits for them. The risk-flag digest
is part of it (new flags on their accounts, each told once, and unconfirmed renewals due).

The run (beat at 07:00, ``start_daily_run``) first puts the follow-ups due today or overdue in
their owners' inboxes, then sends one task per user through ``crm.queue`` (after commit; kept
in the outbox while the broker is down). Each user's digest is claimed for the day by a
conditional update of ``User.digest_sent_on`` before it is written, so running the task twice,
or two beats at once, sends one email; if sending fails the claim is given back for the retry.
A user with nothing to be told gets no email.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm import inbox
from crm.i18n import format_money
from customers.selectors import pending_handovers_for, renewals_due
from interactions.calendar import entries as calendar
from interactions.calendar.reminders import post_due_follow_ups

from .health.scoring import active_configuration
from .health.wording import word
from .models import AccountHealth, Band, HealthScore, RiskFlag


@dataclass
class Digest:
    """What one user is told on ``day``."""

    user: object
    day: dt.date
    due: list = field(default_factory=list)
    overdue: dict = field(default_factory=dict)
    became_red: list = field(default_factory=list)
    flags: list = field(default_factory=list)
    renewals: list = field(default_factory=list)
    handovers: list = field(default_factory=list)
    unread: int = 0
    renewal_window: int = 90

    @property
    def is_empty(self) -> bool:
        return not (
            self.due
            or any(self.overdue.values())
            or self.became_red
            or self.flags
            or self.renewals
            or self.handovers
            or self.unread
        )


def recipients(day: dt.date):
    """Who gets a digest on ``day``: active users with an email address who did not opt out
    and were not sent one yet."""
    return (
        get_user_model()
        .objects.filter(is_active=True, daily_digest=True)
        .exclude(email="")
        .filter(Q(digest_sent_on__isnull=True) | Q(digest_sent_on__lt=day))
    )


def start_daily_run(*, today: dt.date | None = None, send: Callable[[int, str], None]) -> dict:
    """The 07:00 run: post the follow-ups due to the inboxes, then ``send(user_id, day)``
    for every recipient (the caller enqueues the per-user task)."""
    day = today or timezone.localdate()
    due = post_due_follow_ups(today=day)
    ids = list(recipients(day).order_by("pk").values_list("pk", flat=True))
    for user_id in ids:
        send(user_id, day.isoformat())
    return {"day": day.isoformat(), "users": len(ids), "follow_ups_due": due}


def _claim(user_id: int, day: dt.date):
    """The user's digest of ``day``, claimed; None when it is claimed already (or the user
    opted out meanwhile). Returns the day it was sent before, to give the claim back."""
    users = get_user_model().objects.filter(pk=user_id)
    before = users.values_list("digest_sent_on", flat=True).first()
    if recipients(day).filter(pk=user_id).update(digest_sent_on=day) != 1:
        return None
    return users.select_related("team").get(), before


def _became_red(user, day: dt.date) -> list:
    """Accounts of ``user`` that are red now and were not at their score before."""
    before = (
        HealthScore.objects.filter(account_id=OuterRef("account_id"), scored_on__lt=day)
        .order_by("-scored_on")
        .values("band")[:1]
    )
    return list(
        AccountHealth.objects.filter(account__owner=user, band=Band.RED, scored_on__gte=day)
        .annotate(before=Subquery(before))
        .exclude(before=Band.RED)
        .select_related("account")
        .order_by("score", "account__name")
    )


def _claim_flags(user, at) -> list:
    """Open flags on ``user``'s accounts nobody told them about, claimed (``notified_at``)."""
    fresh = RiskFlag.objects.filter(
        account__owner=user, status=RiskFlag.Status.OPEN, notified_at__isnull=True
    )
    RiskFlag.objects.filter(pk__in=fresh.values("pk"), notified_at__isnull=True).update(
        notified_at=at
    )
    return list(
        RiskFlag.objects.filter(account__owner=user, notified_at=at)
        .select_related("account")
        .order_by("account__name", "reason")
    )


def _renewals(user, day: dt.date, window: int) -> list:
    return list(
        renewals_due(day, window)
        .filter(account__owner=user)
        .select_related("account")
        .order_by("end_date", "reference")
    )


def gather(user, day: dt.date, *, claimed_at) -> Digest:
    """Everything ``user``'s digest of ``day`` says (claims their new flags)."""
    whose = calendar.Whose(person=user)
    window = active_configuration().renewal_window_days
    flags = _claim_flags(user, claimed_at)
    return Digest(
        user=user,
        day=day,
        due=calendar.entries(user, whose, day, day, today=day),
        overdue=calendar.overdue_counts(user, whose, today=day),
        became_red=_became_red(user, day),
        flags=flags,
        renewals=_renewals(user, day, window) if flags else [],
        handovers=list(pending_handovers_for(user)[:20]),
        unread=inbox.unread_count(user),
        renewal_window=window,
    )


def send_digest(*, user_id: int, day: dt.date) -> bool:
    """Write and send ``user_id``'s digest of ``day``, once. True when an email went out."""
    claimed_at = timezone.now()
    with transaction.atomic():
        claim = _claim(user_id, day)
        if claim is None:
            return False
        user, before = claim
        digest = gather(user, day, claimed_at=claimed_at)
    if digest.is_empty:
        return False
    try:
        email(digest).send()
    except Exception:
        # Not sent: give the claims back, so the retry (or tomorrow) tells it all.
        get_user_model().objects.filter(pk=user_id, digest_sent_on=day).update(
            digest_sent_on=before
        )
        RiskFlag.objects.filter(notified_at=claimed_at, account__owner_id=user_id).update(
            notified_at=None
        )
        raise
    return True


# --- the email ------------------------------------------------------------------------------


def email(digest: Digest) -> EmailMessage:
    """The digest as a plain-text email in the user's language."""
    user = digest.user
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = _("Treue: your day, %(day)s") % {
            "day": formats.date_format(digest.day, "DATE_FORMAT")
        }
        return EmailMessage(subject, "\n".join(_lines(digest)), to=[user.email])


def _lines(d: Digest) -> list[str]:
    site = getattr(settings, "SITE_URL", "http://127.0.0.1:8000").rstrip("/")
    lines = [_("Hello %(name)s,") % {"name": d.user.first_name or d.user.username}, ""]
    if d.due:
        lines.append(_("Due today:"))
        lines += [f"- {entry.title}\n  {site}{entry.url}" for entry in d.due]
        lines.append("")
    overdue = []
    if d.overdue.get("follow_ups"):
        n = d.overdue["follow_ups"]
        overdue.append(ngettext("%(n)s follow-up", "%(n)s follow-ups", n) % {"n": n})
    if d.overdue.get("touches"):
        n = d.overdue["touches"]
        overdue.append(ngettext("%(n)s planned touch", "%(n)s planned touches", n) % {"n": n})
    if overdue:
        lines += [_("Overdue: %(what)s.") % {"what": ", ".join(overdue)}, ""]
    if d.became_red:
        lines.append(_("Became red:"))
        for health in d.became_red:
            lines.append(f"- {health.account} ({_('score')} {health.score})")
            lines.append(f"  {site}{health.account.get_absolute_url()}")
        lines.append("")
    if d.flags:
        lines.append(_("New risk flags on your accounts:"))
        for flag in d.flags:
            lines.append(f"- {flag.account} — {flag.get_reason_display()}: {word(flag.why)}")
            lines.append(f"  {site}{flag.account.get_absolute_url()}")
        lines.append("")
    if d.renewals:
        lines.append(
            _("Renewals due within %(days)s days, not confirmed:") % {"days": d.renewal_window}
        )
        for c in d.renewals:
            text = _("%(account)s: %(ref)s ends on %(day)s (in %(days)s days), %(value)s a month")
            values = {
                "account": c.account,
                "ref": c.reference,
                "day": formats.date_format(c.end_date, "DATE_FORMAT"),
                "days": (c.end_date - d.day).days,
                "value": format_money(c.monthly_value),
            }
            lines.append("- " + text % values)
        lines.append("")
    if d.handovers or d.unread:
        lines.append(_("Waiting for you:"))
        for transfer in d.handovers:
            lines.append(
                "- " + _("handover of %(account)s to acknowledge") % {"account": transfer.account}
            )
        if d.unread:
            text = ngettext(
                "%(n)s unread item in your inbox", "%(n)s unread items in your inbox", d.unread
            )
            lines.append(f"- {text % {'n': d.unread}}: {site}/inbox/")
        lines.append("")
    lines += [
        _("You get this email every morning; switch it off on your settings page:"),
        f"{site}/settings/",
        "",
        "— Treue",
    ]
    return lines
