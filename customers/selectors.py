"""Things that read accounts, contacts and contracts, always scoped through ``crm.scoping``."""

import datetime as dt

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from crm import scoping

from .models import Account, Contact, Contract, CustomerSpan


def accounts_for(user, *, search: str = "") -> QuerySet[Account]:
    """The accounts ``user`` may read, optionally narrowed by a name / external ID search."""
    qs = scoping.visible(user, Account.objects.all()).select_related("owner", "segment", "team")
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(external_id__iexact=search))
    return qs


def account_for(user, pk: int) -> Account:
    """One account ``user`` may read, or 404 (never 403: nothing leaks that it exists)."""
    return get_object_or_404(accounts_for(user), pk=pk)


def contact_for(user, pk: int) -> Contact:
    qs = scoping.visible(user, Contact.objects.select_related("account"), via="account")
    return get_object_or_404(qs, pk=pk)


def contracts_of(account: Account) -> QuerySet[Contract]:
    return account.contracts.order_by("-start_date", "reference")


def customer_ids_on(day: dt.date) -> QuerySet:
    """Ids of the accounts that are customers on ``day`` (from the maintained spans)."""
    return (
        CustomerSpan.objects.filter(start_date__lte=day)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        .values("account_id")
    )
