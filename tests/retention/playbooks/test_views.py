"""The playbook pages: the account's plays, a step done or skipped, the lead's overview and
the campaign action — and the journey of a lead's campaign to a CSM's logged call."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from interactions.models import FollowUp
from retention.models import Playbook, PlaybookRun
from retention.playbooks import services

from ...factories import make_customer


@pytest.fixture
def today(db):
    return timezone.localdate()


@pytest.fixture
def reengagement(db):
    return Playbook.objects.get(name="Re-engagement")


def absent_accounts(owner, n=3):
    accounts = []
    for _ in range(n):
        account = make_customer(owner=owner)
        account.last_meeting_or_call_at = timezone.now() - dt.timedelta(days=70)
        account.save(update_fields=["last_meeting_or_call_at"])
        accounts.append(account)
    return accounts


def test_lead_starts_a_campaign_and_the_csm_logs_the_call(
    client, csm, team_lead, reengagement, today
):
    accounts = absent_accounts(csm)
    client.force_login(team_lead)
    response = client.post(
        reverse("retention:start_play"),
        {"playbook": reengagement.pk, "account": [a.pk for a in accounts]},
    )
    assert response.status_code == 302
    assert PlaybookRun.objects.filter(playbook=reengagement).count() == 3

    client.force_login(csm)
    portfolio = client.get(reverse("retention:portfolio")).content.decode()
    assert portfolio.count("Re-engagement call") >= 1 or "Re-engagement" in portfolio
    panel = client.get(reverse("retention:account_plays", args=[accounts[0].pk])).content.decode()
    assert "0 of 2 steps" in panel
    assert "kind=call" in panel
    response = client.post(
        reverse("interactions:log") + f"?account={accounts[0].pk}",
        {
            "account": accounts[0].pk,
            "kind": "call",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "summary": "Re-engagement call",
        },
    )
    assert response.status_code == 302
    panel = client.get(reverse("retention:account_plays", args=[accounts[0].pk])).content.decode()
    assert "1 of 2 steps" in panel


def test_the_log_form_is_prefilled_from_the_step(client, csm):
    account = make_customer(owner=csm)
    client.force_login(csm)
    page = client.get(
        reverse("interactions:log") + f"?account={account.pk}&kind=meeting&summary=Kickoff"
    ).content.decode()
    assert 'value="meeting" checked' in page or 'value="meeting"\n' in page
    assert 'value="Kickoff"' in page


def test_a_csm_cannot_start_a_campaign(client, csm, reengagement):
    accounts = absent_accounts(csm, 1)
    client.force_login(csm)
    response = client.post(
        reverse("retention:start_play"), {"playbook": reengagement.pk, "account": [accounts[0].pk]}
    )
    assert response.status_code == 403
    assert not PlaybookRun.objects.exists()


def test_a_lead_cannot_start_a_play_on_another_teams_account(
    client, team_lead, other_csm, reengagement
):
    theirs = absent_accounts(other_csm, 1)[0]
    client.force_login(team_lead)
    client.post(
        reverse("retention:start_play"), {"playbook": reengagement.pk, "account": [theirs.pk]}
    )
    assert not PlaybookRun.objects.exists()


def test_skip_needs_a_reason_and_done_closes_the_task(client, csm, reengagement, today):
    account = absent_accounts(csm, 1)[0]
    run = services.start_campaign(playbook=reengagement, account_ids=[account.pk], by=csm)[0]
    first, second = run.steps.order_by("position")
    client.force_login(csm)
    url = reverse("retention:step_skip", args=[first.pk])
    assert "Say why" in client.post(url, {"reason": ""}).content.decode()
    assert client.post(url, {"reason": "Reached them by email"}).status_code == 302
    assert client.post(reverse("retention:step_done", args=[second.pk])).status_code == 302
    run.refresh_from_db()
    assert run.status == PlaybookRun.Status.COMPLETE
    assert not FollowUp.objects.filter(account=account, done_at__isnull=True).exists()


def test_another_teams_step_is_404(client, other_csm, csm, reengagement):
    account = absent_accounts(csm, 1)[0]
    run = services.start_campaign(playbook=reengagement, account_ids=[account.pk], by=csm)[0]
    step = run.steps.first()
    client.force_login(other_csm)
    assert client.post(reverse("retention:step_done", args=[step.pk])).status_code == 404
    assert client.get(reverse("retention:step_skip", args=[step.pk])).status_code == 404
    assert client.get(reverse("retention:account_plays", args=[account.pk])).status_code == 404


def test_lead_overview_lists_overdue_runs_per_csm(client, csm, team_lead, reengagement, today):
    account = absent_accounts(csm, 1)[0]
    services.start_runs(
        playbook=reengagement,
        starts=[services.Start(account.pk, "old", today - dt.timedelta(days=10))],
    )
    client.force_login(team_lead)
    page = client.get(reverse("retention:plays")).content.decode()
    assert account.name in page and "Carla" in page


def test_portfolio_shows_the_current_play(
    client, csm, team_lead, reengagement, today, django_assert_max_num_queries
):
    accounts = absent_accounts(csm, 3)
    services.start_campaign(playbook=reengagement, account_ids=[a.pk for a in accounts], by=csm)
    client.force_login(team_lead)
    page = client.get(reverse("retention:portfolio") + "?scope=team").content.decode()
    assert page.count('data-testid="current-play">Re-engagement<') == 3
    assert 'form="campaign"' in page


def test_the_at_risk_list_offers_the_campaign_on_its_rows(client, csm, team_lead):
    from ...factories import RiskFlagFactory

    account = make_customer(owner=csm)
    RiskFlagFactory(account=account)
    client.force_login(team_lead)
    page = client.get(reverse("retention:at_risk")).content.decode()
    assert 'id="campaign"' in page
    assert f'name="account" value="{account.pk}" form="campaign"' in page


def test_a_run_is_cancelled_from_the_account_page_with_a_comment(client, csm, reengagement, today):
    account = absent_accounts(csm, 1)[0]
    run = services.start_campaign(playbook=reengagement, account_ids=[account.pk], by=csm)[0]
    client.force_login(csm)
    panel = client.get(reverse("retention:account_plays", args=[account.pk])).content.decode()
    url = reverse("retention:run_cancel", args=[run.pk])
    assert url in panel
    assert "Say why" in client.post(url, {"comment": "   "}).content.decode()
    run.refresh_from_db()
    assert run.status == PlaybookRun.Status.OPEN
    response = client.post(url, {"comment": "They signed a new contract"}, follow=True)
    assert "Play cancelled: Re-engagement" in response.content.decode()
    run.refresh_from_db()
    assert run.status == PlaybookRun.Status.CANCELLED
    assert run.cancel_comment == "They signed a new contract"
    assert not FollowUp.objects.filter(account=account, done_at__isnull=True).exists()
    assert "not under way any more" in client.get(url).content.decode()


def test_another_teams_run_cannot_be_cancelled(client, other_csm, csm, reengagement):
    account = absent_accounts(csm, 1)[0]
    run = services.start_campaign(playbook=reengagement, account_ids=[account.pk], by=csm)[0]
    client.force_login(other_csm)
    url = reverse("retention:run_cancel", args=[run.pk])
    assert client.post(url, {"comment": "not mine"}).status_code == 404
    run.refresh_from_db()
    assert run.status == PlaybookRun.Status.OPEN
