"""The REST API of health scores, risk flags and retention figures (retention/api.py), and the
throttle on token clients (crm/api.py)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from customers.services import create_contract
from retention.figures.metrics import JSON_KEYS
from retention.models import RiskFlag
from tests.factories import (
    AccountFactory,
    HealthScoreFactory,
    RiskFlagFactory,
    SegmentFactory,
)

from ..api_clients import client_for, ids, token_client
from .figures.bad_periods import BAD_PERIODS, as_params

pytestmark = pytest.mark.django_db

HEALTH = "/api/v1/health-scores/"
FLAGS = "/api/v1/risk-flags/"
RETENTION = "/api/v1/retention/"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()


MEASURES = {
    "engagement": {
        "rating": "poor",
        "value": 47,
        "points": 0,
        "weight": 25,
        "impact": -18,
        "message": {"id": "no_meeting", "days": 47, "cadence": 30},
    },
    "voice": {
        "rating": None,
        "value": None,
        "points": None,
        "weight": 15,
        "impact": 0,
        # a score stored before messages were: its sentence
        "explanation": "no NPS or CSAT within 180 days",
    },
}


# --- health -------------------------------------------------------------------------------


def test_token_client_reads_an_accounts_current_health(csm, book):
    account = book["mine"]
    today = timezone.localdate()
    HealthScoreFactory(account=account, scored_on=today - dt.timedelta(days=1), score=90)
    HealthScoreFactory(
        account=account, scored_on=today, score=48, band="red", trend=-42, measures=MEASURES
    )
    response = token_client(csm).get(f"/api/v1/accounts/{account.pk}/health/")
    assert response.status_code == 200
    data = response.json()
    assert (data["score"], data["band"], data["trend"]) == (48, "red", -42)
    assert data["measures"]["engagement"]["impact"] == -18
    assert data["measures"]["voice"]["rating"] is None
    assert data["reasons"] == [
        {
            "measure": "engagement",
            **MEASURES["engagement"],
            "explanation": "no meeting or call for 47 days (expected every 30)",
        }
    ]
    voice = data["measures"]["voice"]
    assert (voice["message"], voice["explanation"]) == (None, "no NPS or CSAT within 180 days")


def test_the_api_words_reasons_in_the_requests_language_and_gives_their_ids(csm, book):
    HealthScoreFactory(
        account=book["mine"],
        score=48,
        band="red",
        measures=MEASURES,
        guards=[{"id": "on_watch", "days": 12}, "a guard note from before messages"],
    )
    url = f"/api/v1/accounts/{book['mine'].pk}/health/"
    german = client_for(csm).get(url, HTTP_ACCEPT_LANGUAGE="de").json()
    (reason,) = german["reasons"]
    assert reason["message"] == {"id": "no_meeting", "days": 47, "cadence": 30}
    assert reason["explanation"] == "kein Meeting oder Telefonat seit 47 Tagen (erwartet alle 30)"
    assert german["guards"] == [
        "unter Beobachtung: die Betreuung hat vor 12 Tagen gewechselt",
        "a guard note from before messages",
    ]
    assert german["guard_messages"] == [{"id": "on_watch", "days": 12}, None]
    english = client_for(csm).get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["guards"][0] == "on watch: the owner changed 12 days ago"


def test_health_of_an_account_of_another_team_is_not_found(csm, book):
    HealthScoreFactory(account=book["other"])
    response = client_for(csm).get(f"/api/v1/accounts/{book['other'].pk}/health/")
    assert response.status_code == 404


def test_account_without_a_score_has_no_health(csm, book):
    response = client_for(csm).get(f"/api/v1/accounts/{book['mine'].pk}/health/")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("csm", {"mine", "teammates"}),
        ("team_lead", {"mine", "teammates"}),
        ("other_csm", {"other"}),
        ("admin_user", {"mine", "teammates", "other"}),
    ],
)
def test_health_scores_are_scoped_like_their_accounts(request, book, persona, sees):
    made = {key: HealthScoreFactory(account=account).pk for key, account in book.items()}
    user = request.getfixturevalue(persona)
    assert ids(client_for(user).get(HEALTH)) == {made[k] for k in sees}
    for key in set(made) - sees:
        assert client_for(user).get(f"{HEALTH}{made[key]}/").status_code == 404


def test_latest_filter_keeps_each_accounts_newest_score(csm, book):
    today = timezone.localdate()
    HealthScoreFactory(account=book["mine"], scored_on=today - dt.timedelta(days=1))
    newest = HealthScoreFactory(account=book["mine"], scored_on=today)
    other = HealthScoreFactory(account=book["teammates"], scored_on=today - dt.timedelta(days=5))
    api = client_for(csm)
    assert ids(api.get(HEALTH, {"latest": "true"})) == {newest.pk, other.pk}
    assert api.get(HEALTH, {"account": book["mine"].pk}).json()["count"] == 2


def test_health_scores_filter_by_band(csm, book):
    red = HealthScoreFactory(account=book["mine"], score=30, band="red")
    HealthScoreFactory(account=book["teammates"], score=90, band="green")
    assert ids(client_for(csm).get(HEALTH, {"band": "red"})) == {red.pk}


def test_health_list_query_count_does_not_grow_with_rows(admin_user, django_assert_max_num_queries):
    start = timezone.localdate()
    for n in range(60):
        HealthScoreFactory(
            account=AccountFactory(owner=admin_user),
            scored_on=start - dt.timedelta(days=n),
            measures=MEASURES,
        )
    with django_assert_max_num_queries(6):
        response = token_client(admin_user).get(HEALTH)
    assert response.json()["count"] == 60


# --- risk flags ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("csm", {"mine", "teammates"}),
        ("teammate", {"mine", "teammates"}),
        ("team_lead", {"mine", "teammates"}),
        ("other_csm", {"other"}),
        ("admin_user", {"mine", "teammates", "other"}),
    ],
)
def test_flags_are_scoped_like_their_accounts(request, book, persona, sees):
    made = {key: RiskFlagFactory(account=account).pk for key, account in book.items()}
    user = request.getfixturevalue(persona)
    assert ids(client_for(user).get(FLAGS)) == {made[k] for k in sees}


def test_flag_says_why_and_since_when(csm, book):
    flag = RiskFlagFactory(account=book["mine"])
    data = client_for(csm).get(f"{FLAGS}{flag.pk}/").json()
    assert data["reason"] == "entered_red"
    assert data["explanation"] == (
        "score 42 is red (below 51): -30: no meeting or call for 70 days (expected every 30)"
    )
    assert data["explanation_message"] == flag.explanation_message
    assert Decimal(data["measured_value"]) == 42
    assert Decimal(data["threshold"]) == 51
    assert data["raised_on"] == flag.raised_on.isoformat()


def test_owner_acknowledges_a_flag_with_a_comment(csm, book):
    flag = RiskFlagFactory(account=book["mine"])
    response = client_for(csm).post(f"{FLAGS}{flag.pk}/acknowledge/", {"comment": "Meeting booked"})
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["status"] == "acknowledged"
    assert data["acknowledged_by"] == csm.pk
    assert data["events"][-1]["comment"] == "Meeting booked"


def test_acknowledging_without_a_comment_is_a_400_naming_comment(csm, book):
    flag = RiskFlagFactory(account=book["mine"])
    api = client_for(csm)
    for payload in ({}, {"comment": "   "}):
        response = api.post(f"{FLAGS}{flag.pk}/acknowledge/", payload)
        assert response.status_code == 400
        assert list(response.json()) == ["comment"]
    flag.refresh_from_db()
    assert flag.status == RiskFlag.Status.OPEN


@pytest.mark.parametrize(
    ("persona", "status"),
    [("csm", 200), ("team_lead", 200), ("teammate", 404), ("other_csm", 404), ("admin_user", 200)],
)
def test_who_may_resolve_a_flag(request, book, persona, status):
    flag = RiskFlagFactory(account=book["mine"])
    user = request.getfixturevalue(persona)
    response = client_for(user).post(f"{FLAGS}{flag.pk}/resolve/", {"comment": "Renewed"})
    assert response.status_code == status
    flag.refresh_from_db()
    assert flag.is_resolved == (status == 200)
    if status == 200:
        assert flag.resolved_by == user
        assert flag.resolved_comment == "Renewed"


def test_resolving_a_resolved_flag_is_a_400(csm, book):
    flag = RiskFlagFactory(account=book["mine"])
    api = client_for(csm)
    api.post(f"{FLAGS}{flag.pk}/resolve/", {"comment": "Done"})
    response = api.post(f"{FLAGS}{flag.pk}/resolve/", {"comment": "Again"})
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_snoozing_into_the_past_is_a_400_naming_until(csm, book):
    flag = RiskFlagFactory(account=book["mine"])
    api = client_for(csm)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = api.post(f"{FLAGS}{flag.pk}/snooze/", {"until": yesterday, "reason": "Later"})
    assert response.status_code == 400
    assert list(response.json()) == ["until"]
    later = timezone.localdate() + dt.timedelta(days=14)
    response = api.post(f"{FLAGS}{flag.pk}/snooze/", {"until": later, "reason": "Holidays"})
    assert response.status_code == 200
    assert response.json()["status"] == "snoozed"


def test_flags_filter_by_status_and_reason(csm, book):
    red = RiskFlagFactory(account=book["mine"])
    RiskFlagFactory(account=book["teammates"], reason="owner_changed", status="acknowledged")
    api = client_for(csm)
    assert ids(api.get(FLAGS, {"status": "open"})) == {red.pk}
    assert ids(api.get(FLAGS, {"reason": "entered_red"})) == {red.pk}
    assert api.get(FLAGS, {"unresolved": "true"}).json()["count"] == 2


def test_flag_list_query_count_does_not_grow_with_rows(
    admin_user, csm, django_assert_max_num_queries
):
    for account in AccountFactory.create_batch(60, owner=csm):
        flag = RiskFlagFactory(account=account)
        client_for(admin_user).post(f"{FLAGS}{flag.pk}/acknowledge/", {"comment": "On it"})
    with django_assert_max_num_queries(8):
        response = token_client(admin_user).get(FLAGS)
    assert response.json()["count"] == 60
    assert all(row["events"] for row in response.json()["results"])


# --- retention figures --------------------------------------------------------------------


@pytest.fixture
def ledger(admin_user):
    """Two customers at the start of 2026-Q1; one leaves in February, one joins in March."""
    smb, enterprise = SegmentFactory(name="SMB"), SegmentFactory(name="Enterprise")
    stays = AccountFactory(owner=admin_user, segment=smb)
    leaves = AccountFactory(owner=admin_user, segment=smb)
    joins = AccountFactory(owner=admin_user, segment=enterprise)
    create_contract(account=stays, reference="S", start_date=dt.date(2025, 1, 1), monthly_value=100)
    create_contract(
        account=leaves,
        reference="L",
        start_date=dt.date(2025, 1, 1),
        end_date=dt.date(2026, 2, 14),
        monthly_value=300,
    )
    create_contract(account=joins, reference="J", start_date=dt.date(2026, 3, 1), monthly_value=50)


def test_retention_for_a_quarter_has_the_keys_of_the_design(team_lead, ledger):
    response = token_client(team_lead).get(RETENTION, {"period": "2026-Q1"})
    assert response.status_code == 200, response.json()
    data = response.json()
    assert set(JSON_KEYS) <= set(data)
    assert (data["start"], data["end"], data["segment"]) == ("2026-01-01", "2026-03-31", None)
    assert (data["start_customers"], data["new_customers"], data["end_customers"]) == (2, 1, 2)
    assert data["retention_rate"] == 50.0
    assert data["cohort_retention_rate"] == 50.0
    assert data["churn_rate"] == 50.0
    assert data["grr"] == 25.0
    assert data["nrr"] == 25.0


def test_retention_for_dates_and_a_segment(team_lead, ledger):
    response = client_for(team_lead).get(
        RETENTION, {"start": "2026-01-01", "end": "2026-03-31", "segment": "smb"}
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["segment"] == "SMB"
    assert (data["start_customers"], data["new_customers"], data["end_customers"]) == (2, 0, 1)


def test_retention_without_starting_customers_has_no_rates(team_lead, ledger):
    data = client_for(team_lead).get(RETENTION, {"period": "2024"}).json()
    assert data["start_customers"] == 0
    assert data["retention_rate"] is None
    assert data["grr"] is None


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({}, {"start", "end"}),
        ({"start": "2026-01-01"}, {"end"}),
        ({"start": "01.01.2026", "end": "2026-03-31"}, {"start"}),
        ({"start": "2026-04-01", "end": "2026-03-31"}, {"end"}),
        ({"period": "2026-Q5"}, {"period"}),
        ({"period": "2026-Q1", "start": "2026-01-01"}, {"period"}),
        ({"period": "2026", "segment": "Nonexistent"}, {"segment"}),
        ({"start": "0001-01-01", "end": "2026-03-31"}, {"start"}),
    ],
)
def test_bad_retention_input_is_a_400_naming_the_parameter(team_lead, params, named):
    response = client_for(team_lead).get(RETENTION, params)
    assert response.status_code == 400
    assert set(response.json()) == named


@pytest.mark.parametrize(("given", "field", "words"), BAD_PERIODS)
def test_a_period_that_is_no_period_is_a_400_with_the_parsers_message(
    team_lead, given, field, words
):
    response = client_for(team_lead).get(RETENTION, as_params(*given))
    assert response.status_code == 400
    assert words in " ".join(response.json()[field])


def test_retention_figures_are_for_team_leads_and_admins_like_the_report(
    csm, team_lead, admin_user, ledger
):
    assert client_for(csm).get(RETENTION, {"period": "2026-Q1"}).status_code == 404
    assert token_client(csm).get(RETENTION, {"period": "2026-Q1"}).status_code == 404
    for reader in (team_lead, admin_user):
        assert client_for(reader).get(RETENTION, {"period": "2026-Q1"}).status_code == 200


# --- the throttles on token clients and signed-in sessions ---------------------------------


def test_token_clients_and_sessions_are_throttled_per_user_and_apart(settings, csm, book):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "3/minute", "session": "5/minute"},
    }
    api = token_client(csm)
    assert [api.get("/api/v1/accounts/").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert "Retry-After" in api.get("/api/v1/accounts/")
    # The same user in a browser has a count of its own, and a limit too.
    session = APIClient()
    session.force_login(csm)
    answers = [session.get("/api/v1/accounts/").status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]
    assert "Retry-After" in session.get("/api/v1/accounts/")


def test_the_default_rates_limit_sessions_too():
    from django.conf import settings

    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert "crm.api.SessionClientThrottle" in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]
    assert rates["session"] and rates["token"]


# --- one rule for promoter / passive / detractor -------------------------------------------


def test_after_an_admin_edits_the_nps_thresholds_the_api_and_the_health_score_agree(
    client, admin_user, csm
):
    from django.forms.models import model_to_dict
    from django.urls import reverse

    from retention.health.scoring import active_configuration, score_accounts
    from tests.factories import FeedbackFactory, make_customer

    account = make_customer(owner=csm, team=csm.team)
    today = timezone.localdate()
    FeedbackFactory(account=account, kind="nps", score=8, received_on=today)
    api = client_for(csm)

    def api_category() -> str:
        return api.get("/api/v1/feedback/", {"account": account.pk}).json()["results"][0][
            "category"
        ]

    def voice_rating() -> str:
        score_accounts(today=today)
        health = api.get(HEALTH, {"account": account.pk, "latest": "true"}).json()["results"]
        return health[0]["measures"]["voice"]["rating"]

    assert (api_category(), voice_rating()) == ("passive", "average")

    config = active_configuration()
    form = {k: v for k, v in model_to_dict(config).items() if v is not None and k != "id"}
    client.force_login(admin_user)
    url = reverse("admin:retention_scoringconfiguration_change", args=[config.pk])
    edit = {**form, "nps_promoter_from": 8, "nps_passive_from": 6, "note": "8 is a promoter"}
    assert client.post(url, edit).status_code == 302

    assert (api_category(), voice_rating()) == ("promoter", "good")
    # The admin's list of feedback cuts the same way.
    listed = client.get(reverse("admin:interactions_feedback_changelist"), {"category": "promoter"})
    assert [f.score for f in listed.context["cl"].result_list] == [8]
