import csv
import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from retention.health.scoring import rebuild_current_health
from retention.models import HealthScore, RiskFlag, ScoringConfiguration
from tests.factories import (
    AccountFactory,
    FollowUpFactory,
    InteractionFactory,
    OpenProblemFactory,
    SegmentFactory,
    renewing_on,
)

pytestmark = pytest.mark.django_db

PORTFOLIO = reverse("retention:portfolio")
DASHBOARD = reverse("retention:team_dashboard")


def login(client, user):
    client.force_login(user)
    return client


def score(account, points, band, *, trend=None, measures=None, days_ago=0):
    configuration = ScoringConfiguration.objects.filter(is_active=True).first()
    if configuration is None:
        configuration = ScoringConfiguration.objects.create(version=99, is_active=True)
    health = HealthScore.objects.create(
        account=account,
        scored_on=timezone.localdate() - dt.timedelta(days=days_ago),
        configuration=configuration,
        score=points,
        band=band,
        trend=trend,
        measures=measures or {},
    )
    rebuild_current_health(account_ids=[account.pk])  # as the scoring run keeps it
    return health


def flag(account, reason=RiskFlag.Reason.ENTERED_RED, **fields):
    today = timezone.localdate()
    return RiskFlag.objects.create(
        account=account,
        reason=reason,
        raised_on=today,
        last_seen_on=today,
        explanation=fields.pop("explanation", "Score 30 is below 51"),
        **fields,
    )


def names_in(html, *names):
    return [html.index(n) for n in names]


# --- the portfolio ---


@pytest.mark.parametrize(
    "persona, lands_on",
    [("csm", PORTFOLIO), ("team_lead", DASHBOARD), ("admin_user", DASHBOARD)],
)
def test_each_role_lands_where_its_work_is(client, request, persona, lands_on):
    response = login(client, request.getfixturevalue(persona)).get("/")
    assert response.status_code == 302 and response.url == lands_on


def test_an_admin_with_a_team_lands_on_the_dashboard_of_all_teams(
    client, admin_user, team_a, csm, other_csm
):
    admin_user.team = team_a
    admin_user.save()
    AccountFactory(owner=csm, name="Carla Account")
    AccountFactory(owner=other_csm, name="Otto Account")
    html = login(client, admin_user).get(DASHBOARD).content.decode()
    assert "All teams" in html.split("</h1>")[0]
    assert "of 2 accounts" in html
    team_only = login(client, admin_user).get(DASHBOARD, {"team": team_a.pk}).content.decode()
    assert "of 1 account" in team_only


@pytest.mark.parametrize("persona", ["csm", "teammate", "team_lead", "other_csm", "admin_user"])
def test_portfolio_shows_only_ones_own_accounts(client, request, csm, teammate, other_csm, persona):
    AccountFactory(owner=csm, name="Carla Account")
    AccountFactory(owner=teammate, name="Tom Account")
    AccountFactory(owner=other_csm, name="Otto Account")
    user = request.getfixturevalue(persona)
    html = login(client, user).get(PORTFOLIO).content.decode()
    own = {"csm": "Carla Account", "teammate": "Tom Account", "other_csm": "Otto Account"}
    for name in ["Carla Account", "Tom Account", "Otto Account"]:
        assert (name in html) is (own.get(persona) == name)


def test_team_lead_toggles_to_the_team_but_a_csm_cannot(
    client, csm, teammate, team_lead, other_csm
):
    AccountFactory(owner=csm, name="Carla Account")
    AccountFactory(owner=teammate, name="Tom Account")
    AccountFactory(owner=other_csm, name="Otto Account")
    html = login(client, team_lead).get(PORTFOLIO, {"scope": "team"}).content.decode()
    assert "Carla Account" in html and "Tom Account" in html and "Otto Account" not in html
    html = login(client, csm).get(PORTFOLIO, {"scope": "team"}).content.decode()
    assert "Carla Account" in html and "Tom Account" not in html
    html = login(client, other_csm).get(PORTFOLIO, {"scope": "all"}).content.decode()
    assert "Otto Account" in html and "Carla Account" not in html


