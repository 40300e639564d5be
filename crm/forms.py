"""Forms of the crm app: the user's own settings."""

from django import forms

from .models import User


class UserSettingsForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["language", "daily_digest"]
