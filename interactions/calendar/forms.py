"""Forms of the calendar: planning a meeting, and which calendar to show."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import selectors
from ..forms import DATETIME_LOCAL, DateTimeLocalInput
from ..models import PlannedMeeting


class PlanMeetingForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=PlannedMeeting.KINDS, initial="meeting")
    planned_at = forms.DateTimeField(
        label=_("When"), widget=DateTimeLocalInput(), input_formats=[DATETIME_LOCAL, "iso-8601"]
    )
    summary = forms.CharField(label=_("What it is about"), max_length=200)
    owner = forms.ModelChoiceField(label=_("Who holds it"), queryset=None)

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = selectors.follow_up_owner_choices(account)
        if "planned_at" not in self.initial:
            tomorrow = timezone.localtime() + dt.timedelta(days=1)
            self.initial["planned_at"] = tomorrow.replace(
                hour=10, minute=0, second=0, microsecond=0
            )
        self.fields["summary"].widget.attrs["autofocus"] = True


VIEWS = ("month", "week", "day")


class CalendarQuery(forms.Form):
    """The calendar's query string: which view, around which day, whose calendar. Anything
    unreadable falls back to this month of one's own calendar."""

    view = forms.ChoiceField(choices=[(v, v) for v in VIEWS], required=False)
    date = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    who = forms.CharField(required=False, max_length=20)

    def values(self, today: dt.date) -> tuple[str, dt.date, str]:
        if not self.is_valid():
            return "month", today, ""
        data = self.cleaned_data
        day = data.get("date") or today
        if not dt.date(1900, 1, 1) <= day <= dt.date(2999, 12, 31):
            day = today
        return data.get("view") or "month", day, data.get("who") or ""
