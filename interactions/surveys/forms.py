from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from crm import scoping
from crm.forms import PeriodForm
from crm.models import Team
from customers import selectors as customer_selectors
from customers.forms import segment_filter

from ..models import Feedback
from .report import MONTHS_AT_MOST, ReportFilters, months_of
from .services import default_recipients


class SendSurveyForm(forms.Form):
    """Pick the kind and the contacts (decision makers and champions still there ticked)."""

    kind = forms.ChoiceField(label=_("Survey"), choices=Feedback.Kind.choices)
    contacts = forms.ModelMultipleChoiceField(
        label=_("Contacts"), queryset=None, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        contacts = customer_selectors.contacts_of(account)
        self.fields["contacts"].queryset = contacts
        self.fields["contacts"].label_from_instance = _contact_label
        asked = default_recipients([account.pk]).values_list("pk", flat=True)
        self.initial.setdefault("contacts", list(asked))


def _contact_label(contact) -> str:
    roles = [
        str(label)
        for flag, label in (
            (contact.is_decision_maker, _("decision maker")),
            (contact.is_champion, _("champion")),
            (contact.left_on is not None, _("left")),
        )
        if flag
    ]
    text = f"{contact.name} <{contact.email or '—'}>"
    return f"{text} ({', '.join(roles)})" if roles else text


class SurveyReportForm(PeriodForm):
    """The survey report's filters (sent by GET): a period of at most ``MONTHS_AT_MOST``
    months, NPS or CSAT, the grouping, a segment and, for a team lead or an admin, a CSM or a
    team among those ``crm.scoping`` lets them name. A CSM's report is their own accounts'."""

    kind = forms.ChoiceField(label=_("Survey"), choices=Feedback.Kind.choices, required=False)
    by = forms.ChoiceField(
        label=_("By"),
        choices=[("account", _("Account")), ("segment", _("Segment")), ("csm", _("CSM"))],
        required=False,
    )
    segment = segment_filter()
    owner = forms.ModelChoiceField(
        label=_("CSM"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("All CSMs"),
        error_messages={"invalid_choice": _("There is no such CSM among your people.")},
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.none(),
        required=False,
        empty_label=_("All teams"),
        error_messages={"invalid_choice": _("There is no such team among yours.")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if scoping.can_manage(user):
            people = get_user_model().objects.filter(is_active=True)
            self.fields["owner"].queryset = scoping.visible_people(user, people).order_by(
                "first_name", "last_name", "username"
            )
            self.fields["team"].queryset = scoping.visible_teams(user, Team.objects.all())
        else:
            del self.fields["owner"], self.fields["team"]

    def clean(self):
        data = super().clean()
        period = data.get("report_period")
        if period is not None and len(months_of(period)) > MONTHS_AT_MOST:
            self.add_error(
                None,
                _("Pick a period of at most %(n)s months.") % {"n": MONTHS_AT_MOST},
            )
        return data

    @property
    def grouping(self) -> str:
        return self.cleaned_data.get("by") or "account"

    def filters(self) -> ReportFilters:
        data = self.cleaned_data
        return ReportFilters(
            period=self.report_period,
            kind=data.get("kind") or "nps",
            segment_id=_pk(data.get("segment")),
            owner_id=_pk(data.get("owner")),
            team_id=_pk(data.get("team")),
        )

    def query(self) -> dict[str, str]:
        """The cleaned filters as query parameters, for the page's links and the CSV."""
        filters = self.filters()
        params = {
            "start": filters.period.start.isoformat(),
            "end": filters.period.end.isoformat(),
            "kind": filters.kind,
            "by": self.grouping,
        }
        for name, value in (
            ("segment", filters.segment_id),
            ("owner", filters.owner_id),
            ("team", filters.team_id),
        ):
            if value is not None:
                params[name] = str(value)
        return params


def _pk(row) -> int | None:
    return None if row is None else row.pk
