"""The scope matrix, found from the URL resolver: a CSM and a team lead of team A get nothing of
team B, through any URL the project serves.

- Every URL with an object in it (``<int:pk>``, ``account_id``, a viewset's detail route) is
  requested with team B's row of the model it names, with every method it takes (GET, also as
  htmx; POST with plausible data and empty; the API's PUT, PATCH, DELETE): the answer is 404
  (405 for a method the URL never takes), and nothing of the row shows. The one 403 allowed
  is a refusal for the role that comes before any row is looked up (a CSM changing a contract
  through the API): it must be the same for an id no row has, so it tells nothing.
- Every URL without an object (lists, exports, the API's lists, the forms that pick an account)
  is requested with queries that try to widen the scope (``?scope=all``, ``?account=<B>``, a
  search for B's name, ...): nothing of team B shows, in HTML, CSV or JSON, and no form offers
  B's accounts, contacts or people.
- The pages of team A's own rows offer nothing of team B either (the selects of the forms).
- Nothing of team B changes, whatever was posted.
- Every admin URL sends a CSM or a team lead (not staff) to the admin's sign-in form.

Which model a URL parameter names is worked out from the view (a viewset's queryset, the
ModelAdmin) or the route's words (``follow-ups/<pk>`` → FollowUp); a new URL that cannot be
mapped fails with a message saying where to add it (``tests/crm/url_walk.py``).
"""

import datetime as dt
import json
import re
from urllib.parse import urlencode

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.models import InboxItem
from customers.models import (
    Account,
    Contact,
    Contract,
    HandoverRequest,
    OwnershipTransfer,
    Segment,
)
from customers.services import refresh_ledger
from interactions.models import Feedback, FollowUp, Interaction, OpenProblem, PlannedMeeting
from retention.figures.forms import ACCOUNT_SETS, default_period
from retention.figures.report import EXPORTS
from retention.models import (
    HealthScore,
    Playbook,
    PlaybookRun,
    RiskFlag,
    RunStep,
    SentimentReading,
)
from retention.playbooks import services as playbook_services

from ..factories import (
    ContactFactory,
    ContractFactory,
    FeedbackFactory,
    FollowUpFactory,
    HandoverRequestFactory,
    HealthScoreFactory,
    InboxItemFactory,
    InteractionFactory,
    OpenProblemFactory,
    OwnershipTransferFactory,
    PlannedMeetingFactory,
    RiskFlagFactory,
    SentimentReadingFactory,
)
from .url_walk import PLAIN_VALUES, Endpoint, endpoints, fill, object_model, verdict

pytestmark = pytest.mark.django_db

# Models that are nobody's book: every user may read them (every account names a segment).
SHARED_MODELS = {Segment, ContentType, Playbook}
# The rows of a team, by model; every text of team B's rows carries "Bravo".
SCOPED_MODELS = (
    Account,
    Contact,
    Contract,
    Interaction,
    FollowUp,
    OpenProblem,
    Feedback,
    OwnershipTransfer,
    HandoverRequest,
    HealthScore,
    RiskFlag,
    SentimentReading,
    PlannedMeeting,
    InboxItem,
    PlaybookRun,
    RunStep,
)
PERSONAS = ["csm", "team_lead"]


def _team_rows(account, *, word: str, owner) -> dict[type[Model], Model]:
    """One row of every scoped model on ``account``, each text carrying ``word``."""
    Account.objects.filter(pk=account.pk).update(external_id=f"{word.upper()}-EXT")
    ContractFactory(
        account=account,
        reference=f"{word.upper()}-C1",
        start_date=dt.date(2024, 1, 1),
        end_date=timezone.localdate() + dt.timedelta(days=20),
        notice_period_days=10,
    )
    refresh_ledger(account_ids=[account.pk])
    account.refresh_from_db()
    contact = ContactFactory(
        account=account, name=f"Bea {word}", email=f"bea@{word.lower()}.example"
    )
    rows = [
        account,
        account.contracts.get(),
        contact,
        InteractionFactory(
            account=account, author=owner, summary=f"{word} pricing call", notes=f"{word} notes"
        ),
        FollowUpFactory(account=account, owner=owner, title=f"{word} promise"),
        OpenProblemFactory(account=account, title=f"{word} outage"),
        FeedbackFactory(account=account, contact=contact, comment=f"{word} praise"),
        OwnershipTransferFactory(
            account=account, from_owner=None, to_owner=owner, reason=f"{word} handover"
        ),
        HandoverRequestFactory(
            account=account,
            proposed_owner=owner,
            reason=f"{word} handover request",
            handover_notes=f"{word} request notes",
        ),
        HealthScoreFactory(account=account, score=20, band="red"),
        RiskFlagFactory(account=account, explanation=f"{word} red score"),
        SentimentReadingFactory(account=account, author=owner, comment=f"{word} mood"),
        PlannedMeetingFactory(account=account, owner=owner, summary=f"{word} kick-off"),
        # Not an account's row: the owner's own inbox (nobody else's item exists for them).
        InboxItemFactory(user=owner, params={"account": f"{word} inbox"}),
    ]
    run = playbook_services.start_campaign(
        playbook=Playbook.objects.get(name="Re-engagement"), account_ids=[account.pk], by=owner
    )[0]
    rows += [run, run.steps.order_by("position").first()]
    return {type(row): row for row in rows}


