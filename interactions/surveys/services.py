"""Sending surveys and taking their answers. Each rule has its home here: who is asked (not
without an email, not after leaving, not after unsubscribing, not twice in 90 days), the
personal link (a random token; only its SHA-256 is stored), how long it lives, and how an
answer becomes (or changes) the account's feedback through ``interactions.services``."""

import datetime as dt
import hashlib
import secrets
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, urlize
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from crm.db import insert_rows
from customers.models import Account, Contact

from .. import services as feedback_services
from ..feedback import SCALES
from ..models import COMMENT_MAX_LENGTH, SurveySend, SurveyTemplate
from .defaults import SHIPPED

# Why a contact was not asked, in the order the rules are checked.
NO_EMAIL, LEFT, UNSUBSCRIBED, ASKED_RECENTLY, OTHER_ACCOUNT = (
    "no_email",
    "left",
    "unsubscribed",
    "asked_recently",
    "other_account",
)
REASONS = {
    NO_EMAIL: gettext_lazy("no email address"),
    LEFT: gettext_lazy("left the company"),
    UNSUBSCRIBED: gettext_lazy("unsubscribed"),
    ASKED_RECENTLY: gettext_lazy("asked within the last %(days)s days"),
    OTHER_ACCOUNT: gettext_lazy("contact of another account"),
}
# What the rules read of a contact (and the language of its email), in this order.
RULE_FIELDS = ("pk", "account_id", "email", "left_on", "surveys_unsubscribed_at", "language")
# Sends per delivery task (one message to the broker), and emails per SMTP connection.
BATCH = 1000
PER_CONNECTION = 100


def link_days() -> int:
    return getattr(settings, "SURVEY_LINK_DAYS", 30)


def quiet_days() -> int:
    return getattr(settings, "SURVEY_QUIET_DAYS", 90)


def company_name() -> str:
    return getattr(settings, "SURVEY_COMPANY_NAME", "Treue")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> tuple[str, str]:
    """A personal link's random token and the hash stored in its place."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def reason_text(reason: str) -> str:
    return str(REASONS[reason]) % {"days": quiet_days()}


@dataclass
class SendResult:
    """What ``send_surveys`` did: the sends queued (their ids) and, per contact, why one was
    not asked."""

    queued_ids: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)  # contact id -> reason
    accounts: set[int] = field(default_factory=set)  # the accounts of the contacts considered
    nobody: int = 0  # accounts asked for without a decision maker or champion to ask

    @property
    def queued(self) -> "QuerySet[SurveySend]":
        return SurveySend.objects.filter(pk__in=self.queued_ids).order_by("pk")

    @property
    def skipped_counts(self) -> dict[str, int]:
        return dict(Counter(self.skipped.values()))

    def message(self) -> str:
        """One sentence for the sender: how many were asked, how many not and why."""
        return describe(
            queued=len(self.queued_ids), skipped=self.skipped_counts, nobody=self.nobody
        )


def describe(*, queued: int, skipped: dict[str, int], nobody: int = 0) -> str:
    """What a send did, in the reader's language: how many contacts were asked, how many
    skipped and why (``skipped``: reason → count), how many accounts had nobody to ask.
    Also words a playbook step's stored outcome."""
    text = _("Survey sent to %(n)s contact(s).") % {"n": queued}
    if skipped:
        why = ", ".join(f"{count} {reason_text(reason)}" for reason, count in skipped.items())
        text += " " + _("Skipped %(n)s: %(why)s.") % {"n": sum(skipped.values()), "why": why}
    if nobody:
        text += " " + ngettext(
            "%(n)s account has no decision maker or champion to ask.",
            "%(n)s accounts have no decision maker or champion to ask.",
            nobody,
        ) % {"n": nobody}
    return text


def validate_kind(kind: str) -> None:
    if kind not in ("nps", "csat"):
        raise ValidationError({"kind": _("Choose NPS or CSAT.")})


def default_recipients(accounts) -> "QuerySet[Contact]":
    """Who a survey asks unless someone picks (the account page ticks them, a bulk send and a
    playbook step ask them): the decision makers and champions still there. ``accounts``: a
    queryset of accounts or their ids."""
    return Contact.objects.filter(
        Q(is_decision_maker=True) | Q(is_champion=True),
        account__in=accounts,
        left_on__isnull=True,
    ).order_by("account_id", "pk")


