"""Each user's private calendar feed URL: a secret that calendar apps carry instead of a
sign-in (DESIGN.md "Communication calendar and reminders").

The URL's token is the user's random ``calendar_key`` signed with ``SECRET_KEY`` (HMAC-SHA256,
``django.core.signing``): the table holds only the key, so a copy of the database does not give
anyone a working URL, and the signature is checked in constant time before the key is looked
up. Rotating draws a new key: the old URL answers 404 at once. A user who is deactivated has
no feed. (Rotating ``SECRET_KEY`` breaks every feed URL unless the old key is kept in
``SECRET_KEY_FALLBACKS``.)
"""

import secrets

from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.urls import reverse

SALT = "treue.calendar-feed"
# "." is not in the URL-safe base64 alphabet of keys and signatures.
SEPARATOR = "."


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT, sep=SEPARATOR, algorithm="sha256")


def _new_key() -> str:
    return secrets.token_urlsafe(24)  # 32 characters, 192 bits


def feed_token(user) -> str:
    """The token of ``user``'s feed URL (a key is drawn the first time)."""
    if not user.calendar_key:
        # Conditional: two first requests at once agree on one key.
        get_user_model().objects.filter(pk=user.pk, calendar_key__isnull=True).update(
            calendar_key=_new_key()
        )
        user.calendar_key = (
            get_user_model().objects.values_list("calendar_key", flat=True).get(pk=user.pk)
        )
    return _signer().sign(user.calendar_key)


def feed_path(user) -> str:
    """The path of ``user``'s feed (``/calendar/feed/<token>.ics``)."""
    return reverse("calendar:feed", args=[feed_token(user)])


@transaction.atomic
def rotate_feed(*, user) -> str:
    """Give ``user`` a new feed URL; the old one answers 404 from now on. Returns the new
    token."""
    user.calendar_key = _new_key()
    get_user_model().objects.filter(pk=user.pk).update(calendar_key=user.calendar_key)
    return _signer().sign(user.calendar_key)


def user_for_token(token: str):
    """The active user whose feed ``token`` opens, or None (a bad signature, an old key, a
    deactivated user)."""
    try:
        key = _signer().unsign(token)
    except signing.BadSignature:
        return None
    return (
        get_user_model()
        .objects.filter(calendar_key=key, is_active=True)
        .select_related("team")
        .first()
    )
