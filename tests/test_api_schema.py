"""Schemathesis against the API's own OpenAPI schema (``/api/schema/``): for every operation,
generated requests, valid and invalid, sent by an admin with a token never make the server
fail, and every documented answer matches the schema.

The schema is the one ``/api/schema/`` serves, generated in-process (that URL needs a
sign-in); each operation is one test that calls the app in-process inside the test's
transaction, with a small book of rows so lists and lookups have something to show. Bounded
and derandomized: a fixed number of examples per operation and generation mode, the same cases
on every run.

(Schemathesis' own ``@schema.parametrize()`` would do the looping, but it rewrites pytest's
private ``_nodeid``, which pytest 9.2 no longer has; ``as_strategy`` is its documented way to
use the generated cases from a plain test.)
"""

import datetime as dt
import json
import re

import hypothesis
import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from customers.models import Account, Contact, Contract, Segment
from customers.services import create_contract
from interactions.models import Feedback, FollowUp, Interaction, OpenProblem
from retention.models import HealthScore, Playbook, PlaybookRun, RiskFlag, RunStep
from retention.playbooks import services as playbook_services
from tests.factories import (
    AccountFactory,
    ContactFactory,
    FeedbackFactory,
    FollowUpFactory,
    HealthScoreFactory,
    InteractionFactory,
    OpenProblemFactory,
    RiskFlagFactory,
    SegmentFactory,
)
from tests.fuzzing import examples

MAX_EXAMPLES = 15
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _api_schema() -> dict:
    """The schema ``/api/schema/`` serves (it needs a sign-in, so it is generated here)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True)))


SCHEMA = schemathesis.openapi.from_dict(_api_schema())
SCHEMA.app, SCHEMA.location = WSGIHandler(), "/api/schema/"
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]

# The table behind each resource, so that half of the cases of an operation on one row name
# a row that exists (ids made up by the fuzzer hardly ever do).
RESOURCES = {
    "segments": Segment,
    "accounts": Account,
    "contacts": Contact,
    "contracts": Contract,
    "interactions": Interaction,
    "follow-ups": FollowUp,
    "problems": OpenProblem,
    "feedback": Feedback,
    "health-scores": HealthScore,
    "risk-flags": RiskFlag,
    "playbooks": Playbook,
    "playbook-runs": PlaybookRun,
    "tasks": RunStep,
}


def existing_row(operation) -> dict | None:
    """Path parameters naming a row of the book, for operations on one row."""
    resource = operation.path.removeprefix("/api/v1/").split("/")[0]
    if "{id}" in operation.path:
        return {"id": RESOURCES[resource].objects.order_by("pk").values_list("pk", flat=True)[0]}
    if "{account_id}" in operation.path:
        return {"account_id": Account.objects.order_by("pk").values_list("pk", flat=True)[0]}
    return None


def _book(owner) -> None:
    segment = SegmentFactory(name="SMB")
    for n in range(3):
        account = AccountFactory(owner=owner, segment=segment)
        create_contract(
            account=account,
            reference=f"R-{n}",
            start_date=dt.date(2025, 1, 1),
            monthly_value=100 * (n + 1),
        )
        contact = ContactFactory(account=account, is_champion=True)
        InteractionFactory(account=account, author=owner).contacts.add(contact)
        FollowUpFactory(account=account, owner=owner)
        OpenProblemFactory(account=account, opened_by=owner)
        FeedbackFactory(account=account, contact=contact, author=owner)
        HealthScoreFactory(account=account, scored_on=timezone.localdate())
        RiskFlagFactory(account=account)
        playbook_services.start_campaign(
            playbook=Playbook.objects.get(name="Re-engagement"), account_ids=[account.pk], by=owner
        )


@pytest.fixture
def admin_token(settings, csm, admin_user) -> str:
    """An admin's token, with a few accounts and their relationship to read."""
    # The admin's token must not run into the rate limit while schemathesis fires away.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "100000/hour", "token_obtain": "100000/hour"},
    }
    cache.clear()
    _book(csm)
    # Requests run inside the test's transaction: keep Django from closing the connection at
    # the start and end of each request, as its test client does.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield Token.objects.create(user=admin_user).key
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_schema_lists_every_endpoint():
    paths = {operation.path for operation in OPERATIONS}
    for resource in (
        "segments",
        "accounts",
        "contacts",
        "contracts",
        "interactions",
        "follow-ups",
        "problems",
        "feedback",
        "health-scores",
        "risk-flags",
        "playbooks",
        "playbook-runs",
        "tasks",
    ):
        assert f"/api/v1/{resource}/" in paths
        assert f"/api/v1/{resource}/{{id}}/" in paths
    assert {
        "/api/v1/retention/",
        "/api/v1/accounts/{account_id}/health/",
        "/api/v1/risk-flags/{id}/acknowledge/",
        "/api/v1/risk-flags/{id}/resolve/",
        "/api/v1/auth/token/",
        "/api/v1/search/",
    } <= paths


def test_schema_and_docs_need_a_sign_in(client, csm):
    assert client.get("/api/schema/").status_code in {401, 403}
    assert client.get("/api/docs/").status_code in {401, 403}
    client.force_login(csm)
    assert client.get("/api/schema/").status_code == 200


def test_docs_are_served_from_package_files_not_a_cdn(client, csm):
    client.force_login(csm)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', response.content.decode())
    assert assets
    for asset in assets:
        if asset.startswith("/api/docs/?script="):  # Swagger UI's start-up script, ours
            continue
        assert asset.startswith("/static/drf_spectacular_sidecar/")
        assert finders.find(asset.removeprefix("/static/")), asset


@pytest.mark.hypothesis  # its @given is inside: mark it for `make fuzz` (pytest -m hypothesis)
@pytest.mark.django_db
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_api_answers_generated_requests_without_error_and_as_documented(
    operation, mode, admin_token
):
    headers = {"Authorization": f"Token {admin_token}"}
    cases = operation.as_strategy(mode)
    if (known := existing_row(operation)) is not None:
        cases = st.one_of(cases, operation.as_strategy(mode, path_parameters=known))

    @hypothesis.settings(
        max_examples=examples(MAX_EXAMPLES),
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(case=cases)
    def answers_as_documented(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        answers_as_documented()
    except hypothesis.errors.Unsatisfiable:
        if mode != GenerationMode.NEGATIVE:
            raise
        # /api/v1/me/ and its rotate take no parameters and no body: nothing to make invalid.
        pytest.skip("the operation takes no input that could be invalid")
