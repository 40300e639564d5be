"""What surveys make of an account (its answers per month and contact, for the account page)
and the one way NPS, CSAT and response rates are computed (the report uses them too)."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from crm.charts import Series, line_chart
from crm.periods import add_months, months_between

from ..feedback import DETRACTOR, PROMOTER, thresholds_in_force
from ..models import SurveySend


def _one_decimal(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def nps_of(promoters: int, detractors: int, answers: int) -> float | None:
    """% promoters − % detractors of the NPS answers, half-up to one decimal; None without
    answers."""
    if not answers:
        return None
    return _one_decimal(Decimal(100 * (promoters - detractors)) / answers)


def csat_of(satisfied: int, answers: int) -> float | None:
    """% of the CSAT answers that are satisfied (promoter or passive by the thresholds)."""
    return _one_decimal(Decimal(100 * satisfied) / answers) if answers else None


def rate_of(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent, half-up to one decimal; None of nothing."""
    return _one_decimal(Decimal(100 * part) / whole) if whole else None


HISTORY_MONTHS = 12
# The account page lists this many contacts' answers (the latest answered first).
HISTORY_CONTACTS = 20


@dataclass
class HistoryMonth:
    """One month of an account's survey answers: the scores given and what they make."""

    month: dt.date
    nps_scores: list[int] = field(default_factory=list)
    csat_scores: list[int] = field(default_factory=list)
    promoters: int = 0
    detractors: int = 0
    satisfied: int = 0

    @property
    def nps(self) -> float | None:
        return nps_of(self.promoters, self.detractors, len(self.nps_scores))

    @property
    def csat(self) -> float | None:
        return csat_of(self.satisfied, len(self.csat_scores))


@dataclass(frozen=True)
class Answer:
    day: dt.date
    kind: str
    score: int
    category: str


@dataclass
class ContactHistory:
    """One contact's answers of the window, oldest first."""

    contact_id: int
    name: str
    answers: list[Answer] = field(default_factory=list)


@dataclass
class SurveyHistory:
    """An account's survey answers of the last months: per month (``months``, newest first,
    only months with answers), per contact (``contacts``, the latest answered first, at most
    ``HISTORY_CONTACTS``; ``more_contacts`` not listed) and as a trend (``chart``)."""

    first_month: dt.date
    last_month: dt.date
    months: list[HistoryMonth]
    contacts: list[ContactHistory]
    more_contacts: int = 0

    @property
    def has_nps(self) -> bool:
        return any(m.nps_scores for m in self.months)

    @property
    def has_csat(self) -> bool:
        return any(m.csat_scores for m in self.months)

    def chart(self) -> SafeString:
        """The account's NPS and CSAT per month of the window as an SVG line chart; a month
        without answers is a gap. Empty without any answer."""
        if not self.months:
            return SafeString("")
        by_month = {m.month: m for m in self.months}
        axis = [
            add_months(self.first_month, n)
            for n in range(months_between(self.first_month, self.last_month) + 1)
        ]
        series = []
        if self.has_nps:
            values = [getattr(by_month.get(m), "nps", None) for m in axis]
            series.append(Series("NPS", "#0f5b5c", values))
        if self.has_csat:
            values = [getattr(by_month.get(m), "csat", None) for m in axis]
            series.append(Series(_("CSAT (%)"), "#f79009", values))
        words = "; ".join(
            f"{date_format(m.month, 'YEAR_MONTH_FORMAT')}: "
            + ", ".join(
                f"{name} {value}"
                for name, value in (("NPS", m.nps), ("CSAT", m.csat))
                if value is not None
            )
            for m in reversed(self.months)
        )
        return line_chart(
            months=axis,
            series=series,
            missing={i for i, m in enumerate(axis) if m not in by_month},
            label=_("NPS and CSAT of this account by month"),
            description=words,
            gap=_("%(month)s: no answers"),
            unit="",
            width=420,  # the page's narrow column: fewer units, so the text stays readable
            height=190,
        )


def nps_history(
    account, *, today: dt.date | None = None, months: int = HISTORY_MONTHS
) -> SurveyHistory:
    """The account's NPS and CSAT answers of the last ``months`` months (this one included),
    per month of answer and per contact; one query (and the thresholds). The caller has
    already scoped ``account`` (the account page reads it through ``crm.scoping``)."""
    today = today or timezone.localdate()
    last = today.replace(day=1)
    since = add_months(last, -(months - 1))
    t = thresholds_in_force()
    rows = (
        SurveySend.objects.filter(
            account=account,
            answered_at__isnull=False,
            answered_at__gte=timezone.make_aware(dt.datetime.combine(since, dt.time.min)),
        )
        .annotate(month=TruncMonth("answered_at"))
        .order_by("-month", "answered_at", "pk")
        .values_list("month", "kind", "score", "answered_at", "contact_id", "contact__name")
    )
    history: dict[dt.date, HistoryMonth] = {}
    contacts: dict[int, ContactHistory] = {}
    for month, kind, score, answered_at, contact_id, name in rows:
        month = month.date() if isinstance(month, dt.datetime) else month
        entry = history.setdefault(month, HistoryMonth(month=month))
        category = t.category(kind, score)
        if kind == "nps":
            entry.nps_scores.append(score)
            entry.promoters += category == PROMOTER
            entry.detractors += category == DETRACTOR
        else:
            entry.csat_scores.append(score)
            entry.satisfied += category != DETRACTOR
        person = contacts.setdefault(contact_id, ContactHistory(contact_id, name))
        person.answers.append(Answer(timezone.localdate(answered_at), kind, score, category))
    people = sorted(
        contacts.values(), key=lambda c: (max(a.day for a in c.answers), c.contact_id), reverse=True
    )
    for person in people:
        person.answers.sort(key=lambda a: a.day)
    return SurveyHistory(
        first_month=since,
        last_month=last,
        months=list(history.values()),
        contacts=people[:HISTORY_CONTACTS],
        more_contacts=max(0, len(people) - HISTORY_CONTACTS),
    )