def test_portfolio_sorts_by_risk_when_scored(client, csm):
    green = AccountFactory(owner=csm, name="Green Corp")
    red = AccountFactory(owner=csm, name="Red Corp")
    yellow = AccountFactory(owner=csm, name="Yellow Corp")
    AccountFactory(owner=csm, name="Unscored Corp")
    score(green, 90, "green", trend=8)
    score(red, 20, "red", trend=-22, days_ago=0)
    score(red, 70, "yellow", days_ago=30)
    score(yellow, 60, "yellow")
    flag(red)
    html = login(client, csm).get(PORTFOLIO).content.decode()
    positions = names_in(html, "Red Corp", "Yellow Corp", "Green Corp", "Unscored Corp")
    assert positions == sorted(positions)
    row = html[html.index("Red Corp") :]
    assert "▼ 22" in row[:2500] and "⚑ 1" in row[:600]


def test_portfolio_without_scores_sorts_by_renewal_then_last_contact(client, csm):
    today = timezone.localdate()
    AccountFactory(owner=csm, name="Later Corp", next_renewal_on=today + dt.timedelta(days=200))
    AccountFactory(owner=csm, name="Sooner Corp", next_renewal_on=today + dt.timedelta(days=20))
    AccountFactory(owner=csm, name="Contacted Corp", last_meeting_or_call_at=timezone.now())
    AccountFactory(owner=csm, name="Silent Corp")
    html = login(client, csm).get(PORTFOLIO).content.decode()
    positions = names_in(html, "Sooner Corp", "Later Corp", "Silent Corp", "Contacted Corp")
    assert positions == sorted(positions)


@pytest.mark.usefixtures("health_waits_for_the_night")  # the scores are made by hand
def test_portfolio_filters(client, csm):
    today = timezone.localdate()
    smb, enterprise = SegmentFactory(name="SMB"), SegmentFactory(name="Enterprise")
    alpha = AccountFactory(
        owner=csm, name="Alpha SMB", segment=smb, last_meeting_or_call_at=timezone.now()
    )
    renewing_on(alpha, today + dt.timedelta(days=10))
    beta = AccountFactory(
        owner=csm,
        name="Beta Enterprise",
        segment=enterprise,
        last_meeting_or_call_at=timezone.now() - dt.timedelta(days=100),
    )
    score(beta, 30, "red")
    login(client, csm)

    def shown(**params):
        html = client.get(PORTFOLIO, params).content.decode()
        return {n for n in ("Alpha SMB", "Beta Enterprise") if n in html}

    assert shown(q="alpha") == {"Alpha SMB"}
    assert shown(segment=enterprise.pk) == {"Beta Enterprise"}
    assert shown(band="red") == {"Beta Enterprise"}
    assert shown(band="none") == {"Alpha SMB"}
    assert shown(renewal=30) == {"Alpha SMB"}
    assert shown(quiet=90) == {"Beta Enterprise"}
    assert shown(renewal=31) == {"Alpha SMB", "Beta Enterprise"}  # not an offered choice


def test_portfolio_lists_the_users_overdue_follow_ups_on_top(client, csm, teammate):
    account = AccountFactory(owner=csm, name="Acme")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    FollowUpFactory(account=account, owner=csm, title="Call back about pricing", due_on=yesterday)
    FollowUpFactory(account=account, owner=teammate, title="Not mine", due_on=yesterday)
    FollowUpFactory(account=account, owner=csm, title="Future promise")
    OpenProblemFactory(account=account, severity="high")
    html = login(client, csm).get(PORTFOLIO).content.decode()
    assert "1 follow-up due today or overdue" in html
    assert html.index("Call back about pricing") < html.index('data-testid="portfolio"')
    assert "Not mine" not in html and "Future promise" not in html
    assert "2 overdue" in html  # the account has two, whoever promised them


