"""Things that change a user's own settings."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import User


@transaction.atomic
def update_settings(*, user: User, language: str, daily_digest: bool) -> User:
    """Save the user's language (empty: the browser's) and whether they get the daily digest."""
    if language not in {"", *dict(settings.LANGUAGES)}:
        raise ValidationError({"language": _("Unknown language.")})
    user.language, user.daily_digest = language, daily_digest
    user.save(update_fields=["language", "daily_digest"])
    return user
