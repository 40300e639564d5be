"""The survey report: response rate, NPS and CSAT by account, segment or CSM and month, and
the answers as rows for the CSV. Scoped through ``crm.scoping``; one grouped query."""

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from crm import scoping
from customers.models import Account, Segment

from ..feedback import DETRACTOR, PROMOTER, thresholds_in_force
from ..models import SurveySend

GROUPS = {
    "account": "account_id",
    "segment": "account__segment_id",
    "csm": "account__owner_id",
}


@dataclass
class ReportRow:
    key: int | None
    label: str
    month: dt.date
    sent: int
    answered: int
    nps_answers: int
    promoters: int
    detractors: int
    csat_answers: int
    satisfied: int

    @property
    def response_rate(self) -> float | None:
        return round(100 * self.answered / self.sent, 1) if self.sent else None

    @property
    def nps(self) -> float | None:
        return nps_of(self.promoters, self.detractors, self.nps_answers)

    @property
    def csat(self) -> float | None:
        return csat_of(self.satisfied, self.csat_answers)


def nps_of(promoters: int, detractors: int, answers: int) -> float | None:
    """% promoters − % detractors, of the NPS answers."""
    return round(100 * (promoters - detractors) / answers, 1) if answers else None


def csat_of(satisfied: int, answers: int) -> float | None:
    """% of CSAT answers that are satisfied (promoter or passive by the thresholds)."""
    return round(100 * satisfied / answers, 1) if answers else None


def visible_sends(user):
    return scoping.visible(user, SurveySend.objects.all(), via="account")


def report(user, *, by: str = "account", since: dt.date | None = None) -> list[ReportRow]:
    """One row per group and month of sending (newest month first)."""
    field = GROUPS[by]
    t = thresholds_in_force()
    answered = Q(answered_at__isnull=False)
    nps, csat = answered & Q(kind="nps"), answered & Q(kind="csat")
    sends = visible_sends(user)
    if since is not None:
        sends = sends.filter(queued_at__date__gte=since)
    rows = (
        sends.annotate(month=TruncMonth("queued_at"))
        .values(field, "month")
        .annotate(
            sent=Count("pk"),
            answered=Count("pk", filter=answered),
            nps_answers=Count("pk", filter=nps),
            promoters=Count("pk", filter=nps & Q(score__gte=t.nps_promoter_from)),
            detractors=Count("pk", filter=nps & Q(score__lt=t.nps_passive_from)),
            csat_answers=Count("pk", filter=csat),
            satisfied=Count("pk", filter=csat & Q(score__gte=t.csat_passive_from)),
        )
        .order_by("-month", field)
    )
    rows = list(rows)
    labels = _labels(by, {r[field] for r in rows})
    return [
        ReportRow(
            key=r[field],
            label=labels.get(r[field], "—"),
            month=r["month"].date() if isinstance(r["month"], dt.datetime) else r["month"],
            **{k: r[k] for k in ("sent", "answered", "nps_answers", "promoters")},
            **{k: r[k] for k in ("detractors", "csat_answers", "satisfied")},
        )
        for r in rows
    ]


def _labels(by: str, keys: set) -> dict:
    keys = {k for k in keys if k is not None}
    if by == "account":
        return dict(Account.objects.filter(pk__in=keys).values_list("pk", "name"))
    if by == "segment":
        return dict(Segment.objects.filter(pk__in=keys).values_list("pk", "name"))
    return {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=keys)}


def answers(user):
    """The answered sends, newest first, for the CSV (iterated, not loaded)."""
    return (
        visible_sends(user)
        .filter(answered_at__isnull=False)
        .select_related("account", "contact", "account__owner")
        .order_by("-answered_at", "-pk")
    )


HISTORY_MONTHS = 12


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


def nps_history(
    account, *, today: dt.date | None = None, months: int = HISTORY_MONTHS
) -> list[HistoryMonth]:
    """The account's NPS and CSAT answers of the last ``months`` months (this one included),
    per month of answer, newest first; one query. The caller has already scoped ``account``
    (the account page reads it through ``crm.scoping``)."""
    today = today or timezone.localdate()
    since = today.replace(day=1)
    for _ in range(months - 1):
        since = (since - dt.timedelta(days=1)).replace(day=1)
    t = thresholds_in_force()
    rows = (
        SurveySend.objects.filter(
            account=account, answered_at__isnull=False, answered_at__date__gte=since
        )
        .annotate(month=TruncMonth("answered_at"))
        .order_by("-month", "answered_at", "pk")
        .values_list("month", "kind", "score")
    )
    history: dict[dt.date, HistoryMonth] = {}
    for month, kind, score in rows:
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
    return list(history.values())
