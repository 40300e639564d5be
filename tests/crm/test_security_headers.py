"""Production settings pass Django's deployment check; every page carries a Content-Security-Policy
that allows no inline script, and no page needs one."""

import io
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.periods import add_months

from ..factories import (
    AccountFactory,
    ContactFactory,
    HealthScoreFactory,
    InteractionFactory,
    MonthlySnapshotFactory,
    RiskFlagFactory,
)

ROOT = Path(__file__).resolve().parents[2]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


def production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "DJANGO_"))}
    env.pop("SESSION_COOKIE_SECURE", None)
    env.pop("CSRF_COOKIE_SECURE", None)
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50)[:50],
        ALLOWED_HOSTS="treue.example.com",
        DJANGO_SETTINGS_MODULE="crm.settings",
    )
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- production settings ------------------------------------------------------------------


def test_deployment_check_is_clean_in_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_deployment_check_warns_about_plain_http_cookies():
    """The check is not silenced wholesale: turning the secure cookies off is reported."""
    env = production_env(SESSION_COOKIE_SECURE="false", CSRF_COOKIE_SECURE="false")

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode != 0
    assert "security.W012" in result.stderr and "security.W016" in result.stderr


@pytest.mark.parametrize(("debug", "testserver"), [("false", False), ("true", True)])
def test_the_test_clients_host_is_allowed_only_while_developing(debug, testserver):
    """Production's default host list holds no "testserver" (tests add it themselves)."""
    env = production_env(DEBUG=debug)
    env.pop("ALLOWED_HOSTS")
    show = "from django.conf import settings; print(settings.ALLOWED_HOSTS)"

    result = manage("shell", "-c", show, env=env)

    assert result.returncode == 0, result.stderr
    assert "'127.0.0.1'" in result.stdout
    assert ("'testserver'" in result.stdout) is testserver


@pytest.mark.parametrize("secret_key", [None, "too-short-" * 4])
def test_production_refuses_a_missing_or_short_secret_key(secret_key):
    env = production_env()
    env.pop("SECRET_KEY")
    if secret_key:
        env["SECRET_KEY"] = secret_key

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_redirect_to_https_and_send_hsts():
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SECURE_HSTS_PRELOAD, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SESSION_COOKIE_HTTPONLY, s.X_FRAME_OPTIONS)"
    )
    shown = manage("shell", "-c", code, env=production_env())
    over_http = manage(
        "shell",
        "-c",
        code,
        env=production_env(SESSION_COOKIE_SECURE="false", SECURE_HSTS_SECONDS="600"),
    )

    assert shown.stdout.splitlines()[-1] == "True 31536000 True False True True True DENY"
    assert over_http.stdout.splitlines()[-1].split()[:2] == ["False", "600"]  # http://127.0.0.1


def test_https_redirect_and_hsts_header(client, settings, db):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True

    plain = client.get("/accounts/login/")
    secure = client.get("/accounts/login/", secure=True)
    health = client.get("/healthz")

    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert health.status_code != 301  # the load balancer's check may use plain HTTP


# --- Content-Security-Policy --------------------------------------------------------------


def csp_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [part.strip().split() for part in header.split(";") if part.strip()]
    return {name: values for name, *values in directives}


def assert_no_inline_code(response) -> None:
    html = response.content.decode()
    assert INLINE_SCRIPT.findall(html) == []
    assert INLINE_HANDLER.findall(html) == []
    assert "hx-on" not in html


def test_policy_allows_scripts_only_from_our_own_files(client):
    policy = csp_of(client.get("/accounts/login/"))

    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert all("'unsafe-eval'" not in values for values in policy.values())


