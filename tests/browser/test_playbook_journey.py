"""Playbooks (issue 15) in Debian's Chromium: a team lead selects three absent accounts in the
portfolio and starts the re-engagement play on them; the CSM who owns them sees the play and
its tasks on their portfolio, opens one account, logs the call the first step asks for, and
the step shows done.

The accounts are absent by what the play's trigger measures (no meeting or call for 70 days,
more than the 60 the issue names), and a fourth account of the same CSM, met last week, is
left unselected so the test shows the selection is what counts.
"""

import datetime as dt

import pytest
from django.utils import timezone

from retention.models import Playbook, PlaybookRun, RunStep

from ..factories import make_customer
from .test_journeys import Shots, browser, page, settled, sign_in  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def shipped_defaults(db):
    """The rows the data migration ships: an earlier transactional test flushed them away."""
    import importlib

    from django.apps import apps

    if not apps.get_model("retention.Playbook").objects.exists():
        importlib.import_module("retention.migrations.0009_default_playbooks").create(apps, None)


ABSENT = ["Funkstille AG", "Schweigen GmbH", "Leise KG"]


@pytest.fixture
def accounts(csm):
    now = timezone.now()
    absent = []
    for name in ABSENT:
        account = make_customer(owner=csm, name=name)
        account.last_meeting_or_call_at = now - dt.timedelta(days=70)
        account.save(update_fields=["last_meeting_or_call_at"])
        absent.append(account)
    recent = make_customer(owner=csm, name="Nahbar AG")
    recent.last_meeting_or_call_at = now - dt.timedelta(days=7)
    recent.save(update_fields=["last_meeting_or_call_at"])
    return absent, recent


def test_lead_starts_the_re_engagement_play_and_the_csm_logs_the_call(
    live_server,
    page,  # noqa: F811 (the fixture)
    csm,
    team_lead,
    accounts,
):
    absent, recent = accounts
    reengagement = Playbook.objects.get(name="Re-engagement")
    shot = Shots("playbook")

    # The lead: the team's portfolio, three rows ticked, the play chosen and started.
    sign_in(page, live_server, "lena")
    page.locator("#nav").get_by_role("link", name="My portfolio").click()
    page.get_by_role("link", name="Team", exact=True).click()  # the lead's own list is empty
    page.wait_for_url("**scope=team")
    table = page.locator("[data-testid=portfolio]")
    table.locator("tbody tr", has_text="Nahbar AG").wait_for()
    settled(page)
    for name in ABSENT:
        page.get_by_label(f"Select {name}").check()
    campaign = page.locator("[data-testid=campaign]")
    campaign.locator("#campaign-playbook").select_option(label="Re-engagement")
    shot(page, "lead-selects")
    campaign.get_by_role("button", name="Start a play").click()
    page.get_by_text("Re-engagement started on 3 accounts.").wait_for()
    settled(page)
    shot(page, "lead-started")

    runs = PlaybookRun.objects.filter(playbook=reengagement)
    assert sorted(runs.values_list("account__name", flat=True)) == sorted(ABSENT)
    assert not PlaybookRun.objects.filter(account=recent).exists()

    # The CSM: the play and its due tasks on each of the three rows, none on the fourth.
    page.context.clear_cookies()
    sign_in(page, live_server, "carla")
    for name in ABSENT:
        row = table.locator("tbody tr", has_text=name)
        assert row.locator("[data-testid=current-play]").inner_text() == "Re-engagement"
        assert row.locator("td[data-label=Follow-ups]").inner_text() != "—"
    row = table.locator("tbody tr", has_text="Nahbar AG")
    assert row.locator("[data-testid=current-play]").inner_text() == "—"
    shot(page, "csm-portfolio")

    # One account: the play's panel asks for a call; the CSM logs it from there.
    first = absent[0]
    page.get_by_role("link", name=first.name).first.click()
    plays = page.locator("[data-testid=plays]")
    run_item = plays.locator("[data-testid=run]", has_text="Re-engagement")
    run_item.wait_for()
    settled(page)
    assert "0 of 2 steps" in run_item.inner_text()
    shot(page, "account-play")
    run_item.get_by_role("link", name="Log the call").click()
    page.wait_for_selector("#id_summary")
    settled(page)
    assert page.locator("#id_kind_1").is_checked()  # the step's kind, prefilled: Call
    page.fill("#id_summary", "Re-engagement call with the team, all well")
    shot(page, "log-call")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("[data-testid=log-saved]")  # the form saves in place (htmx)
    settled(page)
    shot(page, "call-logged")

    # Back on the account: the call is in the timeline and the play's first step is done.
    page.goto(f"{live_server.url}{first.get_absolute_url()}")
    run_item = page.locator("[data-testid=plays] [data-testid=run]", has_text="Re-engagement")
    run_item.wait_for()
    settled(page)
    assert "1 of 2 steps" in run_item.inner_text()
    assert run_item.get_by_role("link", name="Log the meeting").is_visible()  # the next step
    assert "Re-engagement call with the team" in page.locator("[data-testid=timeline]").inner_text()
    shot(page, "step-done")

    steps = RunStep.objects.filter(run__account=first).order_by("position")
    assert steps[0].follow_up.done_at is not None
    assert steps[1].follow_up.done_at is None
    # The other two accounts' plays are untouched.
    for account in absent[1:]:
        assert not RunStep.objects.filter(
            run__account=account, follow_up__done_at__isnull=False
        ).exists()