def send_surveys(
    *,
    account: Account | None,
    contacts: "Iterable[Contact] | QuerySet[Contact]",
    kind: str,
    sender=None,
    now: dt.datetime | None = None,
) -> SendResult:
    """Ask ``contacts`` (of ``account``; of any accounts when it is None: a bulk send from a
    selection or a playbook step) an NPS or CSAT question by email. The emails go out through
    Celery once the transaction commits (kept in the outbox while the broker is down), a
    thousand to a task.

    Set-based for a selection of thousands (bench/bench_surveys.py): one query reads each
    contact's fields the rules ask and whether it was asked lately, one statement writes the
    sends."""
    validate_kind(kind)
    now = now or timezone.now()
    if not isinstance(contacts, QuerySet):
        contacts = Contact.objects.filter(pk__in=[c.pk for c in contacts])
    since = now - dt.timedelta(days=quiet_days())
    asked = SurveySend.objects.filter(contact_id=OuterRef("pk"), queued_at__gte=since)
    rows = (
        contacts.annotate(asked_recently=Exists(asked))
        .order_by("account_id", "pk")
        .values_list(*RULE_FIELDS, "asked_recently")
    )
    today = timezone.localdate(now)
    result = SendResult()
    asking: list[tuple] = []  # (account id, contact id, language)
    seen: set[int] = set()
    for row in rows:
        if row[0] in seen:
            continue
        seen.add(row[0])
        result.accounts.add(row[1])
        if reason := _skip_reason(row, account, today):
            result.skipped[row[0]] = reason
        else:
            asking.append((row[1], row[0], row[5] or settings.LANGUAGE_CODE))
    tokens, hashes = zip(*(new_token() for _row in asking), strict=True) if asking else ((), ())
    with transaction.atomic():
        result.queued_ids = insert_rows(
            SurveySend,
            columns={
                "account_id": [a for a, _c, _l in asking],
                "contact_id": [c for _a, c, _l in asking],
                "language": [lang for _a, _c, lang in asking],
                "token_hash": list(hashes),
            },
            same={
                "kind": kind,
                "sender_id": sender.pk if sender is not None else None,
                "status": SurveySend.Status.QUEUED,
                "queued_at": now,
                "expires_at": now + dt.timedelta(days=link_days()),
            },
        )
        pairs = [[pk, token] for pk, token in zip(result.queued_ids, tokens, strict=True)]
        if pairs:
            deliver_later([pairs[start : start + BATCH] for start in range(0, len(pairs), BATCH)])
    return result


def send_to_accounts(
    *,
    accounts: "QuerySet[Account]",
    kind: str,
    sender=None,
    now: dt.datetime | None = None,
    count: int | None = None,
) -> SendResult:
    """Ask the decision makers and champions of ``accounts`` (``default_recipients``), by the
    rules of ``send_surveys``: a bulk send from a list's selection, a playbook's survey step.
    The result also counts the accounts that have nobody to ask (``count``: how many accounts
    there are, when the caller counted them already)."""
    result = send_surveys(
        account=None, contacts=default_recipients(accounts), kind=kind, sender=sender, now=now
    )
    result.nobody = (accounts.count() if count is None else count) - len(result.accounts)
    return result


def _skip_reason(row: tuple, account, today: dt.date) -> str:
    _pk, account_id, address, left_on, unsubscribed_at, _language, asked_recently = row
    if account is not None and account_id != account.pk:
        return OTHER_ACCOUNT
    if not address:
        return NO_EMAIL
    if left_on is not None and left_on <= today:
        return LEFT
    if unsubscribed_at is not None:
        return UNSUBSCRIBED
    if asked_recently:
        return ASKED_RECENTLY
    return ""


def deliver_later(batches: list[list[list]]) -> None:
    """Hand the batches of (send id, token) to the workers after commit, over one broker
    connection. The raw tokens travel only in these messages (or in the outbox rows while the
    broker is down) until the emails are sent."""
    from crm.queue import enqueue_many_safely

    from ..tasks import deliver_surveys

    enqueue_many_safely(deliver_surveys, [(batch,) for batch in batches])


def deliver_here(batches: list[list[list]]) -> None:
    """Deliver the batches in this process, one after another, as the workers would (for
    tests, the bench and a shell)."""
    for batch in batches:
        deliver(batch)


# --- the email ------------------------------------------------------------------------------


def answer_url(token: str) -> str:
    site = getattr(settings, "SITE_URL", "http://127.0.0.1:8000").rstrip("/")
    return site + reverse("survey_answer", args=[token])


def _fill(text: str, values: dict) -> str:
    # Plain replacement, not str.format: an admin's braces cannot reach attributes.
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def template_for(kind: str, language: str) -> SurveyTemplate:
    """The email and question of ``kind`` in ``language``: the admin's template, else the
    shipped text in that language; failing both (a language we ship no text in), the same in
    the installation's language, and at last the shipped English. Never missing: a send or an
    answer page does not fail because an admin deleted a template. One query."""
    stored = {
        t.language: t
        for t in SurveyTemplate.objects.filter(
            kind=kind, language__in=[language, settings.LANGUAGE_CODE]
        )
    }
    for lang in (language, settings.LANGUAGE_CODE, "en"):
        if lang in stored:
            return stored[lang]
        if (kind, lang) in SHIPPED:
            subject, question, body = SHIPPED[(kind, lang)]
            return SurveyTemplate(
                kind=kind, language=lang, subject=subject, question=question, body=body
            )
    raise ValueError(f"Not a survey kind: {kind}")


