"""Surveys: who is asked, the personal link, the answer page, the answer on the timeline."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from crm.models import InboxItem
from interactions.models import Feedback, SurveySend, SurveyTemplate
from interactions.surveys import services
from tests.factories import AccountFactory, ContactFactory

LINK = re.compile(r"http://testserver(/s/[^/\s]+/)")


@pytest.fixture
def deliver_now(monkeypatch, django_capture_on_commit_callbacks):
    """The worker's delivery run at commit, as a Celery worker would."""
    monkeypatch.setattr(services, "deliver_later", services.deliver_here)


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "http://testserver"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SURVEY_COMPANY_NAME = "Beispiel AG"


@pytest.fixture
def account(csm):
    return AccountFactory(owner=csm, name="Kunde GmbH")


def send_one(account, contact, kind="nps", sender=None):
    result = services.send_surveys(account=account, contacts=[contact], kind=kind, sender=sender)
    (message,) = [m for m in mail.outbox if m.to == [contact.email]][-1:]
    return result.queued[0], LINK.search(message.body).group(1)


def test_sending_skips_by_rule_and_counts_why(account, csm, deliver_now):
    fine = ContactFactory(account=account)
    no_email = ContactFactory(account=account, email="")
    left = ContactFactory(account=account, left_on=dt.date(2024, 1, 1))
    out = ContactFactory(account=account, surveys_unsubscribed_at=timezone.now())
    asked = ContactFactory(account=account)
    SurveySend.objects.create(
        account=account,
        contact=asked,
        kind="csat",
        language="en",
        token_hash="x" * 64,
        queued_at=timezone.now() - dt.timedelta(days=89),
        expires_at=timezone.now(),
    )
    stranger = ContactFactory()
    result = services.send_surveys(
        account=account,
        contacts=[fine, no_email, left, out, asked, stranger],
        kind="nps",
        sender=csm,
    )
    assert [s.contact for s in result.queued] == [fine]
    assert result.skipped_counts == {
        "no_email": 1,
        "left": 1,
        "unsubscribed": 1,
        "asked_recently": 1,
        "other_account": 1,
    }
    assert "Skipped 5" in result.message()
    (message,) = mail.outbox
    assert message.to == [fine.email]
    assert "Beispiel AG" in message.subject
    html = message.alternatives[0][0]
    assert "<a href" in html and "unsubscribe=1" in html


def test_a_contact_asked_91_days_ago_is_asked_again(account, deliver_now):
    contact = ContactFactory(account=account)
    SurveySend.objects.create(
        account=account,
        contact=contact,
        kind="nps",
        language="en",
        token_hash="y" * 64,
        queued_at=timezone.now() - dt.timedelta(days=91),
        expires_at=timezone.now(),
    )
    result = services.send_surveys(account=account, contacts=[contact], kind="nps")
    assert len(result.queued) == 1 and not result.skipped


def test_only_the_hash_of_the_link_is_stored_and_the_email_is_in_the_contacts_language(
    account, deliver_now
):
    contact = ContactFactory(account=account, language="de", name="Jana")
    send, path = send_one(account, contact)
    token = path.split("/")[2]
    assert send.token_hash == services.hash_token(token) and token not in send.token_hash
    (message,) = mail.outbox
    assert message.subject.startswith("Eine kurze Frage") and "Guten Tag Jana" in message.body
    send.refresh_from_db()
    assert send.status == SurveySend.Status.SENT and send.sent_at is not None


def test_an_admins_template_is_used(account, deliver_now):
    SurveyTemplate.objects.filter(kind="csat", language="en").update(
        subject="Rate {company}", body="Hi {name} {link} {x.__class__}"
    )
    contact = ContactFactory(account=account, name="Kim")
    send_one(account, contact, kind="csat")
    (message,) = mail.outbox
    assert message.subject == "Rate Beispiel AG"
    assert (
        message.body.startswith("Hi Kim http://testserver/s/") and "{x.__class__}" in message.body
    )


