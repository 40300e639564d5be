import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_browser_language_is_used_when_the_user_chose_none(client, csm):
    client.force_login(csm)
    response = client.get(reverse("customers:account_list"), HTTP_ACCEPT_LANGUAGE="de")
    assert response.headers["Content-Language"] == "de"


def test_the_users_choice_beats_the_browser(client, csm):
    client.force_login(csm)
    response = client.post(
        reverse("set_language"),
        {"language": "de", "next": "/customers/"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302 and response.url == "/customers/"
    csm.refresh_from_db()
    assert csm.language == "de"
    page = client.get(reverse("customers:account_list"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.headers["Content-Language"] == "de"


def test_an_unknown_language_or_foreign_redirect_is_refused(client, csm):
    client.force_login(csm)
    assert client.post(reverse("set_language"), {"language": "xx"}).status_code == 400
    response = client.post(
        reverse("set_language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response.url == "/"