@pytest.fixture
def team_b_rows(book, other_csm):
    """Team B's rows, on the book's account of the CSM of another team."""
    return _team_rows(book["other"], word="Bravo", owner=other_csm)


@pytest.fixture
def team_a_rows(book, csm):
    """The CSM's own rows (team A): the pages of these are the forms a CSM fills in."""
    return _team_rows(book["mine"], word="Alpha", owner=csm)


@pytest.fixture
def secrets(book, team_b_rows, other_csm):
    """Strings that must not show to team A (compared case-insensitively)."""
    return [book["other"].name, "Bravo", other_csm.email]


def snapshot(account) -> dict:
    """Every scoped row of ``account`` as stored, to show that nothing was changed."""
    rows = {}
    for model in SCOPED_MODELS:
        queryset = model.objects.filter(pk=account.pk) if model is Account else None
        if model is InboxItem:
            queryset = model.objects.filter(user=account.owner)
        if model is RunStep:
            queryset = model.objects.filter(run__account=account)
        if queryset is None:
            queryset = model.objects.filter(account=account)
        rows[model.__name__] = sorted(
            (model_to_dict(row) | {"pk": row.pk} for row in queryset), key=lambda r: r["pk"]
        )
    return rows


def body_of(response) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return content.decode("utf-8", errors="replace")


OPTION = re.compile(r"<option\b[^>]*>(.*?)</option>", re.S | re.I)


def leaks(body: str, secrets: list[str], person: str) -> list[str]:
    """What of team B ``body`` shows: any secret string, or B's CSM offered in a select."""
    low = body.lower()
    found = [s for s in secrets if s.lower() in low]
    found += [f"option {o.strip()!r}" for o in OPTION.findall(body) if person in o]
    return found


def plausible_data(*, rows, persona) -> dict:
    """Form fields a page might take, filled with team B's rows (and the persona)."""
    today = timezone.localdate()
    occurred = timezone.localtime() - dt.timedelta(hours=1)
    return {
        "account": rows[Account].pk,
        "contact": rows[Contact].pk,
        "contacts": [rows[Contact].pk],
        "name": "Mallory Probe",
        "email": "mallory@probe.example",
        "title": "Probe title",
        "kind": "call",
        "occurred_at": occurred.strftime("%Y-%m-%d %H:%M"),
        "summary": "Probe summary",
        "due_on": (today + dt.timedelta(days=7)).isoformat(),
        "owner": persona.pk,
        "to_owner": persona.pk,
        "from_owner": rows[Account].owner_id,
        "reason": "Probe reason",
        "comment": "Probe comment",
        "until": (today + dt.timedelta(days=14)).isoformat(),
        "severity": "medium",
        "description": "Probe description",
        "status": "resolved",
        "resolution": "Probe resolution",
        "score": 9,
        "received_on": today.isoformat(),
        "monthly_value": "1.00",
        "reference": "PROBE-1",
        "start_date": today.isoformat(),
        "next": "/",
    }


def object_params(endpoint: Endpoint) -> dict[str, type[Model]]:
    """The parameters of ``endpoint`` that name a scoped row, with their models."""
    found = {}
    for param in endpoint.params:
        if param in PLAIN_VALUES:
            continue
        model = object_model(endpoint, param)
        if model is not None and model not in SHARED_MODELS:
            found[param] = model
    return found


