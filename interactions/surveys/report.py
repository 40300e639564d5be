"""The survey report: for the surveys sent in a period (one kind: NPS or CSAT), the response
rate and the score, in all, per month (the trend and its chart) and per account, segment or
CSM with each group's months (trends per customer and per employee, strategy 6).

Definitions: a survey counts in the month it was sent; the response rate is answered ÷ sent;
NPS is % promoters − % detractors of the NPS answers and CSAT the % of CSAT answers that are
not detractors, sorted by the thresholds of the scoring configuration in force
(``interactions.feedback``: an admin edits them in ``retention``).

Who counts what, as the retention report's owner breakdown (``crm.scoping``): a team lead and
an admin read the company's surveys, a CSM those of their own accounts. A team lead names their
team's accounts and people; every other account or CSM is summed into one row "Other teams".
The answers themselves (the CSV, with comments) are only those the reader may read.

Cost: five queries whatever the number of surveys, groups or months shown (the months, a page
of groups and their count, the page's months, the page's names); the groups are paged.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import BigIntegerField, Case, Count, F, Q, QuerySet, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from crm import scoping
from crm.charts import Series, line_chart
from crm.periods import Period, add_months, month_start, months_between
from customers.models import Account, Segment

from ..feedback import DETRACTOR, PROMOTER, FeedbackThresholds, thresholds_in_force
from ..models import SurveySend
from .selectors import csat_of, nps_of, rate_of

# What the groups are, and the column each groups the surveys by.
GROUPS = {
    "account": "account_id",
    "segment": "account__segment_id",
    "csm": "account__owner_id",
}
KINDS = ("nps", "csat")
# The key of the one row that sums what a team lead may not name (ids start at 1).
OTHER = 0
PAGE_SIZE = 25
# A longer period is refused by the form: the groups' months are columns of a table.
MONTHS_AT_MOST = 36


@dataclass(frozen=True)
class ReportFilters:
    """Which surveys a report counts: those of ``kind`` sent in ``period``, narrowed to a
    segment, a CSM's accounts or a team's accounts when given (ids)."""

    period: Period
    kind: str = "nps"
    segment_id: int | None = None
    owner_id: int | None = None
    team_id: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Unknown survey kind {self.kind!r}.")


@dataclass
class Figures:
    """Counts of surveys of one kind and what they make."""

    kind: str
    sent: int = 0
    answered: int = 0
    promoters: int = 0
    detractors: int = 0

    @property
    def response_rate(self) -> float | None:
        return rate_of(self.answered, self.sent)

    @property
    def nps(self) -> float | None:
        if self.kind != "nps":
            return None
        return nps_of(self.promoters, self.detractors, self.answered)

    @property
    def csat(self) -> float | None:
        if self.kind != "csat":
            return None
        return csat_of(self.answered - self.detractors, self.answered)

    @property
    def score(self) -> float | None:
        """The NPS or the CSAT, whichever kind these are."""
        return self.nps if self.kind == "nps" else self.csat


@dataclass
class Month(Figures):
    month: dt.date = dt.date.min


@dataclass
class GroupRow(Figures):
    """One account, segment or CSM (``key`` its id; None: no segment or no owner; ``OTHER``:
    the other teams) with its figures over the period and per month (``months``, one per
    month of the period, oldest first)."""

    key: int | None = None
    label: str = ""
    months: list[Figures] = field(default_factory=list)

    @property
    def is_other(self) -> bool:
        return self.key == OTHER


@dataclass
class SurveyReport:
    filters: ReportFilters
    by: str
    months: list[Month]
    page: Page

    @property
    def total(self) -> Figures:
        """The figures of the whole period (the months summed)."""
        counts = ("sent", "answered", "promoters", "detractors")
        sums = {name: sum(getattr(m, name) for m in self.months) for name in counts}
        return Figures(kind=self.filters.kind, **sums)

    @property
    def rows(self) -> list[GroupRow]:
        return list(self.page.object_list)

    def chart(self) -> SafeString:
        """The score and the response rate per month as an SVG line chart; a month without
        surveys is a gap. Its ``<desc>`` says every point in words."""
        kind = self.filters.kind
        score_name = "NPS" if kind == "nps" else _("CSAT (%)")
        rate_name = _("Response rate (%)")
        points = []
        for m in self.months:
            if not m.sent:
                points.append(_("%(month)s: no surveys sent") % {"month": _month(m.month)})
                continue
            points.append(
                _("%(month)s: %(name)s %(score)s, response rate %(rate)s %%")
                % {
                    "month": _month(m.month),
                    "name": score_name,
                    "score": "—" if m.score is None else m.score,
                    "rate": m.response_rate,
                }
            )
        return line_chart(
            months=[m.month for m in self.months],
            series=[
                Series(score_name, "#0f5b5c", [m.score for m in self.months]),
                Series(rate_name, "#2d46b9", [m.response_rate for m in self.months], True),
            ],
            missing={i for i, m in enumerate(self.months) if not m.sent},
            label=_("%(name)s and response rate by month") % {"name": score_name},
            description="; ".join(points),
            gap=_("%(month)s: no surveys sent"),
            unit="",
        )


def _month(day: dt.date) -> str:
    return date_format(day, "YEAR_MONTH_FORMAT")


def months_of(period: Period) -> list[dt.date]:
    """The first days of the months ``period`` touches, oldest first."""
    first = month_start(period.start)
    return [add_months(first, n) for n in range(months_between(first, period.end) + 1)]


def _counts(t: FeedbackThresholds) -> dict:
    answered = Q(answered_at__isnull=False)
    return {
        "sent": Count("pk"),
        "answered": Count("pk", filter=answered),
        "promoters": Count("pk", filter=answered & t.category_filter(PROMOTER)),
        "detractors": Count("pk", filter=answered & t.category_filter(DETRACTOR)),
    }


def counted_sends(user) -> QuerySet[SurveySend]:
    """The surveys ``user``'s report counts: a team lead's and an admin's the company's (the
    names ``_group_key`` lets them read), anyone else's those of the accounts they own."""
    sends = SurveySend.objects.all()
    if scoping.can_manage(user):
        return sends
    return scoping.visible(user, sends, via="account").filter(account__owner=user)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def filtered(sends: QuerySet[SurveySend], filters: ReportFilters) -> QuerySet[SurveySend]:
    """``sends`` narrowed to what ``filters`` ask for (sent on the period's days, local time)."""
    period = filters.period
    sends = sends.filter(
        kind=filters.kind,
        queued_at__gte=_day_start(period.start),
        queued_at__lt=_day_start(period.end + dt.timedelta(days=1)),
    )
    if filters.segment_id is not None:
        sends = sends.filter(account__segment_id=filters.segment_id)
    if filters.owner_id is not None:
        sends = sends.filter(account__owner_id=filters.owner_id)
    if filters.team_id is not None:
        sends = sends.filter(account__team_id=filters.team_id)
    return sends


