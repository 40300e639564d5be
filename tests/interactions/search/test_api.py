"""``GET /api/v1/search/``: the page's hits as JSON, scoped, bounded."""

import pytest
from django.urls import reverse

from ...bad_input.nasty import HOSTILE_QUERIES

pytestmark = pytest.mark.django_db

URL = reverse("api:search")


def get(api_client, user, **params):
    api_client.force_authenticate(user)
    return api_client.get(URL, params)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


def test_hits_have_kind_id_title_and_url(api_client, csm, searchable):
    response = get(api_client, csm, q="bea@kranich.example")
    assert response.status_code == 200
    first = response.json()["results"][0]
    contact = searchable["contact"]
    assert first == {
        "kind": "contact",
        "id": contact.pk,
        "title": "Beate Kranich",
        "url": contact.get_absolute_url(),
    }


def test_the_api_answers_what_the_page_shows(api_client, client, csm, searchable):
    hits = get(api_client, csm, q="kranich").json()["results"]
    client.force_login(csm)
    html = client.get(reverse("search:search"), {"q": "kranich"}).content.decode()
    assert hits and all(f'href="{hit["url"]}"' in html for hit in hits)
    assert html.count('data-testid="search-hit"') == len(hits)


def test_a_csm_gets_nothing_of_another_team(api_client, csm, searchable):
    for query in ("kranich", "pricing", "Other AG", "berta@other.example"):
        data = get(api_client, csm, q=query).json()
        found = {(hit["kind"], hit["id"]) for hit in data["results"]}
        assert ("account", searchable["other"].pk) not in found
        assert ("contact", searchable["other_contact"].pk) not in found
        assert ("interaction", searchable["other_call"].pk) not in found


def test_more_links_to_the_next_page_of_a_kind(api_client, csm, searchable, monkeypatch):
    from interactions.search import selectors

    monkeypatch.setattr(selectors, "PER_KIND", 1)
    data = get(api_client, csm, q="kranich").json()
    assert data["more"] == {
        "contact": f"{URL}?q=kranich&kind=contact",
        "interaction": f"{URL}?q=kranich&kind=interaction",
    }
    data = get(api_client, csm, q="kranich", kind="contact").json()
    assert [hit["kind"] for hit in data["results"]] == ["contact", "contact"]
    assert data["more"] == {}


def test_too_long_or_nul_is_a_400_naming_q(api_client, csm):
    for query in ("x" * 201, "a\x00b"):
        response = get(api_client, csm, q=query)
        assert response.status_code == 400
        assert "q" in response.json()


def test_signing_in_is_required(api_client):
    assert api_client.get(URL, {"q": "x"}).status_code in (401, 403)


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_queries_never_fail(api_client, admin_user, searchable, query):
    response = get(api_client, admin_user, q=query, kind=query[:30], page=query[:30])
    assert response.status_code in (200, 400)
