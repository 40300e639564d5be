"""The retention report's form: a period (a month, quarter or year by its shorthand, or custom
start and end dates) and a segment. Sent by GET; whatever a person types that is not a period
(an end before the start, a malformed shorthand, an unknown segment) is a form error, never a
traceback. The period is read by ``crm.periods.read_period``, as the API and the
CLI read it."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.i18n import DateInput
from crm.periods import Period, add_months, closed_months, month_period, read_period
from customers.models import Segment

ACCOUNT_SETS = {
    "start": _("Customers at the start (S)"),
    "new": _("New customers (N)"),
    "end": _("Customers at the end (E)"),
    "retained": _("Retained customers (S ∩ E)"),
    "churned": _("Churned customers (S \\ E)"),
}


def period_suggestions(today: dt.date) -> list[tuple[str, str]]:
    """Shorthands a person is likely to want, newest first: the last 12 closed months, the
    last 4 quarters and this and last year."""
    months = [month_period(m) for m in reversed(closed_months(today=today, count=12))]
    quarter_start = add_months(today.replace(day=1), -((today.month - 1) % 3))
    quarters = [add_months(quarter_start, -3 * n) for n in range(4)]  # this one, 3 before
    labels = [(p.label, _("month")) for p in months]
    labels += [(f"{q.year}-Q{(q.month - 1) // 3 + 1}", _("quarter")) for q in quarters]
    labels += [(str(year), _("year")) for year in (today.year, today.year - 1)]
    return labels


class ReportForm(forms.Form):
    period = forms.CharField(
        label=_("Period"),
        required=False,
        help_text=_("A month (2026-03), a quarter (2026-Q1) or a year (2026)."),
        widget=forms.TextInput(attrs={"list": "period-options", "placeholder": "2026-Q1"}),
    )
    # Text, not ``DateField``: the dates are read by ``read_period``, as the API and the CLI
    # read them (the browser's date input sends ISO dates).
    start = forms.CharField(
        label=_("or from"),
        required=False,
        widget=DateInput(),
    )
    end = forms.CharField(
        label=pgettext_lazy("the end of a period: from … to …", "to"),
        required=False,
        widget=DateInput(),
    )
    segment = forms.ModelChoiceField(
        label=_("Segment"),
        queryset=Segment.objects.order_by("name"),
        required=False,
        empty_label=_("All segments"),
        error_messages={"invalid_choice": _("There is no such segment.")},
    )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["report_period"] = read_period(
                period=data.get("period"), start=data.get("start"), end=data.get("end")
            )
        except forms.ValidationError as error:
            self.add_error(None, error)
        return data

    @property
    def report_period(self) -> Period:
        return self.cleaned_data["report_period"]

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
