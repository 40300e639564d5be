"""How often a meeting or call is expected with an account: its segment's cadence, else the
installation's default (DESIGN.md: engagement and the next planned touch both measure against
it).

The default for accounts without a segment is part of the health model's configuration, which
an admin edits (and versions) in ``retention``. This app sits below ``retention`` and imports
nothing of it, so ``retention`` hands its reader down once at start-up (``RetentionConfig.ready``
calls ``read_default_from``): the higher app calls down. Without ``retention`` the default of
DESIGN.md holds. The health model passes the default of the configuration it scores with.
"""

from collections.abc import Callable

from django.db.models import Value
from django.db.models.functions import Coalesce

DEFAULT_CADENCE_DAYS = 30

_source: Callable[[], int] = lambda: DEFAULT_CADENCE_DAYS  # noqa: E731


def read_default_from(source: Callable[[], int]) -> None:
    """Take the default cadence from ``source`` (called on every read: an admin's edit holds
    at once)."""
    global _source
    _source = source


def default_cadence_days() -> int:
    """Days between meetings or calls expected of an account without a segment."""
    return _source()


def expected_cadence(*, default: int | None = None, via: str = "") -> Coalesce:
    """Each account's expected cadence in days, as an expression (``via``: the path from the
    queryset's model to the account)."""
    prefix = f"{via}__" if via else ""
    fallback = default if default is not None else default_cadence_days()
    return Coalesce(f"{prefix}segment__expected_cadence_days", Value(fallback))
