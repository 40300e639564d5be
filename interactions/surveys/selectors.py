"""The survey report: response rate, NPS and CSAT by account, segment or CSM and month, and
the answers as rows for the CSV. Scoped through ``crm.scoping``; one grouped query."""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth

from crm import scoping
from customers.models import Account, Segment

from ..feedback import thresholds_in_force
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
        """% promoters − % detractors, of the NPS answers."""
        if not self.nps_answers:
            return None
        return round(100 * (self.promoters - self.detractors) / self.nps_answers, 1)

    @property
    def csat(self) -> float | None:
        """% of CSAT answers that are satisfied (promoter or passive by the thresholds)."""
        return round(100 * self.satisfied / self.csat_answers, 1) if self.csat_answers else None


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
