"""Forms of the crm app (the user's own settings), the period every report's form asks for,
and what the other apps' forms share."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .i18n import DateInput
from .models import User
from .periods import Period, add_months, closed_months, month_period, read_period


class UserSettingsForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["language", "daily_digest"]


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


class PeriodForm(forms.Form):
    """A period, as a shorthand (a month, quarter or year) or custom start and end dates, read
    by ``crm.periods.read_period`` as the API and the CLI read it: whatever is not a period
    is a form error, never a traceback. Sent by GET; a report's form adds its filters."""

    period = forms.CharField(
        label=_("Period"),
        required=False,
        help_text=_("A month (2026-03), a quarter (2026-Q1) or a year (2026)."),
        widget=forms.TextInput(attrs={"list": "period-options", "placeholder": "2026-Q1"}),
    )
    # Text, not ``DateField``: the dates are read by ``read_period``, as the API and the CLI
    # read them (the browser's date input sends ISO dates).
    start = forms.CharField(label=_("or from"), required=False, widget=DateInput())
    end = forms.CharField(
        label=pgettext_lazy("the end of a period: from … to …", "to"),
        required=False,
        widget=DateInput(),
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


class ChoicesFromResultCache(forms.models.ModelChoiceIterator):
    """The queryset's rows as choices, read through its result cache: the log form asks
    whether an account has contacts before listing them, and Django's ``iterator()`` read
    them a second time, through a server-side cursor (issue 18)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)