def test_answer_becomes_feedback_and_can_be_changed(client, account, csm, deliver_now):
    contact = ContactFactory(account=account)
    send, path = send_one(account, contact, sender=csm)
    page = client.get(path)
    assert page.status_code == 200
    assert b"Beispiel AG" in page.content and b"Kunde GmbH" not in page.content
    assert page.content.count(b'name="score"') == 11
    response = client.post(path, {"score": "8", "comment": "Good so far"})
    assert response.status_code == 200 and b"Thank you" in response.content
    (feedback,) = Feedback.objects.filter(account=account)
    assert (feedback.score, feedback.contact, feedback.kind) == (8, contact, "nps")
    assert "Good so far" in feedback.comment
    client.post(path, {"score": "9", "comment": "Better"})
    (feedback,) = Feedback.objects.filter(account=account)
    assert feedback.score == 9 and "Better" in feedback.comment
    send.refresh_from_db()
    assert (send.score, send.comment, send.feedback) == (9, "Better", feedback)


def test_a_detractor_notifies_the_owner(client, account, csm, deliver_now):
    contact = ContactFactory(account=account)
    _send, path = send_one(account, contact, kind="csat")
    client.post(path, {"score": "3", "comment": "Slow support"})
    assert InboxItem.objects.filter(user=csm, kind=InboxItem.Kind.DETRACTOR).exists()


@pytest.mark.parametrize(
    ("score", "comment"),
    [("11", ""), ("-1", ""), ("abc", ""), ("", ""), ("5", "x" * 5001)],
)
def test_bad_answers_are_refused_and_nothing_is_stored(
    client, account, deliver_now, score, comment
):
    _send, path = send_one(account, ContactFactory(account=account))
    response = client.post(path, {"score": score, "comment": comment})
    assert response.status_code == 400
    assert not Feedback.objects.exists()
    assert not SurveySend.objects.filter(answered_at__isnull=False).exists()


def test_a_comment_of_5000_characters_is_fine(client, account, deliver_now):
    _send, path = send_one(account, ContactFactory(account=account))
    assert client.post(path, {"score": "5", "comment": "x" * 5000}).status_code == 200


def test_expired_forged_and_unknown_links_get_the_same_page(client, account, deliver_now):
    send, path = send_one(account, ContactFactory(account=account))
    token = path.split("/")[2]
    forged = "/s/" + token[:-1] + ("A" if token[-1] != "A" else "B") + "/"
    pages = [client.get(forged), client.get("/s/nothing/"), client.get("/s/" + "x" * 5000 + "/")]
    SurveySend.objects.filter(pk=send.pk).update(expires_at=timezone.now())
    pages.append(client.get(path))
    pages.append(client.post(path, {"score": "7"}))
    assert {p.status_code for p in pages} == {404}
    assert len({p.content for p in pages}) == 1
    assert not Feedback.objects.exists()


def test_unsubscribe_stops_further_surveys(client, account, deliver_now):
    contact = ContactFactory(account=account)
    _send, path = send_one(account, contact)
    assert b"No more surveys?" in client.get(path + "?unsubscribe=1").content
    client.post(path, {"unsubscribe": "1"})
    contact.refresh_from_db()
    assert contact.surveys_unsubscribed_at is not None
    SurveySend.objects.update(queued_at=timezone.now() - dt.timedelta(days=200))
    result = services.send_surveys(account=account, contacts=[contact], kind="nps")
    assert result.skipped_counts == {"unsubscribed": 1}


