"""Forms of the retention pages: the at-risk list's filters and the three things a person
does to a flag. Choices come scoped from the selectors; the rules (a comment is required, a
snooze ends after today) live in ``retention.health.flags``, whose errors the views put on these
forms' fields."""

import html

from django import forms
from django.forms.utils import flatatt
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm import scoping
from crm.forms import ChoicesFromResultCache
from crm.i18n import DateInput
from customers import selectors as customer_selectors

from ..models import Band, RiskFlag
from ..models.health import COMMENT_MAX_LENGTH
from .selectors import SORTS, flag_owners

RENEWAL_WINDOWS = (30, 60, 90, 180)
MIN_AGES = (7, 14, 30, 60, 90)


def _days(d: int) -> str:
    return gettext("%(d)s days") % {"d": d}


def _days_or_more(d: int) -> str:
    return gettext("%(d)s+ days") % {"d": d}


# Worded when shown, in the reader's language, not once at import.
days_label = lazy(_days, str)
days_or_more_label = lazy(_days_or_more, str)
SORT_LABELS = {
    "-arr": _("Most ARR at risk"),
    "age": _("Newest first"),
    "score": _("Lowest score"),
    "-drop": _("Biggest drop"),
    "-age": _("Oldest first"),
    "-score": _("Highest score"),
    "drop": _("Smallest drop"),
    "arr": _("Least ARR at risk"),
}
# What helps whatever dropped: the money at stake first (issue 13; "biggest drop" ordered by
# nothing when no score had fallen).
DEFAULT_SORT = "-arr"


def _escaped(value) -> str:
    """``conditional_escape`` without its lazy-string wrapper: a few µs per option."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


class PlainSelect(forms.Select):
    """A ``<select>`` rendered in Python. Django renders each option through a template,
    which costs about 70 ms for the 330 CSMs an admin filters by on the demo book; and
    ``format_html`` per option still 4 ms (issue 18)."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = {str(v) for v in self.format_value(value)}
        options = "".join(
            f'<option value="{_escaped(key)}"{" selected" if str(key) in chosen else ""}>'
            f"{_escaped(label)}</option>"
            for key, label in self.choices
        )
        attrs = flatatt(self.build_attrs(self.attrs, {"id": f"id_{name}", **(attrs or {})}))
        return format_html('<select name="{}"{}>{}</select>', name, attrs, mark_safe(options))


class OwnerChoiceField(forms.ModelChoiceField):
    iterator = ChoicesFromResultCache  # one plain query, not a server-side cursor

    def label_from_instance(self, user):
        return str(user)


class AtRiskFilterForm(forms.Form):
    """What the at-risk list is narrowed to. An unknown or out-of-scope value is dropped (the
    list is scoped anyway), never an error page."""

    owner = OwnerChoiceField(label=_("CSM"), queryset=None, required=False, empty_label=_("All"))
    reason = forms.ChoiceField(
        label=_("Reason"), choices=[("", _("All")), *RiskFlag.Reason.choices], required=False
    )
    band = forms.ChoiceField(
        label=_("Band"), choices=[("", _("All")), *Band.choices], required=False
    )
    segment = forms.ModelChoiceField(
        label=_("Segment"), queryset=None, required=False, empty_label=_("All")
    )
    renewal = forms.TypedChoiceField(
        label=_("Renewal within"),
        choices=[("", _("Any time"))] + [(d, days_label(d)) for d in RENEWAL_WINDOWS],
        coerce=int,
        empty_value=None,
        required=False,
    )
    age = forms.TypedChoiceField(
        label=_("Open for"),
        choices=[("", _("Any age"))] + [(d, days_or_more_label(d)) for d in MIN_AGES],
        coerce=int,
        empty_value=None,
        required=False,
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Not resolved")), *RiskFlag.Status.choices],
        required=False,
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        choices=[(k, label) for k, label in SORT_LABELS.items() if k in SORTS],
        required=False,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # A CSM's list is their own accounts: no one else to choose.
        if scoping.can_manage(user):
            self.fields["owner"].queryset = flag_owners(user)
        else:
            del self.fields["owner"]
        self.fields["segment"].queryset = customer_selectors.segments()
        for field in self.fields.values():
            field.widget = PlainSelect(
                attrs={"class": "form-select form-select-sm"}, choices=field.choices
            )

    def filters(self) -> dict:
        """The keyword arguments of ``open_flags_for`` for the valid part of the data."""
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        statuses = (data["status"],) if data.get("status") else None
        filters = {
            "reasons": [data["reason"]] if data.get("reason") else [],
            "owner": data.get("owner"),
            "band": data.get("band") or "",
            "segment": data.get("segment"),
            "renewal_within_days": data.get("renewal"),
            "min_age_days": data.get("age"),
            "order": data.get("sort") or DEFAULT_SORT,
        }
        if statuses:
            filters["statuses"] = statuses
        return filters

    @property
    def is_filtered(self) -> bool:
        return any(
            self.cleaned_data.get(name)
            for name in ("owner", "reason", "band", "segment", "renewal", "age", "status")
            if name in self.fields and name not in self.errors
        )


class AcknowledgeFlagForm(forms.Form):
    comment = forms.CharField(
        label=_("What are you doing about it?"),
        required=False,
        strip=True,
        widget=forms.Textarea(
            attrs={
                "rows": 2,
                "autofocus": True,
                "maxlength": COMMENT_MAX_LENGTH,
                "placeholder": _("e.g. Booked a call with the champion for Friday"),
            }
        ),
    )


class ResolveFlagForm(forms.Form):
    comment = forms.CharField(
        label=_("How was the risk dealt with?"),
        required=False,
        strip=True,
        widget=forms.Textarea(
            attrs={
                "rows": 2,
                "autofocus": True,
                "maxlength": COMMENT_MAX_LENGTH,
                "placeholder": _("e.g. Renewal signed for two more years"),
            }
        ),
    )


class SnoozeFlagForm(forms.Form):
    until = forms.DateField(
        label=_("Snooze until"),
        required=False,
        widget=DateInput(attrs={"autofocus": True}),
    )
    reason = forms.CharField(
        label=_("Why can it wait?"),
        required=False,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "placeholder": _("e.g. Budget decision after the board"),
                "maxlength": COMMENT_MAX_LENGTH,
            }
        ),
    )


ACTION_FORMS = {
    "acknowledge": AcknowledgeFlagForm,
    "resolve": ResolveFlagForm,
    "snooze": SnoozeFlagForm,
}
