"""What the health model and the risk flags say, stored as messages and worded when read.

The scoring run stores what it saw, not a sentence: a message is a dict of a message id and
its parameters, e.g. ``{"id": "no_meeting", "days": 47, "cadence": 30}``. A score's reasons
(one per measure) and guard notes, a flag's explanation and the comments the nightly run writes
into a flag's history are messages. ``word`` turns one into a sentence in the active language
when a page, the API, an export or an email reads it; ``MESSAGES`` says, per id, which msgid
words it and how each parameter is shown to the reader (a date in the language's format, money
in the installation's currency, a band or a category as the language's word).

Rows written before messages were stored hold their sentence as text: ``word`` returns such a
text as it is. Nothing parses stored text back. A message id, once stored, stays in
``MESSAGES`` (rename its msgid, never its id or its parameters).
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_noop, ngettext_lazy

from crm.i18n import format_money

Message = dict[str, Any]

# --- the words a message holds as a key -------------------------------------------------------

BAND_WORDS = {
    "green": gettext_noop("green"),
    "yellow": gettext_noop("yellow"),
    "red": gettext_noop("red"),
}
# The CSM's own reading.
READING_WORDS = {
    "green": gettext_noop("green"),
    "amber": gettext_noop("amber"),
    "red": gettext_noop("red"),
}
# The tone a CSM gave a logged interaction.
TONE_WORDS = {
    "positive": gettext_noop("positive"),
    "neutral": gettext_noop("neutral"),
    "negative": gettext_noop("negative"),
}
CATEGORY_WORDS = {
    "promoter": gettext_noop("promoter"),
    "passive": gettext_noop("passive"),
    "detractor": gettext_noop("detractor"),
}
MEASURE_WORDS = {
    "engagement": gettext_noop("engagement"),
    "sentiment": gettext_noop("CSM sentiment"),
    "problems": gettext_noop("open problems"),
    "relationship": gettext_noop("relationship"),
    "voice": gettext_noop("voice of the customer"),
    "commercial": gettext_noop("commercial"),
}
# Whether the champion (or the decision maker) was met within the window.
CONTACT_WORDS = {
    "met": gettext_noop("met"),
    "not_met": gettext_noop("not met"),
    "not_named": gettext_noop("not named"),
}


def word_for(words: Mapping[str, str], key) -> str:
    """``key``'s word in the active language; an unknown key as it is."""
    return gettext(words[key]) if key in words else str(key)


# --- how a parameter is shown -----------------------------------------------------------------