@pytest.fixture
def pages(csm, teammate, team_lead, admin_user):
    today = timezone.localdate()
    account = AccountFactory(owner=csm, name="Acme Logistics", mrr=4200)
    ContactFactory(account=account, name="Petra Pfeiffer", is_champion=True)
    InteractionFactory(account=account, author=csm, summary="Quarterly business review")
    HealthScoreFactory(account=account, score=44, band="red", trend=-18)
    RiskFlagFactory(account=account)
    for n in range(1, 25):  # the report's trend charts (SVG)
        MonthlySnapshotFactory(month=add_months(today.replace(day=1), -n))
    return [
        (None, reverse("login")),
        (csm, reverse("retention:portfolio")),
        (csm, account.get_absolute_url()),
        (csm, reverse("interactions:brief", args=[account.pk])),
        (csm, reverse("interactions:log")),
        (team_lead, reverse("retention:team_dashboard")),
        (team_lead, reverse("retention:at_risk")),
        (team_lead, reverse("retention:report")),
        (admin_user, reverse("admin:index")),
        (admin_user, reverse("admin:customers_account_changelist")),
        (admin_user, reverse("admin:customers_account_change", args=[account.pk])),
        (csm, reverse("api-docs")),
    ]


def test_every_page_has_the_policy_and_no_inline_script_or_handler(client, pages):
    for user, url in pages:
        client.logout()
        if user:
            client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, url
        assert "'unsafe-inline'" not in csp_of(response)["script-src"], url
        assert_no_inline_code(response)


def test_report_charts_carry_no_script(client, pages, team_lead):
    client.force_login(team_lead)
    html = client.get(reverse("retention:report")).content.decode()

    assert html.count("<svg") >= 2  # the trend charts are there to be checked
    for svg in re.findall(r"<svg.*?</svg>", html, re.DOTALL):
        assert "<script" not in svg and not INLINE_HANDLER.search(svg)


def test_api_docs_load_their_start_up_script_from_a_file(client, csm):
    client.force_login(csm)
    html = client.get(reverse("api-docs")).content.decode()
    script_url = re.search(r'<script src="([^"]*\?script=[^"]*)"', html).group(1)

    script = client.get(script_url.replace("&amp;", "&"))

    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code(client, csm):
    client.force_login(csm)
    html = client.get(reverse("retention:portfolio")).content.decode()

    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html).group(1)
    assert '"includeIndicatorStyles": false' in config and '"allowEval": false' in config
    assert "crm/treue.js" in html and "crm/treue.css" in html


def test_behaviour_comes_from_data_attributes(client, csm, team_lead):
    account = AccountFactory(owner=csm)
    client.force_login(csm)
    brief = client.get(reverse("interactions:brief", args=[account.pk])).content.decode()
    client.force_login(team_lead)
    dashboard = client.get(reverse("retention:team_dashboard")).content.decode()

    assert "data-print" in brief
    assert 'name="language"' in dashboard and "data-autosubmit" in dashboard


def test_static_script_handles_what_the_templates_ask_for():
    script = (ROOT / "crm" / "static" / "crm" / "treue.js").read_text()

    for hook in ("[data-autosubmit]", "[data-print]", "treue:message", "closeLabel"):
        assert hook in script


def test_api_rate_limits_ignore_a_forged_forwarded_for(rf, settings):
    """A client cannot get a fresh rate-limit bucket per request by writing X-Forwarded-For
    (DRF keys on the whole header unless NUM_PROXIES is set)."""
    from crm.api import TokenObtainThrottle

    first = rf.get("/", HTTP_X_FORWARDED_FOR="1.1.1.1", REMOTE_ADDR="203.0.113.7")
    second = rf.get("/", HTTP_X_FORWARDED_FOR="2.2.2.2", REMOTE_ADDR="203.0.113.7")
    throttle = TokenObtainThrottle()
    assert throttle.get_ident(first) == throttle.get_ident(second) == "203.0.113.7"


def test_the_system_check_is_clean_on_the_laptop_database(db):
    """Nothing to read past on a laptop: no covering-index warning on SQLite (models.W040)."""
    from django.core.management import call_command

    out = io.StringIO()
    call_command("check", "--database", "default", "--fail-level", "WARNING", stdout=out)

    assert "no issues" in out.getvalue()