def test_one_address_is_rate_limited(client, account, settings, deliver_now):
    settings.SURVEY_RATE_LIMIT = 5
    _send, path = send_one(account, ContactFactory(account=account))
    codes = [client.get(path).status_code for _ in range(8)]
    assert codes == [200] * 5 + [429] * 3
    other = client.get(path, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200


def test_the_answer_page_sends_the_security_headers(client, account, deliver_now):
    _send, path = send_one(account, ContactFactory(account=account))
    response = client.get(path)
    assert "script-src" in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
    assert b"<script" not in response.content


# --- the CSM's pages ---


def test_the_send_page_preselects_decision_makers_and_champions(client, csm, account):
    boss = ContactFactory(account=account, is_decision_maker=True)
    fan = ContactFactory(account=account, is_champion=True)
    other = ContactFactory(account=account)
    client.force_login(csm)
    page = client.get(f"/interactions/accounts/{account.pk}/survey/")
    assert page.status_code == 200
    assert set(page.context["form"].initial["contacts"]) == {boss.pk, fan.pk}
    assert other.pk not in page.context["form"].initial["contacts"]


def test_sending_from_the_account_page_says_what_was_skipped(client, csm, account, deliver_now):
    fine = ContactFactory(account=account)
    no_email = ContactFactory(account=account, email="")
    client.force_login(csm)
    response = client.post(
        f"/interactions/accounts/{account.pk}/survey/",
        {"kind": "csat", "contacts": [fine.pk, no_email.pk]},
        follow=True,
    )
    text = [str(m) for m in response.context["messages"]]
    assert text == ["Survey sent to 1 contact(s). Skipped 1: 1 no email address."]
    assert [m.to for m in mail.outbox] == [[fine.email]]
    assert SurveySend.objects.get().sender == csm


def test_another_teams_csm_cannot_send(client, other_csm, account):
    ContactFactory(account=account)
    client.force_login(other_csm)
    assert client.get(f"/interactions/accounts/{account.pk}/survey/").status_code == 404


# --- the API ---


def test_the_api_sends_and_lists_responses_in_scope(client, csm, other_csm, account, monkeypatch):
    batches = []  # delivered after the response, as a worker would after commit
    monkeypatch.setattr(services, "deliver_later", batches.extend)
    fine = ContactFactory(account=account)
    left = ContactFactory(account=account, left_on=dt.date(2024, 1, 1))
    client.force_login(csm)
    response = client.post(
        "/api/v1/surveys/",
        {"account": account.pk, "contacts": [fine.pk, left.pk], "kind": "nps"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert [(s["contact"], s["status"]) for s in body["sends"]] == [(fine.pk, "queued")]
    assert body["skipped"] == [{"contact": left.pk, "reason": "left"}]
    for batch in batches:
        services.deliver(batch)
    path = LINK.search(mail.outbox[0].body).group(1)
    client.logout()
    client.post(path, {"score": "10", "comment": "Great"})
    client.force_login(csm)
    answers = client.get(f"/api/v1/survey-responses/?account={account.pk}").json()["results"]
    assert [(a["contact"], a["score"], a["comment"]) for a in answers] == [(fine.pk, 10, "Great")]
    sends = client.get("/api/v1/surveys/").json()["results"]
    assert sends[0]["status"] == "sent" and sends[0]["answered"] is True
    client.force_login(other_csm)
    assert client.get(f"/api/v1/survey-responses/?account={account.pk}").json()["results"] == []
    refused = client.post(
        "/api/v1/surveys/",
        {"account": account.pk, "contacts": [fine.pk], "kind": "nps"},
        content_type="application/json",
    )
    assert refused.status_code == 400 and "account" in refused.json()


def test_the_api_refuses_contacts_of_another_account(client, csm, account):
    client.force_login(csm)
    stranger = ContactFactory()
    response = client.post(
        "/api/v1/surveys/",
        {"account": account.pk, "contacts": [stranger.pk], "kind": "csat"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "contacts" in response.json()
    assert not SurveySend.objects.exists()


# --- the report ---


def test_the_report_counts_response_rate_nps_and_csat(
    client, csm, team_lead, other_csm, account, deliver_now
):
    contacts = [ContactFactory(account=account) for _ in range(4)]
    services.send_surveys(account=account, contacts=contacts, kind="nps", sender=csm)
    links = [LINK.search(m.body).group(1) for m in mail.outbox]
    for path, score in zip(links, ["10", "9", "3"], strict=False):  # the fourth never answers
        client.post(path, {"score": score})
    client.force_login(team_lead)
    page = client.get("/interactions/surveys/report/?by=csm")
    (row,) = page.context["rows"]
    assert (row.label, row.sent, row.answered, row.response_rate) == (str(csm), 4, 3, 75.0)
    assert row.nps == round(100 * (2 - 1) / 3, 1)
    assert row.csat is None
    csv = b"".join(client.get("/interactions/surveys/answers.csv").streaming_content).decode()
    assert csv.count("\n") == 4 and "Kunde GmbH" in csv
    client.force_login(other_csm)
    assert client.get("/interactions/surveys/report/").context["rows"] == []
    csv = b"".join(client.get("/interactions/surveys/answers.csv").streaming_content).decode()
    assert csv.count("\n") == 1


def _answered(account, kind, score, at):
    contact = ContactFactory(account=account)
    return SurveySend.objects.create(
        account=account,
        contact=contact,
        kind=kind,
        language="en",
        token_hash=f"{contact.pk:064d}",
        queued_at=at,
        expires_at=at + dt.timedelta(days=30),
        answered_at=at,
        score=score,
    )


def test_nps_history_lists_the_last_12_months_per_month(account, django_assert_num_queries):
    from interactions.surveys.selectors import nps_history

    at = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
    for score in (10, 9, 8, 3):
        _answered(account, "nps", score, at)
    _answered(account, "csat", 5, at)
    _answered(account, "csat", 2, at)
    _answered(account, "nps", 0, dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC))
    _answered(account, "nps", 10, dt.datetime(2025, 3, 31, 12, tzinfo=dt.UTC))  # 13th month
    _answered(AccountFactory(), "nps", 10, at)  # another account
    with django_assert_num_queries(2):  # the thresholds, the answers
        months = nps_history(account, today=dt.date(2026, 3, 20)).months
    assert [m.month for m in months] == [dt.date(2026, 3, 1), dt.date(2026, 1, 1)]
    march, january = months
    assert march.nps_scores == [10, 9, 8, 3] and march.nps == 25.0
    assert march.csat_scores == [5, 2] and march.csat == 50.0
    assert january.nps == -100.0 and january.csat is None


def test_the_account_page_shows_the_survey_history(client, account, csm, other_csm):
    _answered(account, "nps", 9, timezone.now())
    client.force_login(csm)
    page = client.get(account.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="de")
    assert b"Umfrageantworten der letzten 12 Monate" in page.content
    assert b'data-testid="survey-history"' in page.content and b"100,0" in page.content
    client.force_login(other_csm)
    assert client.get(account.get_absolute_url()).status_code == 404


def test_an_answer_changed_into_a_detractor_notifies_once(
    client, account, csm, listen, deliver_now
):
    from crm import events

    recorded = listen(events.FeedbackRecorded)
    contact = ContactFactory(account=account)
    _send, path = send_one(account, contact)
    client.post(path, {"score": "8"})  # a passive: nobody told
    assert not InboxItem.objects.filter(kind=InboxItem.Kind.DETRACTOR).exists()
    assert len(recorded) == 1
    client.post(path, {"score": "3", "comment": "Worse now"})
    (item,) = InboxItem.objects.filter(kind=InboxItem.Kind.DETRACTOR)
    (feedback,) = Feedback.objects.filter(account=account)
    assert item.user == csm and item.params["score"] == 3
    assert [e.feedback_id for e in recorded] == [feedback.pk, feedback.pk]
    client.post(path, {"score": "2"})  # stays a detractor: not twice
    assert InboxItem.objects.filter(kind=InboxItem.Kind.DETRACTOR).count() == 1
    assert len(recorded) == 2