def _number(value):
    """Whole numbers as they are (a plural form is picked by them); others in the language's
    format ("1,5" in German)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    return formats.number_format(value, use_l10n=True)


def _date(value) -> str:
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return formats.date_format(day, "DATE_FORMAT")


def _money(value) -> str:
    try:
        return format_money(Decimal(str(value)))
    except InvalidOperation:
        return str(value)


def _costs(value) -> str:
    """The reasons that cost most points: "-18: no meeting …; -12: the CSM reads red …"."""
    return "; ".join(f"{c['impact']}: {word(c['message'])}" for c in value)


FORMATS = {
    "number": _number,
    "date": _date,
    "money": _money,
    "text": str,  # a person's words, shown as they wrote them
    "band": lambda v: word_for(BAND_WORDS, v),
    "reading": lambda v: word_for(READING_WORDS, v),
    "tone": lambda v: word_for(TONE_WORDS, v),
    "category": lambda v: word_for(CATEGORY_WORDS, v),
    "contact": lambda v: word_for(CONTACT_WORDS, v),
    "measures": lambda v: ", ".join(word_for(MEASURE_WORDS, k) for k in v),
    "message": lambda v: word(v),
    "costs": _costs,
}


@dataclass(frozen=True, slots=True)
class Wording:
    """How one message id is worded: its msgid (``gettext_noop``), or its singular and
    plural (``ngettext_lazy`` naming the parameter that picks the form), and how each
    parameter is shown (``kinds``; a number when not named)."""

    msgid: str | Promise
    kinds: Mapping[str, str] = field(default_factory=dict)

    def render(self, params: Mapping[str, Any]) -> str:
        values = {
            name: FORMATS[self.kinds.get(name, "number")](value)
            for name, value in params.items()
            if name != "id"
        }
        if isinstance(self.msgid, Promise):
            return str(self.msgid % values)  # the plural form of the count in ``values``
        return gettext(self.msgid) % values


MESSAGES: dict[str, Wording] = {
    # the measures (retention.health.measures)
    "no_contact_yet": Wording(gettext_noop("no meeting or call logged yet")),
    "last_contact": Wording(
        ngettext_lazy(
            "last meeting or call %(days)s day ago (expected every %(cadence)s)",
            "last meeting or call %(days)s days ago (expected every %(cadence)s)",
            "days",
        )
    ),
    "no_meeting": Wording(
        gettext_noop("no meeting or call for %(days)s days (expected every %(cadence)s)")
    ),
    "no_sentiment": Wording(gettext_noop("no CSM sentiment in the last %(days)s days")),
    "sentiment_logged": Wording(
        ngettext_lazy(
            "the CSM logged an interaction as %(sentiment)s %(days)s day ago",
            "the CSM logged an interaction as %(sentiment)s %(days)s days ago",
            "days",
        ),
        {"sentiment": "tone"},
    ),
    "sentiment_read": Wording(
        ngettext_lazy(
            "the CSM reads %(sentiment)s (%(days)s day ago)",
            "the CSM reads %(sentiment)s (%(days)s days ago)",
            "days",
        ),
        {"sentiment": "reading"},
    ),
    "no_problems": Wording(gettext_noop("no open problems")),
    "open_problems": Wording(
        ngettext_lazy(
            "%(n)s open problem: %(high)s high severity, %(days)s days old",
            "%(n)s open problems: %(high)s high severity, the oldest %(days)s days old",
            "n",
        )
    ),
    "no_contacts": Wording(gettext_noop("no contacts recorded")),
    "champion_gone": Wording(
        gettext_noop("the champion left on %(day)s and no new champion is named"),
        {"day": "date"},
    ),
    "relationship": Wording(
        gettext_noop(
            "champion %(champion)s, decision maker %(dm)s within %(days)s days; "
            "%(colleagues)s of our team in touch"
        ),
        {"champion": "contact", "dm": "contact"},
    ),
    "voice_onboarding": Wording(gettext_noop("left out during onboarding")),
    "no_voice": Wording(gettext_noop("no NPS or CSAT in the last %(days)s days")),
    "voice": Wording(
        ngettext_lazy(
            "latest %(kind)s %(score)s (%(category)s, %(days)s day ago)",
            "latest %(kind)s %(score)s (%(category)s, %(days)s days ago)",
            "days",
        ),
        {"kind": "text", "category": "category"},
    ),
    "no_contract": Wording(gettext_noop("no active contract")),
    "notice": Wording(gettext_noop("notice given on %(day)s"), {"day": "date"}),
    "cancelled": Wording(gettext_noop("contract cancelled from %(day)s"), {"day": "date"}),
    "downgrade": Wording(
        gettext_noop("MRR down from %(then)s to %(now)s within %(days)s days"),
        {"then": "money", "now": "money"},
    ),
    "renewal_due": Wording(
        ngettext_lazy(
            "renewal on %(day)s (in %(days)s day) not confirmed",
            "renewal on %(day)s (in %(days)s days) not confirmed",
            "days",
        ),
        {"day": "date"},
    ),
    "no_renewal_due": Wording(gettext_noop("no unconfirmed renewal within %(days)s days")),
    # the guards
    "onboarding": Wording(
        gettext_noop(
            "onboarding (day %(day)s of %(days)s): voice of the customer left out, "
            "engagement weighs ×%(factor)s"
        )
    ),
    "capped": Wording(
        gettext_noop("band at best yellow: %(measures)s poor"), {"measures": "measures"}
    ),
    "on_watch": Wording(
        ngettext_lazy(
            "on watch: the owner changed %(days)s day ago",
            "on watch: the owner changed %(days)s days ago",
            "days",
        )
    ),
    # the flags' explanations (retention.health.flags)
    "band_state": Wording(
        gettext_noop("the account is %(band)s (score %(score)s)"), {"band": "band"}
    ),
    "entered_red": Wording(
        gettext_noop("score %(score)s is red (below %(yellow)s): %(reasons)s"),
        {"reasons": "costs"},
    ),
    "score_drop": Wording(
        gettext_noop("score fell %(drop)s points within %(days)s days (from %(peak)s to %(now)s)")
    ),
    "champion_left": Wording(
        ngettext_lazy(
            "the champion left on %(day)s (%(days)s day ago); no new champion is named",
            "the champion left on %(day)s (%(days)s days ago); no new champion is named",
            "days",
        ),
        {"day": "date"},
    ),
    "renewal_at_risk": Wording(
        ngettext_lazy(
            "renewal on %(day)s (in %(days)s day) is not confirmed and %(state)s",
            "renewal on %(day)s (in %(days)s days) is not confirmed and %(state)s",
            "days",
        ),
        {"day": "date", "state": "message"},
    ),
    "owner_changed": Wording(
        ngettext_lazy(
            "the owner changed %(days)s day ago (on %(day)s) and %(state)s",
            "the owner changed %(days)s days ago (on %(day)s) and %(state)s",
            "days",
        ),
        {"day": "date", "state": "message"},
    ),
    # what the nightly run writes into a flag's history
    "no_longer_customer": Wording(gettext_noop("no longer a customer")),
    "no_score": Wording(gettext_noop("no score (no measure has data)")),
    "resolved_itself": Wording(
        gettext_noop("resolved itself: the condition no longer holds (%(state)s)"),
        {"state": "message"},
    ),
    "snooze_ended": Wording(gettext_noop("the snooze ended on %(day)s"), {"day": "date"}),
    # a person's snooze, with their reason
    "snoozed": Wording(
        gettext_noop("until %(day)s: %(reason)s"), {"day": "date", "reason": "text"}
    ),
}


def message(message_id: str, **params) -> Message:
    """A message to store: ``message("no_meeting", days=47, cadence=30)``. Dates are stored
    as ISO text and money as a decimal string, so the stored form compares equal to a fresh
    one after a trip through JSON."""
    if message_id not in MESSAGES:
        raise KeyError(f"unknown message id {message_id!r}")
    stored: Message = {"id": message_id}
    for name, value in params.items():
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = f"{value:.2f}"
        stored[name] = value
    return stored


def word(said) -> str:
    """A stored message worded in the active language; a text stored before messages were
    (or a person's comment) as it is; empty for nothing."""
    if not said:
        return ""
    if not isinstance(said, Mapping):
        return str(said)
    wording = MESSAGES.get(said.get("id"))
    if wording is not None:
        try:
            return wording.render(said)
        except (KeyError, TypeError, ValueError):
            pass
    # A message this version cannot word (an id or parameters of another version): its id,
    # rather than an error page.
    return str(said.get("id", ""))
