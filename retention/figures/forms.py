"""The retention report's form: a period (``crm.forms.PeriodForm``: a month, quarter or year
by its shorthand, or custom start and end dates) and a segment. Sent by GET; whatever a person
types that is not a period (an end before the start, a malformed shorthand, an unknown
segment) is a form error, never a traceback."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.forms import PeriodForm
from crm.periods import add_months, month_period
from customers.forms import segment_filter

ACCOUNT_SETS = {
    "start": _("Customers at the start (S)"),
    "new": _("New customers (N)"),
    "end": _("Customers at the end (E)"),
    "retained": _("Retained customers (S ∩ E)"),
    "churned": _("Churned customers (S \\ E)"),
}


class ReportForm(PeriodForm):
    segment = segment_filter()

    def query(self) -> dict[str, str]:
        """The cleaned period and segment as query parameters (dates, segment id), for links
        to the account lists and exports."""
        period, segment = self.report_period, self.cleaned_data.get("segment")
        params = {"start": period.start.isoformat(), "end": period.end.isoformat()}
        if segment is not None:
            params["segment"] = str(segment.pk)
        return params


def default_period(today: dt.date) -> str:
    """The last closed month: the newest period whose figures are final."""
    return month_period(add_months(today.replace(day=1), -1)).label


class AccountSetForm(ReportForm):
    """The report's period and segment plus which accounts behind a figure to list."""

    set = forms.ChoiceField(label=_("Accounts"), choices=list(ACCOUNT_SETS.items()))