def test_portfolio_queries_are_constant_and_paginated(client, csm, django_assert_max_num_queries):
    for i in range(60):
        account = AccountFactory(owner=csm, name=f"Portfolio {i:02d}")
        score(account, i, "red" if i < 50 else "yellow", trend=-i)
        FollowUpFactory(
            account=account, owner=csm, due_on=timezone.localdate() - dt.timedelta(days=1)
        )
        OpenProblemFactory(account=account)
        InteractionFactory(account=account)
        flag(account)
    login(client, csm)
    with django_assert_max_num_queries(12):
        response = client.get(PORTFOLIO)
    html = response.content.decode()
    assert "Page 1 of 3" in html and "Portfolio 00" in html and "Portfolio 59" not in html
    with django_assert_max_num_queries(12):
        html = client.get(PORTFOLIO, {"page": 3}).content.decode()
    assert "Portfolio 59" in html


def test_portfolio_rows_label_their_cells_in_the_readers_language_with_no_more_queries(
    client, team_lead, django_assert_max_num_queries
):
    # The rows' labels are translated once per page, not per row (issue 18): still on every
    # row, in the reader's language, and the page asks no more queries than before: 14 for a
    # lead (a CSM's 12, the campaign form's playbooks and the handover requests they decide).
    team_lead.language = "de"
    team_lead.save(update_fields=["language"])
    for i in range(30):
        account = AccountFactory(owner=team_lead, name=f"Zeile {i:02d}", mrr=1234 + i)
        score(account, 30, "red", trend=-8)
        FollowUpFactory(account=account, due_on=timezone.localdate() - dt.timedelta(days=1))
    login(client, team_lead)
    with django_assert_max_num_queries(14):
        html = client.get(PORTFOLIO).content.decode()
    assert html.count('data-label="Letzter Kontakt"') == 25
    assert html.count('data-label="Nächster Kontakt"') == 25
    assert html.count('data-label="Trend (30 Tage)"') == 25
    assert html.count(f'href="{reverse("interactions:log")}?account=') == 25
    assert "1.234\xa0€" in html and "1 überfällig" in html


def test_export_is_the_filtered_portfolio_in_scope(client, csm, other_csm):
    mine = AccountFactory(owner=csm, name="Mine Corp", mrr=1200)
    score(mine, 40, "red", trend=-3)
    AccountFactory(owner=other_csm, name="Theirs Corp")
    response = login(client, csm).get(reverse("retention:portfolio_export"), {"scope": "all"})
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert rows[0][:3] == ["Account", "Owner", "Segment"]
    assert [r[0] for r in rows[1:]] == ["Mine Corp"]
    assert rows[1][3:7] == ["red", "40", "-3", "1200.00"]
    response = login(client, other_csm).get(reverse("retention:portfolio_export"), {"q": "Mine"})
    assert len(csv_rows(response)) == 1


def csv_rows(response) -> list[list[str]]:
    """The rows of a streamed CSV download (UTF-8 with a BOM)."""
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


# --- the team lead's dashboard ---


@pytest.mark.parametrize(
    ("persona", "status"),
    [("csm", 404), ("other_csm", 404), ("team_lead", 200), ("admin_user", 200)],
)
def test_dashboard_is_for_team_leads_and_admins(client, request, persona, status):
    assert login(client, request.getfixturevalue(persona)).get(DASHBOARD).status_code == status


