"""Forms of the customers pages. Choices come scoped from ``customers.selectors``; the
forms hold no rules of their own (the services do)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.i18n import DateInput

from . import selectors
from .models import Contact


def segment_filter() -> forms.ModelChoiceField:
    """A report's segment filter: one segment (by name), or all when left empty."""
    return forms.ModelChoiceField(
        label=_("Segment"),
        queryset=selectors.segments(),
        required=False,
        empty_label=_("All segments"),
        error_messages={"invalid_choice": _("There is no such segment.")},
    )


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = [
            "name",
            "title",
            "email",
            "phone",
            "is_champion",
            "is_decision_maker",
            "preferred_channel",
            "language",
            "preferences",
            "left_on",
        ]
        widgets = {
            "name": forms.TextInput(attrs={"autofocus": True}),
            "preferences": forms.Textarea(attrs={"rows": 4}),
            "left_on": DateInput(),
        }

    def __init__(self, *args, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Model validation of the unique e-mail per account needs the account on the instance.
        if account is not None:
            self.instance.account = account


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        team = f" · {user.team}" if user.team_id else ""
        return f"{user}{team}"


class TransferForm(forms.Form):
    to_owner = UserChoiceField(label=_("New owner"), queryset=None)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. CSM leaves, rebalancing")}),
    )
    handover_notes = forms.CharField(
        label=_("Handover notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What the new owner must know: history, sensitivities, promises in flight."),
    )

    def __init__(self, *args, user, exclude_owner=None, **kwargs):
        super().__init__(*args, **kwargs)
        targets = selectors.transfer_targets(user)
        if exclude_owner is not None:
            targets = targets.exclude(pk=exclude_owner.pk)
        self.fields["to_owner"].queryset = targets


class PortfolioTransferForm(TransferForm):
    from_owner = UserChoiceField(label=_("Current owner"), queryset=None)

    field_order = ["from_owner", "to_owner", "reason", "handover_notes"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["from_owner"].queryset = selectors.handover_sources(user)


class HandoverRequestForm(TransferForm):
    """A CSM asks for the account to go to a colleague of its team."""

    def __init__(self, *args, user, account, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["to_owner"].label = _("Hand over to")
        self.fields["to_owner"].queryset = selectors.handover_colleagues(account)
        self.fields["handover_notes"].max_length = 5000


class HandoverApprovalForm(forms.Form):
    """A lead approves a requested handover, to the proposed colleague or another person."""

    to_owner = UserChoiceField(label=_("New owner"), queryset=None)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000)

    def __init__(self, *args, user, handover, **kwargs):
        super().__init__(*args, **kwargs)
        targets = selectors.transfer_targets(user).exclude(pk=handover.account.owner_id)
        self.fields["to_owner"].queryset = targets


class HandoverDeclineForm(forms.Form):
    comment = forms.CharField(
        label=_("Why not"),
        required=False,  # the service says what is missing
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
