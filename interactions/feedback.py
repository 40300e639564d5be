"""Promoter, passive or detractor: the one rule that sorts an NPS (0–10) or CSAT (1–5) answer,
and where its thresholds come from.

The thresholds are part of the health model's configuration, which an admin edits (and
versions) in ``retention``. This app sits below ``retention`` and imports nothing of it, so
``retention`` hands its reader down once at start-up (``RetentionConfig.ready`` calls
``read_thresholds_from``), as it registers its sentences with ``crm.i18n``: the higher app
calls down. Without ``retention`` (or before an admin saved a configuration) the defaults of
DESIGN.md hold. Pages, the API and the admin read the thresholds in force when they read the
feedback (``Feedback.objects.with_category()``); the health model passes the ones of the
configuration it scores with.
"""

import operator
from collections.abc import Callable
from functools import reduce
from typing import NamedTuple

from django.db.models import Case, CharField, Q, Value, When
from django.utils.translation import gettext_lazy

PROMOTER, PASSIVE, DETRACTOR = "promoter", "passive", "detractor"
CATEGORIES = (PROMOTER, PASSIVE, DETRACTOR)
CATEGORY_NAMES = {
    PROMOTER: gettext_lazy("promoter"),
    PASSIVE: gettext_lazy("passive"),
    DETRACTOR: gettext_lazy("detractor"),
}

# The scale of each kind of answer, lowest and highest score: the tables' check constraints,
# the services' check, the survey page's buttons and the thresholds an admin may set read it.
SCALES = {"nps": (0, 10), "csat": (1, 5)}


def on_its_scale() -> Q:
    """Rows whose score lies on their kind's scale (the check constraints' condition)."""
    return reduce(
        operator.or_,
        (Q(kind=k) & Q(score__gte=lo) & Q(score__lte=hi) for k, (lo, hi) in SCALES.items()),
    )


class FeedbackThresholds(NamedTuple):
    """The lowest score of a promoter and of a passive on each scale (lower is a detractor)."""

    nps_promoter_from: int = 9
    nps_passive_from: int = 7
    csat_promoter_from: int = 5
    csat_passive_from: int = 4

    def _cuts(self, kind: str) -> tuple[int, int]:
        if kind == "nps":
            return self.nps_promoter_from, self.nps_passive_from
        return self.csat_promoter_from, self.csat_passive_from

    def category(self, kind: str, score: int) -> str:
        """promoter / passive / detractor for one answer."""
        promoter, passive = self._cuts(kind)
        return PROMOTER if score >= promoter else PASSIVE if score >= passive else DETRACTOR

    def category_filter(self, category: str) -> Q:
        """The feedback rows of ``category``, as a filter (the SQL twin of ``category``)."""

        def on_scale(kind: str) -> Q:
            promoter, passive = self._cuts(kind)
            scores = {
                PROMOTER: Q(score__gte=promoter),
                PASSIVE: Q(score__gte=passive, score__lt=promoter),
                DETRACTOR: Q(score__lt=passive),
            }[category]
            return Q(kind=kind) & scores

        return on_scale("nps") | on_scale("csat")

    def category_sql(self) -> Case:
        """The category of each row, as an expression to annotate."""
        return Case(
            *(When(self.category_filter(c), then=Value(c)) for c in (PROMOTER, PASSIVE)),
            default=Value(DETRACTOR),
            output_field=CharField(),
        )


DEFAULT_THRESHOLDS = FeedbackThresholds()

_source: Callable[[], FeedbackThresholds] = lambda: DEFAULT_THRESHOLDS  # noqa: E731


def read_thresholds_from(source: Callable[[], FeedbackThresholds]) -> None:
    """Take the installation's thresholds from ``source`` (called on every read: an admin's
    edit holds at once)."""
    global _source
    _source = source


def thresholds_in_force() -> FeedbackThresholds:
    """The thresholds that sort feedback now (one small query with ``retention``)."""
    return _source()
