"""Every list and report page, fed hostile query strings: unknown sorts and filters, pages that
are words, negative or beyond any integer type, periods that are not periods, NUL bytes and
script. The answer is never a 5xx."""

import pytest
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from .nasty import EXAMPLES_PER_CASE, XSS_SCRIPT, assert_no_server_error, field_value, fuzz_settings

pytestmark = pytest.mark.django_db

EXAMPLES = EXAMPLES_PER_CASE

# name -> (persona, url(world), the parameters the page reads)
PAGES = {
    "account_list": ("csm", lambda w: reverse("customers:account_list"), ["q", "page"]),
    "account_export": ("csm", lambda w: reverse("customers:account_list_export"), ["q"]),
    "account_detail": (
        "csm",
        lambda w: reverse("customers:account_detail", args=[w["account"].pk]),
        ["kind", "page"],
    ),
    "account_timeline": (
        "csm",
        lambda w: reverse("customers:account_timeline", args=[w["account"].pk]),
        ["kind", "page"],
    ),
    "interaction_log": ("csm", lambda w: reverse("interactions:log"), ["account", "source"]),
    "brief": ("csm", lambda w: reverse("interactions:brief", args=[w["account"].pk]), ["page"]),
    "portfolio": (
        "csm",
        lambda w: reverse("retention:portfolio"),
        ["scope", "q", "segment", "renewal", "quiet", "band", "sort", "page"],
    ),
    "portfolio_export": (
        "csm",
        lambda w: reverse("retention:portfolio_export"),
        ["scope", "q", "segment", "renewal", "quiet", "band", "sort"],
    ),
    "team_dashboard": ("admin", lambda w: reverse("retention:team_dashboard"), ["team"]),
    "at_risk": (
        "team_lead",
        lambda w: reverse("retention:at_risk"),
        ["owner", "reason", "band", "segment", "renewal", "age", "status", "sort", "page"],
    ),
    "at_risk_csm": (
        "csm",
        lambda w: reverse("retention:at_risk"),
        ["owner", "reason", "status", "sort", "page"],
    ),
    "at_risk_export": (
        "team_lead",
        lambda w: reverse("retention:at_risk_export"),
        ["owner", "reason", "band", "segment", "renewal", "age", "status", "sort"],
    ),
    "flag_action_form": (
        "csm",
        lambda w: reverse("retention:flag_action", args=[w["flag"].pk, "snooze"]),
        ["next"],
    ),
    "report": (
        "team_lead",
        lambda w: reverse("retention:report"),
        ["period", "start", "end", "segment", "export"],
    ),
    "report_accounts": (
        "team_lead",
        lambda w: reverse("retention:report_accounts"),
        ["set", "period", "start", "end", "segment", "by", "key", "export", "page"],
    ),
    "handovers": ("csm", lambda w: reverse("customers:handover_list"), ["page"]),
    "admin_accounts": (
        "admin",
        lambda w: reverse("admin:customers_account_changelist"),
        ["q", "status", "renewal", "contacted", "o", "p", "segment__id__exact"],
    ),
    "admin_contracts": (
        "admin",
        lambda w: reverse("admin:customers_contract_changelist"),
        ["q", "state", "start_date__year", "start_date__month", "o", "p"],
    ),
}

REGRESSIONS = [
    {"page": "abc"},
    {"page": "-1"},
    {"page": "99999999999999999999"},
    {"page": str(10**40)},
    {"sort": "bogus"},
    {"sort": "-pk;DROP TABLE x"},
    {"q": XSS_SCRIPT},
    {"q": "\x00"},
    {"key": "\x00", "by": "industry", "set": "start", "period": "2026-01"},
    {"key": "abc", "by": "segment", "set": "start", "period": "2026-01"},
    {"key": "abc", "by": "owner", "set": "start", "period": "2026-01"},
    {"key": str(10**40), "by": "owner", "set": "start", "period": "2026-01"},
    {"period": "2026-13"},
    {"period": "0000-Q1"},
    {"period": "9999"},
    {"period": "10000"},
    {"start": "0001-01-01", "end": "9999-12-31"},
    {"start": "2026-02-30", "end": "2026-01-01"},
    {"segment": "abc"},
    {"segment": str(10**40)},
    {"team": str(10**40)},
    {"renewal": "1e30"},
    {"quiet": "-1"},
    {"age": "NaN"},
    {"owner": "99999999999999999999"},
    {"export": "csv", "period": "2026-01"},
    {"export": "\x00", "period": "2026-01"},
    {"kind": ["interaction", "\x00", "nope"]},
    {"account": "99999999999999999999"},
    {"p": "-1"},
    {"o": "999"},
    {"start_date__year": "99999"},
]


def _get(client, world, name: str, params: dict):
    persona, url, _names = PAGES[name]
    client.force_login(world[persona])
    response = client.get(url(world), params)
    assert_no_server_error(response, f"GET {name} {params!r}")
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)  # the rows are written while streaming
    return response


@pytest.mark.parametrize("name", PAGES)
def test_known_hostile_parameters(client, world, name):
    reads = set(PAGES[name][2])
    for params in REGRESSIONS:
        if reads & set(params):
            _get(client, world, name, params)


def test_a_page_beyond_any_integer_shows_the_timeline_not_an_error(client, world):
    client.force_login(world["csm"])
    url = reverse("customers:account_timeline", args=[world["account"].pk])
    assert client.get(url, {"page": "99999999999999999999"}).status_code == 200


def test_a_search_with_a_nul_byte_finds_what_the_rest_of_it_finds(client, world):
    client.force_login(world["csm"])
    response = client.get(reverse("customers:account_list"), {"q": "Acme\x00"})
    assert response.status_code == 200
    assert "Acme Logistics" in response.content.decode()


@pytest.mark.parametrize("by", ["segment", "owner"])
def test_a_group_key_that_is_no_id_is_not_found(client, world, by):
    client.force_login(world["team_lead"])
    params = {"set": "start", "period": "2026-01", "by": by, "key": "abc"}
    assert client.get(reverse("retention:report_accounts"), params).status_code == 404


@pytest.mark.hypothesis  # its @given is inside: `make fuzz` runs it
@pytest.mark.parametrize("name", PAGES)
def test_random_parameters(client, world, name):
    names = [*PAGES[name][2], "format", "next"]

    @fuzz_settings(EXAMPLES)
    @given(params=st.dictionaries(st.sampled_from(names), field_value, max_size=len(names)))
    @example(params=dict.fromkeys(names, "\x00"))
    @example(params=dict.fromkeys(names, "x" * 100000))
    def run(params):
        _get(client, world, name, params)

    run()
