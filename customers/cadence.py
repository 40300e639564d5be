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

from django.db.models import Expression, Value
from django.db.models.functions import Coalesce

DEFAULT_CADENCE_DAYS = 30

# An expression (read in the query itself: no query of its own) or a number of days.
_source: Callable[[], Expression | int] = lambda: DEFAULT_CADENCE_DAYS  # noqa: E731


def read_default_from(source: Callable[[], Expression | int]) -> None:
    """Take the default cadence from ``source``: a number of days, or an expression that
    the query reads it with (an admin's edit holds at once)."""
    global _source
    _source = source


def expected_cadence(*, default: int | None = None, via: str = "") -> Coalesce:
    """Each account's expected cadence in days, as an expression (``via``: the path from the
    queryset's model to the account); ``default`` for accounts without a segment, else the
    installation's."""
    prefix = f"{via}__" if via else ""
    fallback = default if default is not None else _source()
    if not hasattr(fallback, "resolve_expression"):
        fallback = Value(fallback)
    return Coalesce(
        f"{prefix}segment__expected_cadence_days", fallback, Value(DEFAULT_CADENCE_DAYS)
    )
