"""The search page, ``/search/?q=…`` (``&kind=…&page=…`` for more of one kind)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import selectors
from .forms import SearchQueryForm
from .selectors import MAX_HITS, Kind


@login_required
def search_page(request):
    form = SearchQueryForm(request.GET)
    query, kind, page = "", "", 1
    if form.is_valid():
        query, kind, page = (form.cleaned_data[name] for name in ("q", "kind", "page"))
    found = selectors.results(request.user, query, kind=kind, page=page)

    groups = [
        {
            "kind": name,
            "label": Kind(name).label,
            "hits": result.hits,
            "more": found.more_link(name),
        }
        for name, result in found.found.items()
    ]
    context = {
        "form": form,
        "q": query,
        "kind": kind,
        "kind_label": Kind(kind).label if kind else "",
        "words": selectors.terms_of(query),
        "groups": groups,
        "found_any": bool(found.hits),
        "all_kinds": found.link(),
        "previous": found.link(kind, found.page - 1) if kind and found.page > 1 else "",
        "next": found.more_link(kind) if kind else "",
        "capped": found.capped,
        "max_hits": MAX_HITS,
    }
    return render(request, "interactions/search.html", context)
