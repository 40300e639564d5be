from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from . import selectors

PAGE_SIZE = 50


@login_required
def account_list(request):
    search = request.GET.get("q", "").strip()
    accounts = selectors.accounts_for(request.user, search=search).order_by(
        "next_renewal_on", "name"
    )
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "customers/account_list.html", {"page": page, "q": search})


@login_required
def account_detail(request, pk: int):
    account = selectors.account_for(request.user, pk)
    context = {
        "account": account,
        "contacts": account.contacts.all(),
        "contracts": selectors.contracts_of(account),
        "interactions": account.interactions.alive()
        .select_related("author")
        .prefetch_related("contacts")[:20],
        "transfers": account.transfers.select_related("from_owner", "to_owner")[:10],
    }
    return render(request, "customers/account_detail.html", context)


@login_required
def contact_detail(request, pk: int):
    contact = selectors.contact_for(request.user, pk)
    return render(request, "customers/contact_detail.html", {"contact": contact})