def ghost_rows(models) -> dict:
    """Unsaved rows with ids no row has: the URL of something that does not exist."""
    return {model: model(pk=10**9 + 7) for model in models}


def app_endpoints() -> list[Endpoint]:
    return [e for e in endpoints() if not e.is_admin]


class Requester:
    """Requests as ``user``, signed in afresh each time (a POST to a logout URL must not turn
    the rest of the matrix into anonymous requests)."""

    def __init__(self, user):
        self.user = user
        self.client = Client()

    def __call__(self, method: str, url: str, data=None, *, htmx=False, as_json=False):
        if "_auth_user_id" not in self.client.session:
            self.client.force_login(self.user)
        headers = {"HX-Request": "true"} if htmx else {}
        kwargs = {"headers": headers}
        if data is not None:
            if as_json:
                kwargs.update(data=json.dumps(data), content_type="application/json")
            else:
                kwargs["data"] = data
        return getattr(self.client, method)(url, **kwargs)


def requests_for(endpoint: Endpoint, data: dict):
    """(method, data, htmx, as_json) for every way ``endpoint`` may be called."""
    if endpoint.drf_actions:
        for method in endpoint.drf_actions:
            if method in ("get", "head", "options", "delete"):
                yield method, None, False, False
            else:
                yield method, data, False, True
                yield method, {}, False, True
        return
    yield "get", None, False, False
    yield "get", None, True, False
    yield "post", data, False, False
    yield "post", {}, False, False
    yield "post", data, True, False


# --- objects of another team -----------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_objects_of_another_team_answer_404_and_show_nothing(
    request, persona, book, team_a_rows, team_b_rows, secrets, other_csm
):
    user = request.getfixturevalue(persona)
    call = Requester(user)
    data = plausible_data(rows=team_b_rows, persona=user)
    before = snapshot(book["other"])
    problems, covered = [], []
    for endpoint in app_endpoints():
        try:
            params = object_params(endpoint)
        except LookupError as error:
            problems.append(f"unmapped: {error}")
            continue
        if not params:
            continue
        missing = [m.__name__ for m in params.values() if m not in team_b_rows]
        if missing:
            problems.append(
                f"{endpoint.name}: no team B row of {missing}; add it to _team_rows in "
                "tests/crm/test_scope_matrix_auto.py (and SCOPED_MODELS)"
            )
            continue
        covered.append(endpoint.name)
        urls = endpoint.urls(fill(endpoint, team_b_rows))
        ghosts = endpoint.urls(fill(endpoint, ghost_rows(params.values())))
        for url, ghost in zip(urls, ghosts, strict=True):
            statuses = []
            for method, payload, htmx, as_json in requests_for(endpoint, data):
                response = call(method, url, payload, htmx=htmx, as_json=as_json)
                statuses.append(response.status_code)
                where = f"{method.upper()}{' (htmx)' if htmx else ''} {url}"
                if response.status_code == 403:
                    # Refused for the role, whatever the row: as for a row that does not exist.
                    unknown = call(method, ghost, payload, htmx=htmx, as_json=as_json)
                    if unknown.status_code != 403:
                        problems.append(
                            f"{where} answered 403, a missing row {unknown.status_code}"
                        )
                elif response.status_code not in (404, 405):
                    problems.append(f"{where} answered {response.status_code}, not 404")
                if found := leaks(body_of(response), secrets, other_csm.get_full_name()):
                    problems.append(f"{where} shows {found}")
            if 404 not in statuses:
                problems.append(f"{url}: no method answered 404 ({statuses})")
    assert not problems, "\n".join(problems)
    assert snapshot(book["other"]) == before, "a request changed team B's rows"
    # The walk found the object URLs of every app and of the API.
    for name in ("customers:contact_edit", "retention:flag_action", "api:account-health"):
        assert name in covered
    assert len(covered) >= 30