def test_dashboard_shows_health_flags_and_activity_of_the_team(
    client, team_lead, csm, teammate, other_csm
):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    red = AccountFactory(owner=csm, name="Red Corp", customer_since=dt.date(2024, 1, 1))
    green = AccountFactory(owner=teammate, name="Green Corp", customer_since=dt.date(2024, 1, 1))
    other = AccountFactory(
        owner=other_csm, name="Other Team Corp", customer_since=dt.date(2024, 1, 1)
    )
    score(red, 25, "red")
    score(green, 88, "green")
    score(other, 10, "red")
    flag(red, RiskFlag.Reason.ENTERED_RED)
    flag(red, RiskFlag.Reason.RENEWAL_AT_RISK)
    flag(other, RiskFlag.Reason.CHAMPION_LEFT)
    FollowUpFactory.create_batch(2, account=red, owner=csm, due_on=yesterday)
    InteractionFactory.create_batch(3, account=green, author=teammate, kind="meeting")
    InteractionFactory(account=other, author=other_csm)
    html = login(client, team_lead).get(DASHBOARD).content.decode()
    distribution = html.split('data-testid="health-distribution"')[1].split("</table>")[0]
    assert distribution.count(">1</td>") == 2  # one red, one green
    flags = html.split('data-testid="flags-by-reason"')[1].split("</table>")[0]
    assert "Entered red" in flags and "Renewal at risk" in flags and "Champion left" not in flags
    per_csm = html.split('data-testid="per-csm"')[1]
    carla = per_csm[per_csm.index("Carla CSM") :].split("</tr>")[0]
    tom = per_csm[per_csm.index("Tom Teammate") :].split("</tr>")[0]
    assert 'pill-danger">2<' in carla
    assert ">3</td>" in tom
    assert "Otto Other" not in html and "Other Team Corp" not in html


def test_dashboard_counts_each_account_by_its_newest_score(client, team_lead, csm):
    recovered = AccountFactory(owner=csm, name="Recovered Corp", customer_since=dt.date(2024, 1, 1))
    slipping = AccountFactory(owner=csm, name="Slipping Corp", customer_since=dt.date(2024, 1, 1))
    score(recovered, 20, "red", days_ago=30)
    score(recovered, 85, "green")
    score(slipping, 80, "green", days_ago=30)
    score(slipping, 40, "red")
    AccountFactory(owner=csm, customer_since=dt.date(2024, 1, 1))  # not scored
    AccountFactory(
        owner=csm,
        customer_since=dt.date(2024, 1, 1),
        last_meeting_or_call_at=timezone.now() - dt.timedelta(days=61),
    )
    html = login(client, team_lead).get(DASHBOARD).content.decode()
    distribution = html.split('data-testid="health-distribution"')[1].split("</table>")[0]
    rows = distribution.split("</tr>")
    counts = {
        band: next(r for r in rows if label in r)
        for band, label in (
            ("red", "Red"),
            ("yellow", "Yellow"),
            ("green", "Green"),
            ("none", "Not scored"),
        )
    }
    assert ">1</td>" in counts["red"] and ">1</td>" in counts["green"]
    assert ">0</td>" in counts["yellow"] and ">2</td>" in counts["none"]
    riskiest = html.split("Riskiest accounts")[1]
    assert riskiest.index("Slipping Corp") < riskiest.index("Recovered Corp")
    quiet = html.split('data-testid="quiet">')[1]
    assert quiet.startswith("4</div>")
    assert "customers with no meeting or call in the last 60 days" in quiet


def test_dashboard_without_scores_counts_customers_and_churned(client, team_lead, csm):
    AccountFactory(owner=csm, customer_since=dt.date(2024, 1, 1))
    AccountFactory(owner=csm, churned_on=dt.date(2025, 1, 1))
    html = login(client, team_lead).get(DASHBOARD).content.decode()
    assert "No health scores yet" in html
    assert "of 2 accounts" in html


def caption(html, name):
    return " ".join(html.split(f'data-testid="caption-{name}">')[1].split("</div>")[0].split())


