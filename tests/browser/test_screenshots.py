"""A screenshot of every main page at 1366 px and at phone width (390 px), for a CSM, a team
lead and an admin, in English and German, saved under ``tests/artifacts/screenshots/`` for a
person to look at (``tests/artifacts/README.md``). Every page must load. A page wider than
the window (the whole page scrolls sideways, not just a table inside its own scroller) is
listed in ``tests/artifacts/screenshots/overflow-<persona>-<language>.json`` for that
person to look at first; it is not a failure, because what fits is a judgement on the
picture.

Run: ``make screenshots`` (or ``pytest tests/browser/test_screenshots.py -m browser``)."""

import json

import pytest
from django.urls import NoReverseMatch, reverse

from crm.models import User

from . import test_journeys as journeys

browser, acme, flags = journeys.browser, journeys.acme, journeys.flags

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = journeys.ARTIFACTS / "screenshots"
WIDTHS = {"1366": {"width": 1366, "height": 800}, "phone": {"width": 390, "height": 844}}
# How much wider than the window the page may be before it counts as sideways scrolling.
SLACK_PX = 2


def _url(name, *args, query=""):
    try:
        return reverse(name, args=args) + query
    except NoReverseMatch:  # a page this version does not have (search, before it exists)
        return None


def _pages(persona: str, account) -> dict[str, str | None]:
    """The main pages of each role, by a file-name-safe name."""
    pages = {
        "portfolio": _url("retention:portfolio"),
        "account": account.get_absolute_url(),
        "brief": _url("interactions:brief", account.pk),
        "at-risk": _url("retention:at_risk"),
        "calendar": _url("calendar:calendar"),
        "inbox": _url("inbox"),
        "settings": _url("user_settings"),
        "handovers": _url("customers:handover_list"),
        "accounts": _url("customers:account_list"),
        "search": _url("search", query="?q=Acme"),
    }
    if persona != "csm":
        pages |= {
            "team": _url("retention:team_dashboard"),
            "report": _url("retention:report"),
            "report-accounts": _url("retention:report_accounts", query="?period=2025&set=start"),
        }
    if persona == "admin_user":
        pages["admin"] = _url("admin:index")
    return {name: url for name, url in pages.items() if url}


WIDE = "() => ({scroll: document.documentElement.scrollWidth, width: window.innerWidth})"


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("persona", ["csm", "team_lead", "admin_user"])
def test_every_main_page_is_photographed_at_1366_px_and_at_phone_width(
    live_server, browser, request, acme, flags, persona, language
):
    user = request.getfixturevalue(persona)
    User.objects.filter(pk=user.pk).update(language=language)
    SHOTS.mkdir(parents=True, exist_ok=True)
    too_wide = []
    for width, viewport in WIDTHS.items():
        context = browser.new_context(viewport=viewport, is_mobile=width == "phone")
        page = context.new_page()
        page.set_default_timeout(15_000)
        journeys.sign_in(page, live_server, user.username)
        for name, url in _pages(persona, acme).items():
            response = page.goto(f"{live_server.url}{url}")
            assert response is not None and response.ok, (name, response and response.status)
            page.wait_for_load_state("load")
            page.screenshot(path=SHOTS / f"{name}-{persona}-{language}-{width}.png", full_page=True)
            size = page.evaluate(WIDE)
            if size["scroll"] > size["width"] + SLACK_PX:
                too_wide.append({"page": name, "width": width, **size})
        context.close()
    report = SHOTS / f"overflow-{persona}-{language}.json"
    report.write_text(json.dumps(too_wide, indent=1))
