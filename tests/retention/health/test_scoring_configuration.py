"""The scoring configuration: DESIGN.md's defaults, refusals that name the field, versions."""

import pytest
from django.core.exceptions import ValidationError

from retention.health.scoring import active_configuration, save_configuration
from retention.models import ScoringConfiguration


def errors_of(**changes) -> dict:
    config = ScoringConfiguration(version=99, **changes)
    with pytest.raises(ValidationError) as exc:
        config.clean()
    return exc.value.message_dict


def test_the_defaults_are_design_md():
    config = ScoringConfiguration()
    assert config.weights == {
        "engagement": 25,
        "sentiment": 20,
        "problems": 15,
        "relationship": 15,
        "voice": 15,
        "commercial": 10,
    }
    assert (config.points_good, config.points_average, config.points_poor) == (100, 60, 0)
    assert (config.green_from, config.yellow_from) == (76, 51)
    assert config.sentiment_max_age_days == 45
    assert config.voice_max_age_days == 180
    assert config.onboarding_days == 90
    assert config.transfer_watch_days == 60
    assert config.flag_drop_points == 15
    ScoringConfiguration().clean()  # valid as it comes


def test_a_negative_weight_is_refused_naming_the_field():
    errors = errors_of(weight_voice=-5)
    assert list(errors) == ["weight_voice"]
    assert errors["weight_voice"] == ["The voice of the customer weight cannot be negative."]


def test_all_weights_zero_is_refused_on_every_weight():
    zero = dict.fromkeys(ScoringConfiguration.WEIGHT_FIELDS, 0)
    errors = errors_of(**zero)
    assert set(errors) == set(ScoringConfiguration.WEIGHT_FIELDS)
    assert "All weights are zero" in errors["weight_engagement"][0]


def test_one_weight_above_zero_is_enough():
    zero = dict.fromkeys(ScoringConfiguration.WEIGHT_FIELDS, 0)
    ScoringConfiguration(**{**zero, "weight_commercial": 1}).clean()


@pytest.mark.parametrize(("green", "yellow"), [(60, 60), (60, 70)])
def test_band_thresholds_out_of_order_are_refused_naming_the_field(green, yellow):
    errors = errors_of(green_from=green, yellow_from=yellow)
    assert list(errors) == ["yellow_from"]
    assert "must start below green" in errors["yellow_from"][0]


def test_band_thresholds_outside_the_score_range_are_refused():
    assert "green_from" in errors_of(green_from=101)
    assert "yellow_from" in errors_of(yellow_from=0)


def test_points_out_of_order_are_refused():
    assert "points_average" in errors_of(points_average=120)
    assert "points_average" in errors_of(points_poor=70)


def test_engagement_ratios_out_of_order_are_refused():
    assert "engagement_average_ratio" in errors_of(engagement_average_ratio=0.5)
    assert "engagement_good_ratio" in errors_of(engagement_good_ratio=0)


def test_feedback_thresholds_out_of_order_are_refused():
    assert "nps_passive_from" in errors_of(nps_passive_from=9)
    assert "csat_promoter_from" in errors_of(csat_promoter_from=6)


@pytest.mark.django_db
def test_the_data_migration_made_version_1_active():
    config = active_configuration()
    assert (config.version, config.is_active) == (1, True)


@pytest.mark.django_db
def test_saving_a_change_makes_a_new_active_version_and_keeps_the_old(admin_user):
    first = active_configuration()
    edited = ScoringConfiguration.objects.get(pk=first.pk)
    edited.weight_voice = 5
    second = save_configuration(configuration=edited, by=admin_user, note="Less NPS")
    assert second.pk != first.pk
    assert (second.version, second.is_active, second.created_by) == (2, True, admin_user)
    first.refresh_from_db()
    assert (first.is_active, first.weight_voice) == (False, 15)
    assert active_configuration() == second


@pytest.mark.django_db
def test_saving_an_invalid_configuration_changes_nothing():
    edited = active_configuration()
    edited.weight_engagement = -1
    with pytest.raises(ValidationError):
        save_configuration(configuration=edited)
    assert ScoringConfiguration.objects.count() == 1
    assert active_configuration().weight_engagement == 25
