"""The admin of the health model: configuration changes are validated with messages that name
the field and saved as new versions; flags are acknowledged or resolved with a comment."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.forms.models import model_to_dict
from django.urls import reverse

from retention.health.scoring import active_configuration
from retention.models import RiskFlag, ScoringConfiguration
from tests.factories import HealthScoreFactory, RiskFlagFactory, make_customer


@pytest.fixture
def admin_client_(client, admin_user):
    client.force_login(admin_user)
    return client


def config_form(config: ScoringConfiguration, **changes) -> dict:
    data = {k: v for k, v in model_to_dict(config).items() if v is not None and k != "id"}
    data.update(changes)
    return data


@pytest.mark.django_db
def test_a_negative_weight_is_refused_next_to_its_field(admin_client_):
    config = active_configuration()
    url = reverse("admin:retention_scoringconfiguration_change", args=[config.pk])
    response = admin_client_.post(url, config_form(config, weight_engagement=-5))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["weight_engagement"] == ["The engagement weight cannot be negative."]
    assert "The engagement weight cannot be negative." in response.content.decode()
    assert ScoringConfiguration.objects.count() == 1


@pytest.mark.django_db
def test_bands_out_of_order_are_refused_next_to_the_field(admin_client_):
    config = active_configuration()
    url = reverse("admin:retention_scoringconfiguration_change", args=[config.pk])
    response = admin_client_.post(url, config_form(config, green_from=70, yellow_from=80))
    assert "yellow_from" in response.context["adminform"].form.errors


@pytest.mark.django_db
def test_saving_in_the_admin_creates_a_new_active_version(admin_client_, admin_user):
    config = active_configuration()
    url = reverse("admin:retention_scoringconfiguration_change", args=[config.pk])
    response = admin_client_.post(url, config_form(config, weight_voice=5, note="Less NPS"))
    assert response.status_code == 302
    new = active_configuration()
    assert (new.version, new.weight_voice, new.note, new.created_by) == (
        2,
        5,
        "Less NPS",
        admin_user,
    )
    config.refresh_from_db()
    assert (config.is_active, config.weight_voice) == (False, 15)


@pytest.mark.django_db
def test_score_and_flag_lists_render_read_only(admin_client_, csm):
    account = make_customer(owner=csm)
    score = HealthScoreFactory(
        account=account,
        measures={
            "engagement": {
                "rating": "poor",
                "value": 47,
                "points": 0,
                "weight": 25,
                "impact": -18,
                "explanation": "no meeting or call for 47 days (expected every 30)",
            }
        },
    )
    RiskFlagFactory(account=account)
    assert admin_client_.get(reverse("admin:retention_healthscore_changelist")).status_code == 200
    detail = admin_client_.get(reverse("admin:retention_healthscore_change", args=[score.pk]))
    assert "no meeting or call for 47 days" in detail.content.decode()
    assert admin_client_.get(reverse("admin:retention_riskflag_changelist")).status_code == 200
    assert admin_client_.get(reverse("admin:retention_healthscore_add")).status_code == 403


@pytest.mark.django_db
def test_resolving_from_the_admin_asks_for_a_comment_first(admin_client_, csm, admin_user):
    flag = RiskFlagFactory(account=make_customer(owner=csm))
    url = reverse("admin:retention_riskflag_changelist")
    choose = {"action": "resolve", ACTION_CHECKBOX_NAME: [flag.pk]}
    page = admin_client_.post(url, choose)
    assert page.status_code == 200
    assert "admin/retention/riskflag/comment_action.html" in [t.name for t in page.templates]
    empty = admin_client_.post(url, {**choose, "apply": "1", "comment": ""})
    assert empty.status_code == 200
    assert empty.context["form"].errors["comment"]
    flag.refresh_from_db()
    assert flag.status == RiskFlag.Status.OPEN
    done = admin_client_.post(url, {**choose, "apply": "1", "comment": "Renewal signed"})
    assert done.status_code == 302
    flag.refresh_from_db()
    assert (flag.status, flag.resolved_by, flag.resolved_comment) == (
        RiskFlag.Status.RESOLVED,
        admin_user,
        "Renewal signed",
    )


@pytest.mark.django_db
def test_acknowledging_from_the_admin_records_who_and_why(admin_client_, csm, admin_user):
    flag = RiskFlagFactory(account=make_customer(owner=csm))
    url = reverse("admin:retention_riskflag_changelist")
    admin_client_.post(
        url,
        {
            "action": "acknowledge",
            ACTION_CHECKBOX_NAME: [flag.pk],
            "apply": "1",
            "comment": "On it",
        },
    )
    flag.refresh_from_db()
    assert (flag.status, flag.acknowledged_by) == (RiskFlag.Status.ACKNOWLEDGED, admin_user)
    assert flag.events.get().comment == "On it"
