"""The health model: each measure at its boundaries, n/a re-weighting, guards, bands, trend
(pure functions; the facts they read are tested in test_facts.py)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from retention.health.measures import (
    Facts,
    Measure,
    band_for,
    feedback_category,
    health_for,
    rate_commercial,
    rate_engagement,
    rate_problems,
    rate_relationship,
    rate_sentiment,
    rate_voice,
    weigh,
)
from retention.health.wording import word
from retention.models import ScoringConfiguration

DAY = dt.date(2026, 6, 15)


CONFIG = ScoringConfiguration()  # the defaults of DESIGN.md, unsaved


def good_facts(**changes) -> Facts:
    """An account where every measure is good, one year into its life."""
    values = {
        "account_id": 1,
        "customer_since": DAY - dt.timedelta(days=365),
        "cadence_days": 30,
        "last_contact_on": DAY - dt.timedelta(days=5),
        "sentiment": "green",
        "sentiment_on": DAY - dt.timedelta(days=3),
        "has_contacts": True,
        "champion_named": True,
        "decision_maker_named": True,
        "champion_met": True,
        "decision_maker_met": True,
        "colleagues": 2,
        "feedback_kind": "nps",
        "feedback_score": 10,
        "feedback_category": "promoter",
        "feedback_on": DAY - dt.timedelta(days=20),
        "has_contract": True,
        "mrr_now": Decimal("1000"),
        "mrr_then": Decimal("1000"),
    }
    values.update(changes)
    return Facts(**values)


# --- each measure at its boundaries ---------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "rating"),
    [(0, "good"), (30, "good"), (31, "average"), (60, "average"), (61, "poor"), (400, "poor")],
)
def test_engagement_compares_days_since_contact_with_the_cadence(days, rating):
    assert rate_engagement(days_since=days, cadence_days=30, config=CONFIG).rating == rating


def test_engagement_explains_the_gap_in_days_and_the_expected_cadence():
    measure = rate_engagement(days_since=47, cadence_days=30, config=CONFIG)
    assert measure.value == 47
    assert measure.message == {"id": "no_meeting", "days": 47, "cadence": 30}
    with translation.override("en"):
        assert word(measure.message) == "no meeting or call for 47 days (expected every 30)"


def test_engagement_without_any_meeting_or_call_is_not_applicable():
    assert rate_engagement(days_since=None, cadence_days=30, config=CONFIG).rating is None


@pytest.mark.parametrize(
    ("sentiment", "age", "rating"),
    [
        ("green", 0, "good"),
        ("amber", 10, "average"),
        ("red", 45, "poor"),
        ("green", 46, None),
        (None, None, None),
    ],
)
def test_sentiment_maps_the_colour_and_lapses_after_45_days(sentiment, age, rating):
    assert rate_sentiment(sentiment=sentiment, age_days=age, config=CONFIG).rating == rating


def test_sentiment_from_a_logged_interaction_says_so():
    measure = rate_sentiment(sentiment="red", age_days=2, source="interaction", config=CONFIG)
    assert measure.rating == "poor"
    assert measure.message == {"id": "sentiment_logged", "sentiment": "negative", "days": 2}


@pytest.mark.parametrize(
    ("counts", "rating"),
    [
        ({"open_count": 0, "high": 0, "medium": 0, "old": 0}, "good"),
        ({"open_count": 1, "high": 0, "medium": 0, "old": 0}, "average"),
        ({"open_count": 2, "high": 0, "medium": 1, "old": 0}, "average"),
        ({"open_count": 1, "high": 1, "medium": 0, "old": 0}, "poor"),
        ({"open_count": 1, "high": 0, "medium": 0, "old": 1}, "poor"),
    ],
)
def test_open_problems_none_good_young_low_average_high_or_old_poor(counts, rating):
    assert rate_problems(**counts, oldest_days=3, config=CONFIG).rating == rating


def test_a_young_medium_problem_can_be_configured_as_poor():
    config = ScoringConfiguration(medium_problem_is_poor=True)
    measure = rate_problems(open_count=1, high=0, medium=1, old=0, oldest_days=2, config=config)
    assert measure.rating == "poor"


def _relationship(**changes):
    values = {
        "has_contacts": True,
        "champion_named": True,
        "decision_maker_named": True,
        "champion_met": True,
        "decision_maker_met": True,
        "champion_left_on": None,
        "colleagues": 2,
        "config": CONFIG,
    }
    values.update(changes)
    return rate_relationship(**values)


def test_relationship_both_met_good_one_average_none_poor():
    assert _relationship().rating == "good"
    assert _relationship(decision_maker_met=False).rating == "average"
    assert _relationship(champion_met=False).rating == "average"
    assert _relationship(champion_met=False, decision_maker_met=False).rating == "poor"
    assert _relationship(champion_named=False, champion_met=False).rating == "average"


def test_relationship_is_poor_when_the_champion_left_and_nobody_replaced_them():
    measure = _relationship(champion_left_on=DAY, champion_named=False, champion_met=False)
    assert measure.rating == "poor"
    assert measure.message == {"id": "champion_gone", "day": DAY.isoformat()}


def test_relationship_follows_the_usual_rule_once_a_new_champion_is_named():
    assert _relationship(champion_left_on=DAY).rating == "good"


def test_relationship_without_any_contact_is_not_applicable():
    assert _relationship(has_contacts=False).rating is None


def test_relationship_known_by_too_few_colleagues_is_at_best_average():
    config = ScoringConfiguration(relationship_min_colleagues=2)
    assert _relationship(colleagues=1, config=config).rating == "average"
    assert _relationship(colleagues=2, config=config).rating == "good"


@pytest.mark.parametrize(
    ("kind", "score", "category"),
    [
        ("nps", 10, "promoter"),
        ("nps", 9, "promoter"),
        ("nps", 8, "passive"),
        ("nps", 7, "passive"),
        ("nps", 6, "detractor"),
        ("nps", 0, "detractor"),
        ("csat", 5, "promoter"),
        ("csat", 4, "passive"),
        ("csat", 3, "detractor"),
        ("csat", 1, "detractor"),
    ],
)
def test_feedback_category_boundaries(kind, score, category):
    assert feedback_category(kind=kind, score=score, config=CONFIG) == category


def test_the_default_configuration_sorts_feedback_as_the_interactions_default():
    from interactions.feedback import DEFAULT_THRESHOLDS

    assert CONFIG.feedback_thresholds() == DEFAULT_THRESHOLDS


@pytest.mark.django_db
def test_feedback_is_sorted_by_the_active_configuration_everywhere():
    from interactions.feedback import DEFAULT_THRESHOLDS, thresholds_in_force
    from retention.health.scoring import active_configuration, save_configuration
    from tests.factories import FeedbackFactory

    assert thresholds_in_force() == DEFAULT_THRESHOLDS  # no configuration saved yet
    config = active_configuration()
    config.csat_promoter_from, config.csat_passive_from = 4, 3
    save_configuration(configuration=config)
    assert thresholds_in_force() == (9, 7, 4, 3)
    assert FeedbackFactory(kind="csat", score=4).category == "promoter"


@pytest.mark.parametrize(
    ("category", "age", "onboarding", "rating"),
    [
        ("promoter", 180, False, "good"),
        ("passive", 0, False, "average"),
        ("detractor", 10, False, "poor"),
        ("promoter", 181, False, None),
        ("promoter", 10, True, None),
        (None, None, False, None),
    ],
)
def test_voice_of_the_customer_within_180_days_and_not_in_onboarding(
    category, age, onboarding, rating
):
    measure = rate_voice(
        category=category, kind="nps", score=9, age_days=age, onboarding=onboarding, config=CONFIG
    )
    assert measure.rating == rating


def _commercial(**changes):
    values = {
        "has_contract": True,
        "notice_on": None,
        "mrr_now": Decimal("1000"),
        "mrr_then": Decimal("1000"),
        "renewal_on": None,
        "day": DAY,
        "config": CONFIG,
    }
    values.update(changes)
    return rate_commercial(**values)


def test_commercial_notice_or_downgrade_poor_renewal_due_average_else_good():
    assert _commercial().rating == "good"
    assert _commercial(notice_on=DAY).rating == "poor"
    assert _commercial(cancelled_from=DAY + dt.timedelta(days=30)).rating == "poor"
    assert _commercial(mrr_now=Decimal("900")).rating == "poor"
    assert _commercial(mrr_now=Decimal("1100")).rating == "good"
    assert _commercial(mrr_then=Decimal("0")).rating == "good"  # new customer, not a downgrade
    assert _commercial(renewal_on=DAY + dt.timedelta(days=90)).rating == "average"
    assert _commercial(renewal_on=DAY + dt.timedelta(days=91)).rating == "good"
    assert _commercial(has_contract=False).rating is None


# --- the weighted score, n/a re-weighting, bands ---------------------------------------------


def test_all_good_scores_100_and_all_poor_scores_0():
    good = {k: Measure("good", None, "") for k in CONFIG.weights}
    poor = {k: Measure("poor", None, "") for k in CONFIG.weights}
    assert weigh(good, CONFIG.weights, CONFIG)[0] == 100
    assert weigh(poor, CONFIG.weights, CONFIG)[0] == 0


def test_not_applicable_measures_drop_out_and_the_rest_are_reweighted():
    measures = {k: Measure(None, None, "n/a") for k in CONFIG.weights}
    measures["engagement"] = Measure("good", 3, "")  # weight 25
    measures["commercial"] = Measure("average", None, "")  # weight 10
    score, detail = weigh(measures, CONFIG.weights, CONFIG)
    # (25 × 100 + 10 × 60) / 35 = 88.57 → 89, not the 31 a zero for n/a would give
    assert score == 89
    assert detail["sentiment"]["points"] is None
    assert detail["sentiment"]["impact"] == 0
    assert detail["commercial"]["impact"] == -11  # 10/35 of 40 points


def test_no_measure_with_data_gives_no_score_never_zero():
    measures = {k: Measure(None, None, "n/a") for k in CONFIG.weights}
    assert weigh(measures, CONFIG.weights, CONFIG)[0] is None


def test_a_measure_weighted_zero_does_not_count():
    measures = {k: Measure("good", None, "") for k in CONFIG.weights}
    measures["voice"] = Measure("poor", None, "")
    weights = {**CONFIG.weights, "voice": 0}
    assert weigh(measures, weights, CONFIG)[0] == 100


def test_the_score_rounds_half_up():
    pair = {"problems": Measure("good", None, ""), "voice": Measure("poor", None, "")}
    even = {"problems": 1, "voice": 1}
    assert weigh(pair, even, ScoringConfiguration(points_good=101))[0] == 51  # 50.5
    assert weigh(pair, even, ScoringConfiguration(points_good=99))[0] == 50  # 49.5
    assert weigh(pair, {"problems": 1, "voice": 2}, CONFIG)[0] == 33  # 33.3


@pytest.mark.parametrize(
    ("score", "band"),
    [(100, "green"), (76, "green"), (75, "yellow"), (51, "yellow"), (50, "red"), (0, "red")],
)
def test_bands_green_from_76_yellow_from_51_red_below(score, band):
    assert band_for(score, CONFIG) == band


def test_no_score_has_no_band():
    assert band_for(None, CONFIG) == ""


# --- guards and trend -----------------------------------------------------------------------


def test_a_healthy_account_is_green_with_reasons_for_every_measure():
    health = health_for(good_facts(), day=DAY, config=CONFIG)
    assert health.score == 100
    assert health.band == "green"
    assert set(health.measures) == set(CONFIG.weights)
    assert health.guards == []


def test_poor_relationship_keeps_the_band_at_yellow_even_with_a_green_score():
    facts = good_facts(champion_met=False, decision_maker_met=False)
    health = health_for(facts, day=DAY, config=CONFIG)
    assert health.score >= 76
    assert health.band == "yellow"
    assert health.guards == [{"id": "capped", "measures": ["relationship"]}]


def test_poor_commercial_keeps_the_band_at_yellow_even_with_a_green_score():
    health = health_for(good_facts(notice_on=DAY), day=DAY, config=CONFIG)
    assert health.score >= 76
    assert health.band == "yellow"


def test_the_guard_never_lifts_a_red_account():
    facts = good_facts(
        notice_on=DAY,
        last_contact_on=DAY - dt.timedelta(days=100),
        sentiment="red",
        problems_open=1,
        problems_high=1,
    )
    assert health_for(facts, day=DAY, config=CONFIG).band == "red"


def test_onboarding_leaves_out_voice_and_doubles_engagement():
    facts = good_facts(
        customer_since=DAY - dt.timedelta(days=89),
        feedback_category="detractor",
        last_contact_on=DAY - dt.timedelta(days=45),  # average
    )
    health = health_for(facts, day=DAY, config=CONFIG)
    assert health.onboarding
    assert health.measures["voice"]["rating"] is None
    assert health.measures["engagement"]["weight"] == 50
    # (50 × 60 + 20 + 15 + 15 + 10 at 100) / 110 = 81.8 → 82
    assert health.score == 82


def test_onboarding_ends_after_90_days():
    facts = good_facts(customer_since=DAY - dt.timedelta(days=90), feedback_category="detractor")
    health = health_for(facts, day=DAY, config=CONFIG)
    assert not health.onboarding
    assert health.measures["voice"]["rating"] == "poor"


@pytest.mark.parametrize(("days", "on_watch"), [(0, True), (60, True), (61, False)])
def test_an_owner_change_within_60_days_puts_the_account_on_watch(days, on_watch):
    facts = good_facts(last_transfer_on=DAY - dt.timedelta(days=days))
    assert health_for(facts, day=DAY, config=CONFIG).on_watch is on_watch


def test_trend_is_the_change_against_the_score_30_days_earlier():
    assert health_for(good_facts(previous_score=88), day=DAY, config=CONFIG).trend == 12
    assert health_for(good_facts(), day=DAY, config=CONFIG).trend is None
