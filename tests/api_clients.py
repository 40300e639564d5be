"""API clients for the tests of the REST API."""

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def client_for(user) -> APIClient:
    """Signed in as ``user`` (as a session would be)."""
    client = APIClient()
    client.force_authenticate(user)
    return client


def token_client(user) -> APIClient:
    """A tool of ``user``'s, authenticating with a token (and throttled as one)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}
