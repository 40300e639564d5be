"""The public survey link under bad input and abuse (issue 17, "Bad input and abuse"): a score
off the scale, a long or hostile comment, a replayed, forged or cross-site request, a flood from
one address, an answer after expiry, unsubscribing, changing an answer while the link lives.
Each gets a clear answer, and nothing is stored that should not be."""

import datetime as dt

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.models import InboxItem
from interactions.models import Feedback, SurveySend
from interactions.surveys import services
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.SURVEY_COMPANY_NAME = "Beispiel AG"
    settings.SURVEY_RATE_LIMIT = 30
    settings.TRUSTED_PROXY_COUNT = 0
    cache.clear()
    with time_machine.travel(NOW, tick=False) as clock:
        yield clock
    cache.clear()


@pytest.fixture
def account(csm):
    return AccountFactory(owner=csm, name="Kunde GmbH")


def link_for(account, *, kind="nps", language="en", contact=None):
    """A survey sent to a contact of ``account`` now, and the path of its personal link."""
    token, digest = services.new_token()
    send = SurveySend.objects.create(
        account=account,
        contact=contact or ContactFactory(account=account, name="Bea Boss"),
        kind=kind,
        language=language,
        token_hash=digest,
        expires_at=timezone.now() + dt.timedelta(days=services.link_days()),
    )
    return send, reverse("survey_answer", args=[token])


def nothing_answered():
    return (
        not Feedback.objects.exists()
        and not SurveySend.objects.filter(answered_at__isnull=False).exists()
        and not InboxItem.objects.exists()
    )


@pytest.mark.parametrize(
    ("kind", "score"),
    [
        ("nps", "11"),
        ("nps", "-1"),
        ("nps", "+3"),  # int() takes a sign
        ("nps", "٣"),  # and other scripts' digits
        ("nps", "3_0"),  # and underscores
        ("nps", "3.0"),
        ("nps", ""),
        ("nps", "9" * 5000),
        ("csat", "0"),
        ("csat", "6"),
    ],
)
def test_a_score_off_the_scale_is_refused_with_a_message(client, account, kind, score):
    _send, path = link_for(account, kind=kind)
    response = client.post(path, {"score": score})
    assert response.status_code == 400
    low, high = (0, 10) if kind == "nps" else (1, 5)
    assert f"Choose a number from {low} to {high}." in response.content.decode()
    assert nothing_answered()


def test_the_message_is_in_the_contacts_language(client, account):
    _send, path = link_for(account, language="de")
    response = client.post(path, {"score": "11"})
    assert "Wählen Sie eine Zahl von 0 bis 10." in response.content.decode()


@pytest.mark.parametrize(
    ("comment", "message"),
    [
        ("x" * 5001, "A comment has at most 5000 characters."),
        ("fine\x00then", "Null characters are not allowed."),  # PostgreSQL cannot store it
    ],
)
def test_a_comment_too_long_or_with_a_nul_is_refused(client, account, comment, message):
    _send, path = link_for(account)
    response = client.post(path, {"score": "5", "comment": comment})
    assert response.status_code == 400 and message in response.content.decode()
    assert response.content.count(b"x") < 5001 + 2000  # the form shows at most 5,000 back
    assert nothing_answered()