@pytest.mark.parametrize(
    "language, expected",
    [
        (
            "en",
            {
                "customers": "of 3 accounts, today (15 Apr 2026)",
                "mrr": "of today's customers, per month",
                "renewals": "not confirmed, in the next 90 days",
                "churned": "in the last 12 months (16 Apr 2025 – 15 Apr 2026)",
                "quiet": "customers with no meeting or call in the last 60 days",
            },
        ),
        (
            "de",
            {
                "customers": "von 3 Accounts, heute (15.04.2026)",
                "mrr": "der heutigen Kunden, pro Monat",
                "renewals": "nicht bestätigt, in den nächsten 90 Tagen",
                "churned": "in den letzten 12 Monaten (16.04.2025 – 15.04.2026)",
                "quiet": "Kunden ohne Meeting oder Telefonat in den letzten 60 Tagen",
            },
        ),
    ],
)
def test_every_dashboard_figure_names_its_period(client, team_lead, csm, language, expected):
    with time_machine.travel(dt.datetime(2026, 4, 15, 12, tzinfo=dt.UTC), tick=False):
        AccountFactory(owner=csm, customer_since=dt.date(2024, 1, 1))
        AccountFactory(owner=csm, churned_on=dt.date(2025, 6, 1))  # within the 12 months
        AccountFactory(owner=csm, churned_on=dt.date(2025, 4, 1))  # before them
        team_lead.language = language
        team_lead.save(update_fields=["language"])
        html = login(client, team_lead).get(DASHBOARD).content.decode()

    assert {name: caption(html, name) for name in expected} == expected
    assert html.split('data-testid="churned">')[1].startswith("1</div>")


@pytest.mark.parametrize(
    "language, count, trend",
    [
        ("en", "2 accounts today (15 Apr 2026)", "Trend (30 days)"),
        ("de", "2 Accounts heute (15.04.2026)", "Trend (30 Tage)"),
    ],
)
def test_the_portfolios_figures_name_their_day_and_window(client, csm, language, count, trend):
    with time_machine.travel(dt.datetime(2026, 4, 15, 12, tzinfo=dt.UTC), tick=False):
        AccountFactory.create_batch(2, owner=csm, customer_since=dt.date(2024, 1, 1))
        csm.language = language
        csm.save(update_fields=["language"])
        html = login(client, csm).get(PORTFOLIO).content.decode()

    head = html.split('data-testid="portfolio-count">')[1].split("</span>")[0]
    assert " ".join(head.split()).startswith(count)
    assert f'data-testid="trend-head">{trend}</th>' in html


def test_admin_picks_a_team(client, admin_user, csm, other_csm, team_b):
    AccountFactory(owner=csm, name="A Corp", customer_since=dt.date(2024, 1, 1))
    AccountFactory(owner=other_csm, name="B Corp", customer_since=dt.date(2024, 1, 1))
    InteractionFactory(account=AccountFactory(owner=other_csm), author=other_csm)
    html = login(client, admin_user).get(DASHBOARD, {"team": team_b.pk}).content.decode()
    assert "Otto Other" in html and "Carla CSM" not in html


def test_dashboard_queries_are_constant(
    client, team_lead, csm, teammate, django_assert_max_num_queries
):
    for i in range(40):
        account = AccountFactory(
            owner=csm if i % 2 else teammate, customer_since=dt.date(2024, 1, 1)
        )
        score(account, 30 + i, "red" if i < 20 else "green")
        flag(account)
        FollowUpFactory(account=account, due_on=timezone.localdate() - dt.timedelta(days=1))
        InteractionFactory(account=account)
    login(client, team_lead)
    # 15: the page's, the configuration's renewal window, and the navigation's (its handovers
    # to acknowledge, the handover requests a lead decides, and the unread inbox count).
    with django_assert_max_num_queries(15):
        assert client.get(DASHBOARD).status_code == 200


