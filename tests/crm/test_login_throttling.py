"""Sign-in throttling (django-axes) and password rules.

After AXES_FAILURE_LIMIT wrong passwords for one user name from one address, that pair is
refused for the cool-off time (429 and the lockout page), even with the right password.
"""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from crm.backends import client_ip

from ..factories import UserFactory

LOGIN = reverse("login")
PASSWORD = "correct-horse-battery"


@pytest.fixture
def carla(db):
    return UserFactory(username="carla", password=PASSWORD)


@pytest.fixture
def limit(settings):
    settings.AXES_FAILURE_LIMIT = 3
    return 3


def sign_in(client, username, password, address="203.0.113.7"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_wrong_passwords_up_to_the_limit_lock_the_user_out(client, carla, limit):
    for _ in range(limit - 1):
        response = sign_in(client, "carla", "wrong")
        assert response.status_code == 200  # the form again, with its error
    locked = sign_in(client, "carla", "wrong")

    assert locked.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in locked.templates]
    assert "Too many sign-in attempts" in locked.content.decode()
    assert "Try again in 15 minutes" in locked.content.decode()
    assert locked["Content-Security-Policy"]  # a page of the product like any other


def test_right_password_is_refused_during_the_cool_off(client, carla, limit):
    for _ in range(limit):
        sign_in(client, "carla", "wrong")

    response = sign_in(client, "carla", PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_cool_off_ends_the_lockout(client, carla, limit, settings):
    for _ in range(limit):
        sign_in(client, "carla", "wrong")
    later = timezone.now() + settings.AXES_COOLOFF_TIME + dt.timedelta(seconds=1)

    with time_machine.travel(later, tick=False):
        response = sign_in(client, "carla", PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(carla.pk)


def test_right_password_before_the_limit_resets_the_count(client, carla, limit):
    for _ in range(limit - 1):
        sign_in(client, "carla", "wrong")
    assert sign_in(client, "carla", PASSWORD).status_code == 302
    client.logout()

    for _ in range(limit - 1):
        response = sign_in(client, "carla", "wrong")

    assert response.status_code == 200  # counting starts again from zero


def test_another_user_at_the_same_address_is_not_locked(client, carla, limit):
    UserFactory(username="tom", password=PASSWORD)
    for _ in range(limit):
        sign_in(client, "carla", "wrong")

    response = sign_in(client, "tom", PASSWORD)

    assert response.status_code == 302


def test_the_same_user_from_another_address_is_not_locked(client, carla, limit):
    for _ in range(limit):
        sign_in(client, "carla", "wrong", address="203.0.113.7")

    response = sign_in(client, "carla", PASSWORD, address="198.51.100.2")

    assert response.status_code == 302


def test_admin_sign_in_is_throttled_too(client, admin_user, limit):
    admin_user.set_password(PASSWORD)
    admin_user.save()
    url = reverse("admin:login")
    for _ in range(limit):
        client.post(url, {"username": "ada", "password": "wrong"}, REMOTE_ADDR="203.0.113.7")

    response = client.post(
        url, {"username": "ada", "password": PASSWORD}, REMOTE_ADDR="203.0.113.7"
    )

    assert response.status_code == 429


def test_api_token_endpoint_counts_failures_and_refuses_during_the_cool_off(client, carla, limit):
    url = reverse("api:token")
    for _ in range(limit):
        client.post(url, {"username": "carla", "password": "wrong"}, REMOTE_ADDR="203.0.113.7")

    response = client.post(
        url, {"username": "carla", "password": PASSWORD}, REMOTE_ADDR="203.0.113.7"
    )

    # DRF answers with its own error (axes marks DRF's request, which its middleware never
    # sees), but the right password gets no token while the pair is locked out.
    assert response.status_code == 400
    assert "token" not in response.json()
    assert sign_in(client, "carla", PASSWORD).status_code == 429  # one count for both doors


def test_failures_are_counted_per_client_behind_a_trusted_proxy(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")

    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.5"  # no proxy trusted: the header is the client's
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.7"  # what our proxy saw, not what the client wrote


def test_client_login_in_tests_still_works(client, carla):
    assert client.login(username="carla", password=PASSWORD)


# --- password rules -----------------------------------------------------------------------


@pytest.mark.parametrize("password", ["short1", "password123", "1234567890123", "carla123"])
def test_weak_passwords_are_rejected(carla, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=carla)


def test_admin_refuses_a_weak_password_for_a_new_user(client, admin_user):
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:crm_user_add"),
        {
            "username": "newbie",
            "password1": "12345678",
            "password2": "12345678",
            "usable_password": "true",
        },
    )

    assert response.status_code == 200  # the form again
    assert "This password is too common" in response.content.decode()
    assert not UserFactory._meta.model.objects.filter(username="newbie").exists()


def test_a_strong_password_is_accepted(carla):
    validate_password("Tide-pool quartz 47 lantern", user=carla)


def test_guessing_across_user_names_from_one_address_is_locked_out(client, carla, settings):
    """25 user names x 4 wrong passwords each stay under the per-name limit (5) but not under
    the address's (AXES_ADDRESS_FAILURE_LIMIT, 30 by default)."""
    answers = [
        sign_in(client, f"guess{n}", f"wrong{attempt}").status_code
        for n in range(25)
        for attempt in range(4)
    ]

    assert answers[: settings.AXES_ADDRESS_FAILURE_LIMIT] == [200] * 30
    assert set(answers[settings.AXES_ADDRESS_FAILURE_LIMIT :]) == {429}
    locked = sign_in(client, "carla", PASSWORD)
    assert locked.status_code == 429 and "Too many sign-in attempts" in locked.text
    assert "_auth_user_id" not in client.session
    # Another address is not affected; after the cool-off this one is free again.
    assert sign_in(client, "carla", PASSWORD, address="198.51.100.2").status_code == 302
    client.logout()
    later = timezone.now() + settings.AXES_COOLOFF_TIME + dt.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        assert sign_in(client, "carla", PASSWORD).status_code == 302


def test_the_api_token_endpoint_counts_toward_the_address_limit(client, carla, settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 4
    for n in range(4):
        client.post(
            reverse("api:token"),
            {"username": f"guess{n}", "password": "x"},
            REMOTE_ADDR="203.0.113.7",
        )

    assert sign_in(client, "carla", PASSWORD).status_code == 429
