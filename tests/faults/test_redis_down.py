"""Redis down: the broker and the cache both at a closed port. Pages, logging an interaction
(the form and the API) and the API's lists keep working; a task a page enqueues is kept in
the outbox to send later; /healthz says "degraded" but 200 (the node still serves)."""

import datetime as dt
import time

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from crm.models import PendingTask
from interactions.models import Interaction
from retention.health import scoring
from retention.models import ScoringConfiguration
from tests.api_clients import token_client
from tests.factories import AccountFactory, ContactFactory

from .helpers import DEAD_REDIS, celery_app_on, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down(settings):
    """The cache and the broker at a port where nothing listens, as if Redis had died."""
    settings.CACHES = {
        "default": {"BACKEND": "crm.cache.FailSoftRedisCache", "LOCATION": "redis://127.0.0.1:1/6"}
    }
    settings.CELERY_BROKER_URL = DEAD_REDIS
    with celery_app_on(DEAD_REDIS):
        yield


@pytest.fixture
def account(csm):
    account = AccountFactory(owner=csm, name="Acme Logistics")
    ContactFactory(account=account, name="Petra Pfeiffer")
    return account


def test_the_cache_is_really_down(redis_down):
    # The fixture's premise: writes are dropped, reads miss.
    cache.set("probe", 1)
    assert cache.get("probe", "missed") == "missed"


def test_pages_answer_while_redis_is_down(redis_down, client, csm, team_lead, account):
    scoring.score_accounts()
    urls = [
        (csm, reverse("retention:portfolio")),
        (csm, reverse("customers:account_list")),
        (csm, reverse("customers:account_detail", args=[account.pk])),
        (csm, reverse("retention:at_risk")),
        (csm, reverse("interactions:log") + f"?account={account.pk}"),
        (team_lead, reverse("retention:report")),  # reads and writes the cache
    ]
    timings = []
    for user, url in urls:
        client.force_login(user)
        started = time.monotonic()
        response = client.get(url)
        timings.append(f"{url} {response.status_code} {1000 * (time.monotonic() - started):.0f} ms")
        assert response.status_code == 200, url
    report("GET six pages with the cache and the broker at a closed port", "; ".join(timings))


def test_logging_an_interaction_with_the_form_while_redis_is_down(redis_down, client, csm, account):
    client.force_login(csm)
    response = client.post(
        reverse("interactions:log"),
        {
            "account": account.pk,
            "kind": "call",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "summary": "Renewal call while Redis is down",
        },
    )
    assert response.status_code == 302
    saved = Interaction.objects.get()
    assert (saved.account, saved.author, saved.summary) == (
        account,
        csm,
        "Renewal call while Redis is down",
    )
    report("POST the log-interaction form with Redis down", "302, the interaction is saved")


def test_the_api_lists_and_logs_while_redis_is_down(redis_down, csm, account):
    # A token client: the throttle counts in the cache, which is down.
    api = token_client(csm)
    listed = api.get("/api/v1/interactions/")
    created = api.post(
        "/api/v1/interactions/",
        {
            "account": account.pk,
            "kind": "call",
            "occurred_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
            "summary": "Logged by a tool while Redis is down",
        },
        format="json",
    )
    again = api.get("/api/v1/interactions/")
    assert listed.status_code == 200 and listed.json()["count"] == 0
    assert created.status_code == 201, created.content
    assert Interaction.objects.get().summary == "Logged by a tool while Redis is down"
    assert again.status_code == 200 and again.json()["count"] == 1
    report(
        "token client: GET /api/v1/interactions/, POST one, GET again, with Redis down",
        f"{listed.status_code}, {created.status_code} (row saved), {again.status_code}",
    )


def test_the_admins_score_now_button_keeps_the_task_while_the_broker_is_down(
    redis_down, client, admin_user, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    config = ScoringConfiguration.objects.get(is_active=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:retention_scoringconfiguration_changelist"),
            {"action": "rescore_now", "_selected_action": [config.pk]},
        )
    assert response.status_code == 302
    assert list(PendingTask.objects.values_list("task", flat=True)) == [
        "retention.tasks.score_accounts"
    ]
    report(
        "admin action 'Score all accounts now' with the broker down",
        "302 with its message; score_accounts kept in the outbox to send later",
    )


def test_healthz_says_degraded_but_200_while_the_broker_is_down(redis_down, client):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["database"]) == ("degraded", "ok")
    assert body["broker"].startswith("error: ")
    report("GET /healthz with the broker down", f"200 {body}")