def email(send: SurveySend, token: str, template: SurveyTemplate) -> EmailMultiAlternatives:
    """The survey email: the admin's template filled in, plain text and HTML."""
    link = answer_url(token)
    values = {
        "name": send.contact.name,
        "company": company_name(),
        "link": link,
        "unsubscribe": link + "?unsubscribe=1",
    }
    body = _fill(template.body, values)
    html_values = {k: escape(v) for k, v in values.items()}
    html = _fill(escape(template.body), html_values)
    html = "<br>\n".join(urlize(html, autoescape=False).splitlines())
    message = EmailMultiAlternatives(
        _fill(template.subject, values).replace("\n", " ")[:200], body, to=[send.contact.email]
    )
    message.attach_alternative(
        f"<!doctype html><html><body><p>{html}</p></body></html>", "text/html"
    )
    return message


def deliver(pairs: list[list]) -> int:
    """Send the emails of these queued sends, a hundred to an SMTP connection, and mark them
    sent. When the server fails, those sent so far are marked sent and the rest failed, and
    it raises so that the task is retried: a retry sends the failed ones, never one twice."""
    tokens = {int(pk): token for pk, token in pairs}
    sends = list(
        SurveySend.objects.filter(
            pk__in=tokens, status__in=[SurveySend.Status.QUEUED, SurveySend.Status.FAILED]
        ).select_related("contact")
    )
    templates: dict[tuple[str, str], SurveyTemplate] = {}
    messages = []
    for send in sends:
        key = (send.kind, send.language)
        if key not in templates:
            templates[key] = template_for(*key)
        messages.append((send.pk, email(send, tokens[send.pk], templates[key])))
    sent: list[int] = []
    try:
        for start in range(0, len(messages), PER_CONNECTION):
            part = messages[start : start + PER_CONNECTION]
            with get_connection() as connection:
                for pk, message in part:
                    connection.send_messages([message])
                    sent.append(pk)
    except Exception:
        SurveySend.objects.filter(pk__in=[pk for pk, _m in messages[len(sent) :]]).update(
            status=SurveySend.Status.FAILED
        )
        raise
    finally:
        SurveySend.objects.filter(pk__in=sent).update(
            status=SurveySend.Status.SENT, sent_at=timezone.now()
        )
    return len(sent)


# --- the answer -----------------------------------------------------------------------------


def find_live(token: str, *, now: dt.datetime | None = None) -> SurveySend | None:
    """The send of a link that can still be answered; None when unknown, forged or expired
    (the caller shows the same page for all)."""
    if not token or len(token) > 100:
        return None
    return (
        SurveySend.objects.live(now)
        .select_related("account", "contact")
        .filter(token_hash=hash_token(token))
        .first()
    )


def clean_answer(send: SurveySend, score, comment) -> tuple[int, str]:
    """The score on the survey's scale, in ASCII digits (``int()`` would read other scripts'
    digits, signs and underscores too), and a comment of at most 5,000 characters without NUL
    (PostgreSQL cannot store one)."""
    low, high = SCALES[send.kind]
    errors = {}
    text = "" if score is None else str(score).strip()
    value = int(text) if len(text) <= 2 and text.isascii() and text.isdigit() else None
    if value is None or not low <= value <= high:
        errors["score"] = _("Choose a number from %(low)s to %(high)s.") % {
            "low": low,
            "high": high,
        }
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        errors["comment"] = _("A comment has at most %(n)s characters.") % {"n": COMMENT_MAX_LENGTH}
    elif "\x00" in comment:
        errors["comment"] = _("Null characters are not allowed.")
    if errors:
        raise ValidationError(errors)
    return value, comment


@transaction.atomic
def answer(*, send: SurveySend, score, comment: str = "", now: dt.datetime | None = None):
    """Take (or change) the answer of a live link: the survey's row and the account's
    feedback (timeline, the owner's inbox for a detractor, the detractor play). The account
    is scored again by a worker, seconds later: nobody waits for the score on the customer's
    page, and it was half of the answer's time (bench/bench_surveys.py)."""
    now = now or timezone.now()
    send = (
        SurveySend.objects.select_for_update(of=("self",))
        .select_related("account__owner", "contact", "sender", "feedback")
        .get(pk=send.pk)
    )
    if send.expires_at <= now:
        raise ValidationError(_("This link has expired."))
    score, comment = clean_answer(send, score, comment)
    label = _("Survey of %(date)s") % {"date": send.queued_at.date().isoformat()}
    text = f"{label}\n{comment}" if comment else label
    if send.feedback_id is None:
        send.feedback = feedback_services.record_feedback(
            account=send.account,
            kind=send.kind,
            score=score,
            received_on=timezone.localdate(now),
            contact=send.contact,
            author=send.sender,
            comment=text,
            rescore_later=True,
        )
    else:
        feedback_services.update_feedback(
            feedback=send.feedback,
            kind=send.kind,
            score=score,
            received_on=timezone.localdate(now),
            contact=send.contact,
            comment=text,
            rescore_later=True,
        )
    send.score, send.comment, send.answered_at = score, comment, now
    send.save(update_fields=["score", "comment", "answered_at", "feedback"])
    return send


@transaction.atomic
def unsubscribe(*, send: SurveySend, now: dt.datetime | None = None) -> None:
    """The contact asks for no more surveys (their link's other uses stay as they were)."""
    Contact.objects.filter(pk=send.contact_id, surveys_unsubscribed_at__isnull=True).update(
        surveys_unsubscribed_at=now or timezone.now()
    )