def test_a_csm_changes_nothing_of_a_teammate_and_is_never_told_403(csm, book, teammate):
    """A CSM reads the team's accounts and changes only their own: every URL of a teammate's
    rows answers (200 where reading is allowed, 404 where changing is not), never 403 or an
    error, and nothing of the teammate's rows changes."""
    rows = _team_rows(book["teammates"], word="Tango", owner=teammate)
    call = Requester(csm)
    data = plausible_data(rows=rows, persona=csm)
    before = snapshot(book["teammates"])
    problems, answers = [], set()
    for endpoint in app_endpoints():
        params = object_params(endpoint)
        if not params:
            continue
        urls = endpoint.urls(fill(endpoint, rows))
        ghosts = endpoint.urls(fill(endpoint, ghost_rows(params.values())))
        for url, ghost in zip(urls, ghosts, strict=True):
            for method, payload, htmx, as_json in requests_for(endpoint, data):
                status = call(method, url, payload, htmx=htmx, as_json=as_json).status_code
                answers.add(status)
                if status == 403:
                    unknown = call(method, ghost, payload, htmx=htmx, as_json=as_json)
                    if unknown.status_code != 403:
                        problems.append(f"{method.upper()} {url} answered 403, not 404")
                elif status >= 500:
                    problems.append(f"{method.upper()} {url} answered {status}")
    assert not problems, "\n".join(problems)
    assert snapshot(book["teammates"]) == before, "a CSM changed a teammate's rows"
    assert {200, 404} <= answers


# --- lists, exports, forms that pick ---------------------------------------------------------


def list_queries(*, book, team_b_rows, other_csm, team_b) -> list[str]:
    """Queries that try to widen a list to team B (every list gets all of them)."""
    other = book["other"]
    return [
        "",
        # Searches that match team B's rows; shorter than the secrets, as the page echoes them.
        "?" + urlencode({"q": other.name[:-1]}),
        "?q=Brav",
        # The global search: words of B's contact, interaction and account, per kind.
        "?q=bea",
        "?q=pricing+call",
        "?q=Brav&kind=contact",
        "?q=Brav&kind=interaction&page=1",
        "?q=EXT&kind=account",
        "?scope=all",
        "?scope=team",
        f"?owner={other_csm.pk}",
        f"?team={team_b.pk}",
        f"?account={other.pk}",
        f"?account={book['mine'].pk}",
        f"?account_id={other.pk}",
        f"?contact={team_b_rows[Contact].pk}",
        "?status=all&page_size=200",
        "?band=red",
        f"?who={other_csm.pk}",
        "?who=team&view=week",
        f"?who={other_csm.pk}&view=day",
    ]


