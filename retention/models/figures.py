"""The stored retention figures: monthly snapshots (see retention/figures/metrics.py)."""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# Percentages: NRR on a tiny starting MRR can run into the millions, and CRR can go negative.
RATE = {"max_digits": 16, "decimal_places": 2, "null": True, "blank": True}
MONEY = {"max_digits": 14, "decimal_places": 2, "default": Decimal("0")}


class MonthlySnapshot(models.Model):
    """One closed month's retention figures, overall (segment empty) or for one segment.

    Written by ``retention.figures.snapshots.snapshot_month`` (recomputing replaces the row) so
    trend charts read history instead of recomputing it. Rates are percent with two decimals, empty
    where the starting cohort is empty (DESIGN.md "Retention metrics").
    """

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    segment = models.ForeignKey(
        "customers.Segment",
        verbose_name=_("segment"),
        related_name="retention_snapshots",
        null=True,
        blank=True,
        # Snapshots are derived and can be recomputed; they must not keep a segment alive.
        on_delete=models.CASCADE,
    )
    start_customers = models.PositiveIntegerField(_("customers at the start (S)"))
    new_customers = models.PositiveIntegerField(_("new customers (N)"))
    end_customers = models.PositiveIntegerField(_("customers at the end (E)"))
    retained_customers = models.PositiveIntegerField(_("retained customers"))
    churned_customers = models.PositiveIntegerField(_("churned customers"))
    retention_rate = models.DecimalField(_("customer retention rate (CRR, %)"), **RATE)
    cohort_retention_rate = models.DecimalField(_("cohort retention rate (%)"), **RATE)
    churn_rate = models.DecimalField(_("churn rate (%)"), **RATE)
    grr = models.DecimalField(_("gross revenue retention (%)"), **RATE)
    nrr = models.DecimalField(_("net revenue retention (%)"), **RATE)
    mrr_start = models.DecimalField(_("MRR of the starting customers at the start"), **MONEY)
    mrr_end = models.DecimalField(_("MRR of the starting customers at the end"), **MONEY)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["-month", "segment__name"]
        verbose_name = _("monthly retention snapshot")
        verbose_name_plural = _("monthly retention snapshots")
        indexes = [models.Index(fields=["segment", "month"], name="snapshot_segment_month_idx")]
        constraints = [
            # Two partial constraints instead of one: NULL segments would not collide otherwise
            # (and ``nulls_distinct`` is PostgreSQL 15+ only).
            models.UniqueConstraint(
                fields=["month", "segment"],
                condition=Q(segment__isnull=False),
                name="snapshot_unique_month_segment",
            ),
            models.UniqueConstraint(
                fields=["month"],
                condition=Q(segment__isnull=True),
                name="snapshot_unique_month_overall",
            ),
            models.CheckConstraint(
                condition=Q(retained_customers__lte=models.F("start_customers"))
                & Q(churned_customers__lte=models.F("start_customers")),
                name="snapshot_cohort_within_start",
            ),
            models.CheckConstraint(
                condition=Q(mrr_start__gte=0) & Q(mrr_end__gte=0),
                name="snapshot_mrr_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} · {self.segment or _('all segments')}"
