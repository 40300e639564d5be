"""The accounts behind each retention figure, so a page can list who was in S, who was new,
who churned and who stayed. Same definitions and inputs as ``retention.figures.metrics``; scoped
through ``crm.scoping`` when a user is given."""

import datetime as dt
from collections.abc import Callable

from django.db.models import Exists, OuterRef, Q, QuerySet

from crm import scoping
from customers.models import Account, CustomerSpan, Segment

from .breakdowns import SIZE_BANDS, UNKNOWN
from .metrics import ONE_DAY, check_period, customer_on, resolve_segment


def _accounts(
    condition: Q | Exists,
    *,
    segment: Segment | str | int | None,
    user=None,
) -> QuerySet[Account]:
    segment = resolve_segment(segment)
    qs = Account.objects.filter(condition)
    if segment is not None:
        qs = qs.filter(segment=segment)
    if user is not None:
        qs = scoping.visible(user, qs)
    return qs.select_related("segment", "owner").order_by("name")


def _began_within(start: dt.date, end: dt.date) -> Exists:
    return Exists(
        CustomerSpan.objects.filter(
            account_id=OuterRef("pk"), start_date__gte=start, start_date__lte=end
        )
    )


def start_customers(
    *, start: dt.date, end: dt.date, segment: Segment | str | int | None = None, user=None
) -> QuerySet[Account]:
    """S: the accounts that were customers on the day before ``start``."""
    check_period(start, end)
    return _accounts(customer_on(start - ONE_DAY), segment=segment, user=user)


def end_customers(
    *, start: dt.date, end: dt.date, segment: Segment | str | int | None = None, user=None
) -> QuerySet[Account]:
    """E: the accounts that are customers on ``end``."""
    check_period(start, end)
    return _accounts(customer_on(end), segment=segment, user=user)


def new_customers(
    *, start: dt.date, end: dt.date, segment: Segment | str | int | None = None, user=None
) -> QuerySet[Account]:
    """N: customers on some day of the period who were not in S (win-backs included)."""
    check_period(start, end)
    condition = _began_within(start, end) & ~customer_on(start - ONE_DAY)
    return _accounts(condition, segment=segment, user=user)


def retained_customers(
    *, start: dt.date, end: dt.date, segment: Segment | str | int | None = None, user=None
) -> QuerySet[Account]:
    """S ∩ E: the starting customers who are still customers on ``end``."""
    check_period(start, end)
    condition = customer_on(start - ONE_DAY) & customer_on(end)
    return _accounts(condition, segment=segment, user=user)


def churned_customers(
    *, start: dt.date, end: dt.date, segment: Segment | str | int | None = None, user=None
) -> QuerySet[Account]:
    """S \\ E: the starting customers who are no longer customers on ``end``."""
    check_period(start, end)
    condition = customer_on(start - ONE_DAY) & ~customer_on(end)
    return _accounts(condition, segment=segment, user=user)


# The figure keys of ``RetentionFigures.as_dict()`` that count accounts, to their selector.
ACCOUNTS_BEHIND: dict[str, Callable[..., QuerySet[Account]]] = {
    "start_customers": start_customers,
    "new_customers": new_customers,
    "end_customers": end_customers,
    "retained_customers": retained_customers,
    "churned_customers": churned_customers,
}


def in_group(accounts: QuerySet[Account], *, by: str, key: str) -> QuerySet[Account]:
    """Narrow ``accounts`` to one group of a breakdown (the keys ``retention.figures.breakdowns``
    gives its rows). Raises ``LookupError`` for a dimension or key that names no group."""
    if (
        by in ("segment", "owner")
        and key
        and not (key.isascii() and key.isdigit() and len(key) < 19)
    ):
        raise LookupError(key)  # the keys of these groups are ids: anything else is no group
    if by == "segment":
        return accounts.filter(segment_id=key) if key else accounts.filter(segment__isnull=True)
    if by == "industry":
        return accounts.filter(industry=key)
    if by == "budget":
        return accounts.filter(budget_band=key)
    if by == "owner":
        return accounts.filter(owner_id=key) if key else accounts.filter(owner__isnull=True)
    if by == "size":
        if key == UNKNOWN:
            return accounts.filter(employees__isnull=True)
        for label, low, high in SIZE_BANDS:
            if label == key:
                band = Q(employees__gte=low)
                return accounts.filter(band if high is None else band & Q(employees__lte=high))
    raise LookupError(by)


def accounts_behind(
    which: str,
    *,
    start: dt.date,
    end: dt.date,
    segment: Segment | None = None,
    user=None,
    by: str = "",
    key: str = "",
) -> QuerySet[Account]:
    """The accounts behind one count of the report (``which``: start, new, end, retained or
    churned), of one breakdown group when ``by`` names its dimension, that ``user`` may see.
    Raises ``LookupError`` for a count or group that does not exist."""
    accounts = ACCOUNTS_BEHIND[f"{which}_customers"](
        start=start, end=end, segment=segment, user=user
    )
    return in_group(accounts, by=by, key=key) if by else accounts


def counted_behind(
    which: str,
    *,
    start: dt.date,
    end: dt.date,
    segment: Segment | None = None,
    user,
    by: str = "",
    key: str = "",
) -> tuple[QuerySet[Account], int | None]:
    """The accounts behind one count that ``user`` may see (as ``accounts_behind``) and how
    many accounts the count holds in all, seen or not (None when the user sees every account:
    then it is the first's count): a drill-down says both, so a figure whose accounts all lie
    outside the user's team is "19 accounts, none of them yours", never an empty page.
    Raises ``LookupError`` as ``accounts_behind`` does."""
    visible = accounts_behind(
        which, start=start, end=end, segment=segment, user=user, by=by, key=key
    )
    if user.is_admin_role:
        return visible, None
    everyone = accounts_behind(which, start=start, end=end, segment=segment, by=by, key=key)
    return visible, everyone.count()
