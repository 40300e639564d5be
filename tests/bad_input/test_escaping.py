"""HTML and script typed into names, notes and summaries is shown as text everywhere it is
shown: the account page, its timeline, the handover brief, the portfolio, the at-risk list, the
team dashboard, the report's account list and the admin. CSV exports defuse formulas; the API
answers JSON (which is data, not markup)."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.services import refresh_ledger

from ..factories import (
    AccountFactory,
    ContractFactory,
    HealthScoreFactory,
    RiskFlagFactory,
    SegmentFactory,
)
from .nasty import XSS_ATTR, XSS_SCRIPT

pytestmark = pytest.mark.django_db

PAYLOAD = XSS_SCRIPT + XSS_ATTR
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
FORMULA = '=HYPERLINK("http://evil.example","x")'


def _assert_escaped(html: str, where: str, *, shown: bool = True) -> None:
    assert "<script>alert(1)" not in html, f"script unescaped on {where}"
    assert "<img src=x onerror" not in html, f"attribute break-out on {where}"
    if shown:
        assert ESCAPED in html or ESCAPED.replace("&quot;", "&#x27;") in html, (
            f"the payload is not shown (escaped) on {where}"
        )


@pytest.fixture
def hostile(client, world):
    """The payload entered through the forms (and, for what only an import or the admin
    names, through the CSV import): every field that is shown somewhere."""
    account, csm = world["account"], world["csm"]
    # Names only the admin, the API or an import set: written directly.
    evil = AccountFactory(
        name=PAYLOAD,
        external_id=PAYLOAD[:100],
        industry=PAYLOAD[:100],
        segment=SegmentFactory(name=PAYLOAD[:100]),
        owner=csm,
    )
    ContractFactory(account=evil, reference="C-EVIL")
    refresh_ledger(account_ids=[evil.pk])
    HealthScoreFactory(account=evil, score=20, band="red")
    RiskFlagFactory(account=evil, explanation=PAYLOAD)
    formula = AccountFactory(name=FORMULA, industry=FORMULA, owner=csm)
    ContractFactory(account=formula, reference="C-FORMULA")
    refresh_ledger(account_ids=[formula.pk])
    RiskFlagFactory(account=formula, acknowledged_comment=FORMULA)

    client.force_login(csm)
    soon = (timezone.localdate() + timezone.timedelta(days=3)).isoformat()
    posts = [
        (
            reverse("customers:contact_create", args=[account.pk]),
            {"name": PAYLOAD, "title": PAYLOAD, "preferences": PAYLOAD, "phone": PAYLOAD[:50]},
        ),
        (
            reverse("interactions:log"),
            {
                "account": account.pk,
                "kind": "meeting",
                "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
                "summary": PAYLOAD,
                "notes": PAYLOAD,
                "next_steps": PAYLOAD,
                "follow_up_title": PAYLOAD,
                "follow_up_due": soon,
            },
        ),
        (
            reverse("interactions:problem_create", args=[account.pk]),
            {"title": PAYLOAD, "category": "blocker", "severity": "high", "description": PAYLOAD},
        ),
        (
            reverse("interactions:feedback_create", args=[account.pk]),
            {
                "kind": "nps",
                "score": "2",
                "received_on": soon[:0] or str(timezone.localdate()),
                "comment": PAYLOAD,
            },
        ),
        (
            reverse("retention:flag_action", args=[world["flag"].pk, "acknowledge"]),
            {"comment": PAYLOAD},
        ),
    ]
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code == 302, (url, response.content.decode()[:3000])
    client.force_login(world["team_lead"])
    response = client.post(
        reverse("customers:account_transfer", args=[account.pk]),
        {"to_owner": world["teammate"].pk, "reason": PAYLOAD[:200], "handover_notes": PAYLOAD},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    world["evil"] = evil
    return world


def _pages(w) -> list[tuple[str, str, dict]]:
    account, evil = w["account"], w["evil"]
    interaction = account.interactions.order_by("-pk").first()
    contact = account.contacts.order_by("-pk").first()
    return [
        ("teammate", reverse("customers:account_detail", args=[account.pk]), {}),
        ("teammate", reverse("customers:account_timeline", args=[account.pk]), {}),
        ("teammate", reverse("interactions:brief", args=[account.pk]), {}),
        ("teammate", reverse("interactions:interaction_detail", args=[interaction.pk]), {}),
        ("teammate", reverse("interactions:interaction_edit", args=[interaction.pk]), {}),
        ("teammate", reverse("customers:contact_detail", args=[contact.pk]), {}),
        ("teammate", reverse("customers:contact_edit", args=[contact.pk]), {}),
        ("teammate", reverse("customers:handover_list"), {}),
        ("csm", reverse("customers:account_list"), {}),
        ("csm", reverse("customers:account_list"), {"q": PAYLOAD}),
        ("csm", reverse("retention:portfolio"), {}),
        ("csm", reverse("retention:portfolio"), {"q": PAYLOAD}),
        ("csm", reverse("customers:account_detail", args=[evil.pk]), {}),
        ("team_lead", reverse("retention:at_risk"), {}),
        ("team_lead", reverse("retention:team_dashboard"), {}),
        ("admin", reverse("admin:customers_account_change", args=[evil.pk]), {}),
        ("admin", reverse("admin:customers_account_change", args=[account.pk]), {}),
        ("admin", reverse("admin:customers_account_changelist"), {}),
        ("admin", reverse("admin:customers_account_changelist"), {"q": PAYLOAD}),
        ("admin", reverse("admin:customers_contact_changelist"), {}),
        ("admin", reverse("admin:interactions_interaction_changelist"), {}),
        ("admin", reverse("admin:interactions_interaction_change", args=[interaction.pk]), {}),
        ("admin", reverse("admin:customers_ownershiptransfer_changelist"), {}),
        ("admin", reverse("admin:retention_riskflag_changelist"), {}),
    ]


def test_payload_is_escaped_on_every_page_that_shows_it(client, hostile):
    for persona, url, params in _pages(hostile):
        client.force_login(hostile[persona])
        response = client.get(url, params)
        assert response.status_code == 200, (url, response.status_code)
        _assert_escaped(response.content.decode(), f"{url}?{params}")


def test_payload_is_escaped_in_the_report_account_list(client, hostile):
    client.force_login(hostile["team_lead"])
    today = timezone.localdate()
    params = {"set": "end", "start": today.replace(day=1).isoformat(), "end": today.isoformat()}
    response = client.get(reverse("retention:report_accounts"), params)
    assert response.status_code == 200
    _assert_escaped(response.content.decode(), "report accounts")


def test_payload_is_escaped_on_the_forms_that_show_it_back(client, world):
    """A refused form shows what was typed, as text."""
    client.force_login(world["csm"])
    response = client.post(
        reverse("interactions:problem_create", args=[world["account"].pk]),
        {"title": PAYLOAD, "category": "nope", "description": PAYLOAD},
    )
    assert response.status_code == 200
    _assert_escaped(response.content.decode(), "problem form")


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.mark.parametrize(
    ("persona", "name", "params"),
    [
        ("csm", "customers:account_list_export", {}),
        ("csm", "retention:portfolio_export", {}),
        ("team_lead", "retention:at_risk_export", {}),
    ],
)
def test_csv_exports_defuse_formulas(client, hostile, persona, name, params):
    client.force_login(hostile[persona])
    response = client.get(reverse(name), params)
    assert response.status_code == 200
    cells = [cell for row in _csv_rows(response)[1:] for cell in row]
    assert cells, "the export is empty"
    assert not [c for c in cells if c.startswith(("=", "+", "@"))], f"a formula in {name}"
    assert "'" + FORMULA in cells


def test_api_answers_json_with_the_payload_as_data(client, hostile):
    client.force_login(hostile["csm"])
    response = client.get(f"/api/v1/accounts/{hostile['evil'].pk}/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["name"] == PAYLOAD


def test_payload_is_escaped_in_the_report_breakdowns(client, hostile):
    """The report's breakdowns name segments and industries (rendered once and cached)."""
    client.force_login(hostile["team_lead"])
    today = timezone.localdate()
    params = {"start": today.replace(day=1).isoformat(), "end": today.isoformat()}
    response = client.get(reverse("retention:report"), params)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert(1)" not in html
    assert "<img src=x onerror" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
