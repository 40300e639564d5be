"""The navigation at 1366 px: one line for every role in English and German, nothing cut
off (the language picker was), and each role lands where its work is after signing in.
Screenshots at 1366 px and at phone width go to ``tests/artifacts/``."""

import re

import pytest

from crm.models import User

from . import test_journeys as journeys

browser, acme, flags = journeys.browser, journeys.acme, journeys.flags

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every item of the bar (links, the log button, the person's menu) is on one row when their
# tops agree within a few pixels, and the last one ends inside the window.
ONE_LINE = """() => {
  const items = [...document.querySelectorAll('#nav .nav-link, #nav .btn')].filter(
    (e) => e.checkVisibility());  // not the closed menu's contents
  const boxes = items.map((e) => e.getBoundingClientRect());
  const tops = boxes.map((b) => b.top + b.height / 2);
  return {
    items: boxes.length,
    spread: Math.max(...tops) - Math.min(...tops),
    right: Math.max(...boxes.map((b) => b.right)),
    width: window.innerWidth,
    scroll: document.documentElement.scrollWidth,
    where: items.map((e) => [e.textContent.trim(), Math.round(e.getBoundingClientRect().top)]),
  };
}"""


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize(
    "persona, lands_on",
    [("csm", "portfolio"), ("team_lead", "team"), ("admin_user", "team")],
)
def test_the_navigation_fits_one_line_at_1366_px(
    live_server, browser, request, acme, persona, lands_on, language
):
    user = request.getfixturevalue(persona)
    user.first_name, user.last_name = "Maximiliane", "Schwarzenberg-Oberhollenzer"
    user.save()
    User.objects.filter(pk=user.pk).update(language=language)
    context = browser.new_context(viewport={"width": 1366, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    journeys.sign_in(page, live_server, user.username)
    assert re.search(rf"/retention/{lands_on}/$", page.url)
    assert page.evaluate("document.documentElement.lang") == language
    bar = page.evaluate(ONE_LINE)
    assert bar["items"] >= 5 and bar["spread"] < 4, bar["where"]
    assert bar["right"] <= bar["width"] and bar["scroll"] <= bar["width"], bar

    journeys.open_user_menu(page)
    picker = page.get_by_role("combobox", name=re.compile("Language|Sprache"))
    box = picker.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 1366
    page.screenshot(path=journeys.ARTIFACTS / f"nav-{persona}-{language}-1366.png")
    context.close()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = phone.new_page()
    journeys.sign_in(page, live_server, user.username)
    page.locator(".navbar-toggler").click()
    page.get_by_test_id("user-menu").wait_for()
    journeys.open_user_menu(page)
    picker = page.get_by_role("combobox", name=re.compile("Language|Sprache"))
    box = picker.bounding_box()  # on a phone too, the whole picker is on the screen
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    page.screenshot(path=journeys.ARTIFACTS / f"nav-{persona}-{language}-phone.png")
    phone.close()
