"""The search page and the search box in the navigation."""

import pytest
from django.urls import reverse

from interactions.search import selectors

from ...bad_input.nasty import HOSTILE_QUERIES
from ...factories import AccountFactory, InteractionFactory

pytestmark = pytest.mark.django_db

URL = reverse("search:search")


def page(client, user, **params):
    client.force_login(user)
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.content.decode()


def test_every_page_has_a_search_box_that_works_without_javascript(client, csm):
    client.force_login(csm)
    html = client.get(reverse("retention:portfolio")).content.decode()
    assert f'<form class="nav-search" method="get" action="{URL}" role="search">' in html
    assert 'name="q"' in html and 'aria-keyshortcuts="/"' in html


def test_an_empty_search_shows_a_hint(client, csm):
    html = page(client, csm)
    assert 'data-testid="search-hint"' in html
    assert 'data-testid="search-hit"' not in html
    assert 'data-testid="search-hint"' in page(client, csm, q="  '&|!  ")


def test_hits_are_grouped_by_kind_and_link_to_their_pages(client, csm, searchable):
    html = page(client, csm, q="kranich")
    assert 'data-testid="search-contact"' in html and 'data-testid="search-interaction"' in html
    assert 'data-testid="search-account"' not in html  # no account is called Kranich
    assert f'href="{searchable["contact"].get_absolute_url()}"' in html
    assert f'href="{searchable["call"].get_absolute_url()}"' in html
    assert "bea@kranich.example" in html  # the contact's detail line


def test_a_csm_never_sees_another_teams_rows(client, csm, searchable):
    for query in ("kranich", "pricing", "Other", "berta@other.example", "other.example"):
        html = page(client, csm, q=query)
        assert "Other AG" not in html, query
        assert "Berta" not in html, query
        assert searchable["other_call"].get_absolute_url() not in html, query
        assert searchable["other"].get_absolute_url() not in html, query


def test_an_admin_sees_every_team(client, admin_user, searchable):
    html = page(client, admin_user, q="kranich")
    assert "Berta Kranich" in html and "Beate Kranich" in html


def test_show_more_lists_one_kind_in_pages(client, csm, monkeypatch):
    monkeypatch.setattr(selectors, "PER_KIND", 2)
    monkeypatch.setattr(selectors, "PAGE_SIZE", 3)
    for n in range(5):
        AccountFactory(name=f"Lindenhof {n}", owner=csm)
    html = page(client, csm, q="lindenhof")
    assert html.count('data-testid="search-hit"') == 2
    assert 'href="?q=lindenhof&amp;kind=account"' in html
    html = page(client, csm, q="lindenhof", kind="account")
    assert html.count('data-testid="search-hit"') == 3
    assert 'href="?q=lindenhof&amp;kind=account&amp;page=2"' in html
    html = page(client, csm, q="lindenhof", kind="account", page="2")
    assert html.count('data-testid="search-hit"') == 2
    assert "Lindenhof 4" in html


@pytest.mark.parametrize("kind, page_", [("nonsense", "1"), ("account", "x"), ("", "-3")])
def test_an_unknown_kind_or_page_falls_back(client, csm, searchable, kind, page_):
    html = page(client, csm, q="kranich", kind=kind, page=page_)
    assert "Beate Kranich" in html or kind == "account"


def test_a_search_too_long_or_with_nul_is_answered_with_a_message(client, csm, searchable):
    html = page(client, csm, q="kranich " + "x" * 300)
    assert 'data-testid="search-error"' in html and "200" in html
    assert 'data-testid="search-hit"' not in html
    assert 'data-testid="search-error"' in page(client, csm, q="kra\x00nich")


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_searches_never_fail(client, admin_user, searchable, query):
    client.force_login(admin_user)
    response = client.get(URL, {"q": query, "kind": query[:50], "page": query[:50]})
    assert response.status_code == 200


def test_the_page_makes_few_queries(client, csm, searchable, django_assert_max_num_queries):
    for n in range(30):
        InteractionFactory(account=searchable["mine"], author=csm, summary=f"Kranich call {n}")
    client.force_login(csm)
    with django_assert_max_num_queries(12):
        response = client.get(URL, {"q": "kranich"})
    assert response.content.decode().count('data-testid="search-hit"') == 7  # 5 + 2 contacts
    with django_assert_max_num_queries(10):
        response = client.get(URL, {"q": "kranich", "kind": "interaction"})
    assert response.content.decode().count('data-testid="search-hit"') == selectors.PAGE_SIZE
