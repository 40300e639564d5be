"""The search's query string, read the same way by the page and the API."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors import MAX_HITS, MAX_QUERY_LENGTH, PAGE_SIZE, Kind

MAX_PAGE = MAX_HITS // PAGE_SIZE


class SearchQueryForm(forms.Form):
    """``q``: at most ``MAX_QUERY_LENGTH`` characters and no NUL, or an error the reader
    sees. Optionally one ``kind`` and its ``page``: an unknown kind or an unreadable page
    falls back to all kinds and page 1, never an error (they come from our own links)."""

    q = forms.CharField(
        label=_("Search"),
        max_length=MAX_QUERY_LENGTH,
        required=False,
        strip=True,
        error_messages={
            "max_length": _(
                "Search for at most %(limit_value)d characters (this has %(show_value)d)."
            )
        },
    )
    kind = forms.Field(required=False)
    page = forms.Field(required=False)

    def clean_kind(self) -> str:
        kind = self.cleaned_data.get("kind")
        return kind if kind in Kind.values else ""

    def clean_page(self) -> int:
        page = self.cleaned_data.get("page")
        if isinstance(page, str) and page.isascii() and page.isdigit() and len(page) <= 3:
            return min(max(int(page), 1), MAX_PAGE)
        return 1
