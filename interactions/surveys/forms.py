from django import forms
from django.utils.translation import gettext_lazy as _

from customers import selectors as customer_selectors

from ..models import Feedback
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