def extra_queries(*, book, other_csm) -> dict[str, list[str]]:
    """What some lists need to show rows at all: the report's exports and account lists."""
    period = default_period(timezone.localdate())
    accounts = [f"?set={s}&period={period}" for s in ACCOUNT_SETS]
    accounts += [q + "&export=accounts" for q in accounts]
    accounts += [f"?set=start&period={period}&by=owner&key={other_csm.pk}&export=accounts"]
    return {
        "retention:report": [f"?period={period}&export={name}" for name in EXPORTS],
        "retention:report_accounts": accounts,
        "retention:at_risk_export": ["?status=all", f"?owner={other_csm.pk}"],
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_lists_exports_and_choices_show_nothing_of_another_team(
    request, persona, book, team_a_rows, team_b_rows, secrets, other_csm, team_b
):
    user = request.getfixturevalue(persona)
    call = Requester(user)
    data = plausible_data(rows=team_b_rows, persona=user)
    queries = list_queries(book=book, team_b_rows=team_b_rows, other_csm=other_csm, team_b=team_b)
    extra = extra_queries(book=book, other_csm=other_csm)
    b_ids = {model: row.pk for model, row in team_b_rows.items()}
    before = snapshot(book["other"])
    problems, covered = [], []
    for endpoint in app_endpoints():
        if endpoint.params:
            continue
        covered.append(endpoint.name)
        url = "/" + endpoint.template
        for query in queries + extra.get(endpoint.name, []):
            response = call("get", url + query)
            body = body_of(response)
            if found := leaks(body, secrets, other_csm.get_full_name()):
                problems.append(f"GET {url}{query} ({response.status_code}) shows {found}")
            model = getattr(getattr(endpoint.view_class, "queryset", None), "model", None)
            if response.status_code == 200 and model in b_ids and endpoint.drf_actions:
                ids = {row["id"] for row in response.json()["results"]}
                if b_ids[model] in ids:
                    problems.append(f"GET {url}{query} lists team B's {model.__name__}")
        for method, payload, htmx, as_json in requests_for(endpoint, data):
            if method == "get":
                continue
            response = call(method, url, payload, htmx=htmx, as_json=as_json)
            if found := leaks(body_of(response), secrets, other_csm.get_full_name()):
                problems.append(f"{method.upper()} {url} shows {found}")
    assert not problems, "\n".join(problems)
    assert snapshot(book["other"]) == before, "a request changed team B's rows"
    for name in (
        "customers:account_list_export",
        "retention:portfolio_export",
        "retention:at_risk_export",
        "interactions:log",
        "api:contact-list",
        "search:search",
        "api:search",
    ):
        assert name in covered


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_checks_see_what_is_in_scope(request, persona, book, team_a_rows, team_b_rows):
    """The same requests show team A's own rows: the checks above look where the rows would
    show, so a leak would be seen."""
    user = request.getfixturevalue(persona)
    call = Requester(user)
    mine = book["mine"]
    assert "Alpha pricing call" in body_of(call("get", mine.get_absolute_url()))
    assert mine.name in body_of(call("get", reverse("customers:account_list_export")))
    portfolio = reverse("retention:portfolio_export") + "?scope=team"  # a CSM's: their own
    assert mine.name in body_of(call("get", portfolio))
    assert "Bea Alpha" in body_of(call("get", reverse("api:contact-list")))
    log_form = body_of(call("get", reverse("interactions:log")))
    assert any(mine.name in o for o in OPTION.findall(log_form))
    with_account = body_of(call("get", reverse("interactions:log") + f"?account={mine.pk}"))
    assert "Bea Alpha" in with_account  # the contacts to tick
    search = reverse("search:search")
    assert "Alpha pricing call" in body_of(call("get", search + "?q=pricing+call"))
    assert "Bea Alpha" in body_of(call("get", search + "?q=bea"))
    assert "Alpha pricing call" in body_of(call("get", reverse("api:search") + "?q=pricing"))
    planned = team_a_rows[PlannedMeeting]
    day = timezone.localdate(planned.planned_at).isoformat()
    calendar = reverse("calendar:calendar") + f"?view=day&date={day}&who=team"  # CSM: own
    assert "Alpha kick-off" in body_of(call("get", calendar))


@pytest.mark.parametrize("persona", PERSONAS)
def test_pages_of_own_rows_offer_nothing_of_another_team(
    request, persona, team_a_rows, team_b_rows, secrets, other_csm
):
    """The forms and pages of team A's own rows (GET only): their selects offer no account,
    contact or person of team B."""
    user = request.getfixturevalue(persona)
    call = Requester(user)
    problems, served = [], 0
    for endpoint in app_endpoints():
        if not object_params(endpoint):
            continue
        for url in endpoint.urls(fill(endpoint, team_a_rows)):
            response = call("get", url)
            served += response.status_code == 200
            if found := leaks(body_of(response), secrets, other_csm.get_full_name()):
                problems.append(f"GET {url} ({response.status_code}) shows {found}")
    assert not problems, "\n".join(problems)
    assert served >= 15


# --- the admin -------------------------------------------------------------------------------

# Admin URLs a signed-in non-staff user may reach: the sign-in form (it says the account has no
# access) and signing out (redirects to the admin index, which redirects to sign-in).
ADMIN_OPEN = {"admin:login", "admin:logout"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_admin_sends_a_csm_or_team_lead_to_the_admin_sign_in(
    request, persona, team_b_rows, secrets, other_csm
):
    call = Requester(request.getfixturevalue(persona))
    problems, seen = [], 0
    for endpoint in endpoints():
        if not endpoint.is_admin or endpoint.name in ADMIN_OPEN:
            continue
        try:
            urls = endpoint.urls(fill(endpoint, team_b_rows))
        except LookupError as error:
            problems.append(f"unmapped: {error}")
            continue
        for url in urls:
            for method in ("get", "post"):
                seen += 1
                response = call(method, url, {} if method == "post" else None)
                if verdict(endpoint, url, response) != "protected":
                    problems.append(f"{method.upper()} {url} answered {response.status_code}")
                if found := leaks(body_of(response), secrets, other_csm.get_full_name()):
                    problems.append(f"{method.upper()} {url} shows {found}")
    assert not problems, "\n".join(problems)
    assert seen > 100