def test_dashboard_rows_label_their_cells_in_the_readers_language_with_no_more_queries(
    client, team_lead, csm, teammate, django_assert_max_num_queries
):
    team_lead.language = "de"
    team_lead.save(update_fields=["language"])
    for i in range(6):
        AccountFactory(
            owner=csm if i % 2 else teammate, mrr=1000, customer_since=dt.date(2024, 1, 1)
        )
    login(client, team_lead)
    with django_assert_max_num_queries(15):
        html = client.get(DASHBOARD).content.decode()
    rows = html.count('data-label="Offene Folgeaufgaben"')
    assert rows >= 2 and html.count('data-label="MRR"') == rows
    assert "3.000\xa0€" in html


def test_account_page_and_brief_show_health_reasons_and_flags(client, csm):
    account = AccountFactory(owner=csm, name="Scored Corp")
    score(
        account,
        42,
        "red",
        trend=-18,
        measures={
            "engagement": {
                "impact": -18,
                "explanation": "no meeting for 47 days (expected every 30)",
            },
            "voice": {"impact": 0, "explanation": "promoter"},
        },
    )
    flag(account, explanation="The score fell 18 points in 30 days")
    login(client, csm)
    for url in [account.get_absolute_url(), reverse("interactions:brief", args=[account.pk])]:
        html = client.get(url).content.decode()
        assert "no meeting for 47 days (expected every 30)" in html, url
        assert "The score fell 18 points in 30 days" in html, url
        assert "promoter" not in html.split('data-testid="health-reasons"')[1].split("</ul>")[0]
    timeline = client.get(
        reverse("customers:account_timeline", args=[account.pk]), {"kind": "flag"}
    )
    assert "Entered red" in timeline.content.decode()


def test_flags_digest_and_pages_read_the_same_renewals_due(client, csm, team_lead):
    """One rule (customers.selectors.renewals_due) within the configured window: the health
    facts behind the renewal flag, the owner's digest, the portfolio and the dashboard."""
    from django.core import mail

    from customers.services import refresh_ledger
    from retention.digest import send_digest
    from retention.health.facts import gather_facts
    from retention.health.scoring import active_configuration, save_configuration
    from tests.factories import ContractFactory, RiskFlagFactory

    config = active_configuration()
    config.renewal_window_days = 30
    config = save_configuration(configuration=config)
    today = timezone.localdate()

    def customer(name: str, **terms):
        account = AccountFactory(owner=csm, name=name)
        ContractFactory(account=account, start_date=today - dt.timedelta(days=400), **terms)
        refresh_ledger(account_ids=[account.pk])
        return account

    soon = today + dt.timedelta(days=20)
    due = customer("Due Co", end_date=soon)
    customer("Noticed Co", end_date=soon, notice_given_on=today - dt.timedelta(days=1))
    customer("Confirmed Co", end_date=soon, renewal_confirmed=True)
    later = customer("Later Co", end_date=today + dt.timedelta(days=45))

    facts = gather_facts(start_id=0, end_id=None, day=today, config=config)
    assert {f.account_id for f in facts.values() if f.renewal_on} == {due.pk}

    RiskFlagFactory(account=due)
    send_digest(user_id=csm.pk, day=today)
    (digest,) = mail.outbox
    assert "Due Co" in digest.body and "within 30 days" in digest.body
    # The digest listed contracts with notice given; the rule (and the health model) do not.
    for name in ("Noticed Co", "Confirmed Co", "Later Co"):
        assert name not in digest.body

    login(client, csm)
    names = ("Due Co", "Noticed Co", "Confirmed Co", "Later Co")

    def shown(**params) -> set[str]:
        html = client.get(PORTFOLIO, params).content.decode()
        return {n for n in names if n in html}

    assert shown(renewal=30) == {"Due Co"}
    assert shown(renewal=60) == {"Due Co", later.name}
    html = client.get(PORTFOLIO).content.decode()
    assert html.count("due within 30 days, not confirmed") == 1

    login(client, team_lead)
    assert client.get(DASHBOARD).context["totals"]["renewals"] == 1