def _group_key(user, by: str):
    """The column a group is keyed by, as ``user`` may name it: a team lead's accounts and
    people by id, every other account or CSM ``OTHER``. Segments are the company's words."""
    column = F(GROUPS[by])
    if by == "segment" or user.is_admin_role or not scoping.can_manage(user):
        return column  # an admin names all; anyone else who is no lead counts only their own
    if by == "account":
        accounts = scoping.visible(user, Account.objects.all())
        named = Q(account_id__in=accounts.values("pk"))
    else:
        people = scoping.visible_people(user, get_user_model().objects.all())
        named = Q(account__owner_id__in=people.values("pk")) | Q(account__owner__isnull=True)
    return Case(When(named, then=column), default=Value(OTHER), output_field=BigIntegerField())


def _labels(by: str, keys: set) -> dict:
    keys = {k for k in keys if k}
    if by == "account":
        return dict(Account.objects.filter(pk__in=keys).values_list("pk", "name"))
    if by == "segment":
        return dict(Segment.objects.filter(pk__in=keys).values_list("pk", "name"))
    return {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=keys)}


def _nobody(by: str) -> str:
    if by == "segment":
        return _("No segment")
    if by == "csm":
        return _("Unassigned")
    return "—"


def survey_report(
    user, filters: ReportFilters, *, by: str = "account", page: int | str | None = 1
) -> SurveyReport:
    """The report ``user`` may read (see the module docstring) of the surveys ``filters``
    select, its groups ``by`` account, segment or CSM, ``PAGE_SIZE`` groups a page (the most
    surveyed first, the other teams last)."""
    if by not in GROUPS:
        raise ValueError(f"Unknown grouping {by!r}.")
    counts = _counts(thresholds_in_force())
    sends = filtered(counted_sends(user), filters)
    monthly = {
        _as_date(row.pop("month")): row
        for row in sends.annotate(month=TruncMonth("queued_at"))
        .values("month")
        .annotate(**counts)
        .order_by()
    }
    months = [
        Month(kind=filters.kind, month=month, **monthly.get(month, {}))
        for month in months_of(filters.period)
    ]
    keyed = sends.annotate(key=_group_key(user, by))
    groups = (
        keyed.values("key")
        .annotate(**counts)
        .order_by(
            Case(When(key=OTHER, then=Value(1)), default=Value(0)),
            "-sent",
            F("key").asc(nulls_last=True),
        )
    )
    paged = Paginator(groups, PAGE_SIZE).get_page(page)
    keys = [row["key"] for row in paged.object_list]
    per_month: dict[tuple, dict] = {}
    if keys:
        wanted = Q(key__in=[k for k in keys if k is not None])
        if None in keys:
            wanted |= Q(key__isnull=True)
        for row in (
            keyed.filter(wanted)
            .annotate(month=TruncMonth("queued_at"))
            .values("key", "month")
            .annotate(**counts)
            .order_by()
        ):
            per_month[row.pop("key"), _as_date(row.pop("month"))] = row
    labels = _labels(by, set(keys))
    rows = []
    for row in paged.object_list:
        key = row.pop("key")
        label = _("Other teams") if key == OTHER else labels.get(key, _nobody(by))
        rows.append(
            GroupRow(
                kind=filters.kind,
                key=key,
                label=label,
                months=[
                    Figures(kind=filters.kind, **per_month.get((key, m.month), {})) for m in months
                ],
                **row,
            )
        )
    paged.object_list = rows
    return SurveyReport(filters=filters, by=by, months=months, page=paged)


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def answers(user, filters: ReportFilters) -> QuerySet[SurveySend]:
    """The answers behind the report that ``user`` may read (a team lead: their team's, not
    the other teams' comments), newest first; iterate it (the CSV streams)."""
    sends = scoping.visible(user, filtered(counted_sends(user), filters), via="account")
    return (
        sends.filter(answered_at__isnull=False)
        .select_related("account", "account__segment", "account__owner", "contact")
        .order_by("-answered_at", "-pk")
    )