def test_a_body_over_the_upload_limit_is_refused_before_it_is_read(client, account, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    _send, path = link_for(account)
    response = client.post(path, {"score": "5", "comment": "x" * 200_000})
    assert response.status_code == 400
    assert nothing_answered()


def test_markup_in_a_comment_comes_back_as_text(client, account):
    _send, path = link_for(account)
    response = client.post(path, {"score": "", "comment": "<script>alert(1)</script>"})
    assert b"<script>alert" not in response.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content


def test_a_replayed_answer_adds_nothing(client, account, csm):
    send, path = link_for(account)
    for _ in range(3):
        assert client.post(path, {"score": "2", "comment": "Slow"}).status_code == 200
    (feedback,) = Feedback.objects.filter(account=account)
    assert feedback.score == 2
    assert InboxItem.objects.filter(user=csm, kind=InboxItem.Kind.DETRACTOR).count() == 1
    send.refresh_from_db()
    assert (send.score, send.comment, send.feedback) == (2, "Slow", feedback)


def test_only_the_answer_is_taken_from_the_form(client, account):
    send, path = link_for(account)
    other = AccountFactory()
    client.post(
        path,
        {
            "score": "9",
            "kind": "csat",
            "account": other.pk,
            "contact": ContactFactory(account=other).pk,
            "expires_at": "2099-01-01",
            "answered_at": "2000-01-01",
        },
    )
    send.refresh_from_db()
    assert (send.kind, send.account, send.score) == ("nps", account, 9)
    assert send.answered_at == NOW and send.expires_at == NOW + dt.timedelta(days=30)
    assert not Feedback.objects.filter(account=other).exists()


def test_forged_unknown_and_stolen_hash_links_reveal_nothing(client, account):
    send, path = link_for(account)
    token = path.split("/")[2]
    forged = [
        token[:-1] + ("A" if token[-1] != "A" else "B"),  # one character changed
        send.token_hash,  # the stored hash is no key
        token.upper(),
        token + "x",
        "x" * 5000,
        "%00",
        "nothing",
    ]
    pages = []
    for other in forged:
        url = f"/s/{other}/"
        pages += [client.get(url), client.get(url + "?unsubscribe=1")]
        pages += [client.post(url, {"score": "3"}), client.post(url, {"unsubscribe": "1"})]
    assert {p.status_code for p in pages} == {404}
    assert len({p.content for p in pages}) == 1
    html = pages[0].content.decode()
    for secret in ("Kunde GmbH", "Bea Boss", send.contact.email, "expired", "unknown"):
        assert secret not in html
    assert nothing_answered()
    send.contact.refresh_from_db()
    assert send.contact.surveys_unsubscribed_at is None


def test_a_cross_site_post_is_refused(account):
    """A page elsewhere that posts to a contact's link (whoever learnt it) needs our CSRF
    token, which only the link's own page hands out."""
    _send, path = link_for(account)
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(path, {"score": "0"}).status_code == 403
    assert browser.post(path, {"unsubscribe": "1"}).status_code == 403
    assert nothing_answered()
    token = browser.get(path).context["csrf_token"]
    assert browser.post(path, {"score": "10", "csrfmiddlewaretoken": token}).status_code == 200


def test_a_thousand_requests_from_one_address_are_cut_off_at_the_limit(client, account):
    send, path = link_for(account)
    codes = [
        client.post(path, {"score": str(n % 11)}, REMOTE_ADDR="198.51.100.7").status_code
        for n in range(1000)
    ]
    assert codes == [200] * 30 + [429] * 970
    send.refresh_from_db()
    assert send.score == 29 % 11  # the last answer let through
    assert Feedback.objects.count() == 1
    limited = client.get(path, REMOTE_ADDR="198.51.100.7")
    assert limited.status_code == 429 and b'name="score"' not in limited.content
    assert client.get("/s/nothing/", REMOTE_ADDR="198.51.100.7").content == limited.content
    assert client.get(path, REMOTE_ADDR="198.51.100.8").status_code == 200  # another address


def test_the_limit_counts_the_client_behind_our_proxy_not_the_proxy(client, account, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.SURVEY_RATE_LIMIT = 5
    _send, path = link_for(account)

    def get(forwarded):
        return client.get(path, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)

    assert [get("203.0.113.1").status_code for _ in range(6)] == [200] * 5 + [429]
    assert get("203.0.113.2").status_code == 200  # another customer behind the same proxy
    assert get("1.2.3.4, 203.0.113.1").status_code == 429  # a made-up left part changes nothing


def test_the_answer_may_change_while_the_link_lives_and_not_after(client, account, _setup):
    send, path = link_for(account)
    assert client.post(path, {"score": "3", "comment": "Slow"}).status_code == 200
    _setup.shift(dt.timedelta(days=29, hours=23))
    assert client.post(path, {"score": "9", "comment": "Better now"}).status_code == 200
    (feedback,) = Feedback.objects.filter(account=account)
    assert feedback.score == 9 and "Better now" in feedback.comment

    _setup.shift(dt.timedelta(hours=1))  # 30 days: the link has expired
    late = client.post(path, {"score": "0", "comment": "Too late"})
    assert late.status_code == 404 and late.content == client.get("/s/nothing/").content
    feedback.refresh_from_db()
    send.refresh_from_db()
    assert (feedback.score, send.score, send.comment) == (9, 9, "Better now")
    with pytest.raises(services.ValidationError, match="expired"):
        services.answer(send=send, score=1)


def test_unsubscribing_takes_a_post_once_and_leaves_the_answer_open(client, account):
    send, path = link_for(account)
    contact = send.contact
    page = client.get(path + "?unsubscribe=1")  # a mail scanner opening the link
    assert b"No more surveys?" in page.content
    contact.refresh_from_db()
    assert contact.surveys_unsubscribed_at is None
    assert client.post(path, {"unsubscribe": "1"}).status_code == 200
    contact.refresh_from_db()
    first = contact.surveys_unsubscribed_at
    assert first == NOW
    with time_machine.travel(NOW + dt.timedelta(days=2), tick=False):
        client.post(path, {"unsubscribe": "1"})
    contact.refresh_from_db()
    assert contact.surveys_unsubscribed_at == first
    assert client.post(path, {"score": "8"}).status_code == 200  # the answer still counts
    result = services.send_surveys(account=account, contacts=[contact], kind="csat")
    assert result.skipped_counts == {"unsubscribed": 1} and not result.queued


def test_a_visitor_leaves_no_session_and_no_trace(client, account):
    send, path = link_for(account)
    client.get(path)
    client.get("/s/nothing/")
    client.post(path, {"score": "99"})
    client.get(path + "?unsubscribe=1")
    assert not Session.objects.exists()
    assert nothing_answered()
    before = send.contact.__dict__.copy()
    send.contact.refresh_from_db()
    assert send.contact.surveys_unsubscribed_at == before["surveys_unsubscribed_at"]
    send.refresh_from_db()
    assert (send.score, send.comment, send.answered_at) == (None, "", None)
