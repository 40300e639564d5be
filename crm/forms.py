"""Forms of the crm app (the user's own settings) and what the other apps' forms share."""

from django import forms

from .models import User


class UserSettingsForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["language", "daily_digest"]


class ChoicesFromResultCache(forms.models.ModelChoiceIterator):
    """The queryset's rows as choices, read through its result cache: the log form asks
    whether an account has contacts before listing them, and Django's ``iterator()`` read
    them a second time, through a server-side cursor (issue 18)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)
