"""Forms of the interactions pages. Every choice (accounts, contacts, owners) is scoped; the
rules live in ``interactions.services``."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.db import names_no_row
from crm.forms import ChoicesFromResultCache
from crm.i18n import DateInput
from customers import selectors as customer_selectors

from . import selectors
from .models import Feedback, Interaction, OpenProblem, Tone

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_LOCAL)


class AccountChoiceForm(forms.Form):
    """Step one of logging from the portfolio: which account (those ``user`` may change)."""

    account = forms.ModelChoiceField(label=_("Account"), queryset=None, empty_label=_("Choose…"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = (
            customer_selectors.editable_accounts_for(user).select_related(None).only("pk", "name")
        )


class ContactChoiceField(forms.ModelMultipleChoiceField):
    iterator = ChoicesFromResultCache

    def label_from_instance(self, contact):
        return contact.name

    def _check_values(self, value):
        # An id beyond 64 bits is no contact; SQLite cannot even bind it in ``pk__in`` (500).
        for pk in value:
            if names_no_row(pk):
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)


class InteractionForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Interaction.Kind.choices,
        initial=Interaction.Kind.CALL,
        widget=forms.RadioSelect,
    )
    occurred_at = forms.DateTimeField(
        label=_("When"), widget=DateTimeLocalInput(), input_formats=[DATETIME_LOCAL, "iso-8601"]
    )
    contacts = ContactChoiceField(
        label=_("Who was there"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    summary = forms.CharField(label=_("Summary"), max_length=200)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea)
    tone = forms.ChoiceField(
        label=_("Tone"),
        choices=[("", _("Not said")), *Tone.choices],
        required=False,
        widget=forms.RadioSelect,
    )
    next_steps = forms.CharField(label=_("Next steps"), required=False, widget=forms.Textarea)

    def __init__(self, *args, account, keep_contacts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        self.fields["contacts"].queryset = selectors.contact_choices(account, keep=keep_contacts)
        if not self.is_bound and "occurred_at" not in self.initial:
            self.initial["occurred_at"] = timezone.localtime().replace(second=0, microsecond=0)


class LogInteractionForm(InteractionForm):
    follow_up_title = forms.CharField(
        label=_("Follow-up: what we promised"), max_length=200, required=False
    )
    follow_up_due = forms.DateField(label=_("due on"), required=False, widget=DateInput())


class EditInteractionForm(InteractionForm):
    """The same fields as logging, without the follow-up (those are edited on their own)."""

    def __init__(self, *args, interaction: Interaction, **kwargs):
        current = list(interaction.contacts.all())
        initial = {
            "kind": interaction.kind,
            "occurred_at": timezone.localtime(interaction.occurred_at),
            "contacts": current,
            "summary": interaction.summary,
            "notes": interaction.notes,
            "tone": interaction.tone,
            "next_steps": interaction.next_steps,
        }
        super().__init__(
            *args, account=interaction.account, keep_contacts=current, initial=initial, **kwargs
        )


class FollowUpForm(forms.Form):
    title = forms.CharField(label=_("What we promised"), max_length=200)
    due_on = forms.DateField(label=_("Due on"), widget=DateInput())
    owner = forms.ModelChoiceField(label=_("Who keeps the promise"), queryset=None)

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = selectors.follow_up_owner_choices(account)
        self.fields["title"].widget.attrs["autofocus"] = True
        self.initial.setdefault("due_on", timezone.localdate() + dt.timedelta(days=7))


class ProblemForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=OpenProblem.Category.choices)
    severity = forms.ChoiceField(
        label=_("Severity"), choices=OpenProblem.Severity.choices, initial="medium"
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].widget.attrs["autofocus"] = True


class ProblemEditForm(ProblemForm):
    status = forms.ChoiceField(label=_("Status"), choices=OpenProblem.Status.choices)
    resolution = forms.CharField(
        label=_("Resolution"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required to resolve: how was it solved?"),
    )


class FeedbackForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Feedback.Kind.choices)
    score = forms.IntegerField(label=_("Score"))
    received_on = forms.DateField(label=_("Received on"), widget=DateInput())
    contact = forms.ModelChoiceField(label=_("From"), queryset=None, required=False)
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = customer_selectors.contacts_of(account)
        self.initial.setdefault("received_on", timezone.localdate())
