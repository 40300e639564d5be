"""The pages the journeys visit, in Chromium with the Content-Security-Policy on: nothing is
refused by the policy, and the behaviour moved out of inline script still works."""

import re

import pytest
from django.utils import timezone

from crm.periods import add_months

from ..factories import MonthlySnapshotFactory
from . import test_journeys as journeys

# The journeys' browser, page and data, shared as fixtures.
browser, page, acme, flags = journeys.browser, journeys.page, journeys.acme, journeys.flags
settled, PASSWORD = journeys.settled, journeys.PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any page script, outside the page's policy: records what the policy refused and
# stands in for the print dialog, which a headless browser cannot show.
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
window.print = () => { window.__printed = true; };
"""


class Watch:
    def __init__(self, page):
        self.page, self.console = page, []
        page.add_init_script(WATCH)
        page.on("console", self.on_console)
        page.on("pageerror", lambda error: self.console.append(str(error)))
        page.on(
            "response",
            lambda response: (
                response.status >= 400 and self.console.append(f"{response.status} {response.url}")
            ),
        )

    def on_console(self, message) -> None:
        # Chromium asks for /favicon.ico on its own; there is none (a 404 to no one's harm).
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            self.console.append(f"{message.text} ({message.location.get('url')})")

    def visit(self, live_server, path: str) -> None:
        self.page.goto(f"{live_server.url}{path}")
        if self.page.evaluate("() => Boolean(window.htmx)"):  # the admin has no htmx
            settled(self.page)
        self.assert_clean(path)

    def assert_clean(self, where: str) -> None:
        violations = self.page.evaluate("window.__violations")
        refused = [text for text in self.console if "Content Security Policy" in text]
        assert violations == [] and refused == [], (where, violations, refused)
        assert self.console == [], (where, self.console)


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_load_state("load")
    page.wait_for_function("() => !location.pathname.startsWith('/accounts/login/')")


def test_csm_pages_run_under_the_policy(live_server, page, csm, acme):
    watch = Watch(page)
    watch.visit(live_server, "/accounts/login/")
    sign_in(page, live_server, "carla")
    watch.visit(live_server, "/retention/portfolio/")
    watch.visit(live_server, acme.get_absolute_url())
    page.wait_for_selector("[data-testid=log-form]")  # htmx loaded the quick-log form
    watch.assert_clean("account page, quick-log form")
    watch.visit(live_server, "/interactions/log/")

    watch.visit(live_server, f"/interactions/accounts/{acme.pk}/brief/")
    page.get_by_role("button", name="Print").click()  # data-print, crm/treue.js
    assert page.evaluate("window.__printed") is True

    journeys.open_user_menu(page)
    page.get_by_role("combobox", name="Language").select_option("de")  # data-autosubmit
    page.wait_for_load_state("load")
    page.wait_for_function("() => document.documentElement.lang === 'de'")
    watch.assert_clean("language switch")

    watch.visit(live_server, "/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")  # Swagger UI started from its file
    assert "Treue API" in page.inner_text(".swagger-ui .info .title")
    watch.assert_clean("api docs")


def test_team_lead_pages_run_under_the_policy(live_server, page, team_lead, acme, flags):
    today = timezone.localdate()
    for n in range(1, 25):  # the report's SVG charts
        MonthlySnapshotFactory(month=add_months(today.replace(day=1), -n))
    watch = Watch(page)
    sign_in(page, live_server, "lena")
    watch.visit(live_server, "/retention/team/")
    watch.visit(live_server, "/retention/report/")
    assert page.locator("svg").count() >= 2
    watch.visit(live_server, "/retention/at-risk/")

    account_row = page.locator("[data-testid=account-row]", has_text="Acme Logistics")
    row = account_row.locator("[data-testid=flag-row]", has_text="Entered red")
    row.get_by_role("link", name="Acknowledge").click()
    comment = row.locator("textarea[name=comment]")
    comment.wait_for()
    settled(page)
    comment.fill("Booked a call")
    comment.press("Control+Enter")  # Ctrl+Enter submits: crm/treue.js
    page.locator("[data-testid=toast]").wait_for()  # the HX-Trigger message: crm/treue.js
    assert "acknowledged" in page.locator("[data-testid=toast]").inner_text()
    assert re.fullmatch(r"\d+", page.inner_text("[data-count=acknowledged]"))
    watch.assert_clean("at-risk inline action")


def test_admin_runs_under_the_policy(live_server, page, admin_user, acme):
    watch = Watch(page)
    sign_in(page, live_server, "ada")
    watch.visit(live_server, "/admin/")
    watch.visit(live_server, "/admin/customers/account/")
    watch.visit(live_server, f"/admin/customers/account/{acme.pk}/change/")
