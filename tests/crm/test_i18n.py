"""German and English: the ``de`` catalogue is complete and compiled, the main pages render in
German with nothing of the English catalogue left, what the scoring stored (health reasons,
guard notes, flag explanations, as message ids and parameters) is worded in the reader's
language while older stored text is shown as it is, and money is formatted per locale."""

import datetime as dt
import html
import re
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from babel.messages.pofile import read_po
from django.conf import settings
from django.core import mail
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from crm.i18n import format_money
from interactions.services import update_interaction
from retention import digest
from retention.health.wording import MESSAGES, message, word
from tests.factories import (
    ContactFactory,
    FeedbackFactory,
    FollowUpFactory,
    HealthScoreFactory,
    InteractionFactory,
    OpenProblemFactory,
    RiskFlagFactory,
    make_customer,
)

LOCALE = Path(settings.LOCALE_PATHS[0])
PO = LOCALE / "de" / "LC_MESSAGES" / "django.po"
MO = LOCALE / "de" / "LC_MESSAGES" / "django.mo"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%")


def _catalogue():
    with PO.open("rb") as f:
        return [m for m in read_po(f, locale="de") if m.id]


def _forms(message) -> list[str]:
    return list(message.string) if isinstance(message.id, tuple) else [message.string]


# --- the catalogue ------------------------------------------------------------------------


def test_every_entry_of_the_german_catalogue_is_translated_and_none_is_fuzzy():
    messages = _catalogue()
    assert len(messages) > 900
    untranslated = [m.id for m in messages if not all(_forms(m))]
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_translations_keep_the_placeholders_of_their_msgid():
    wrong = []
    for m in _catalogue():
        ids = list(m.id) if isinstance(m.id, tuple) else [m.id]
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for form in _forms(m):
            if not set(PLACEHOLDER.findall(form)) <= wanted | set(PLACEHOLDER.findall(ids[0])):
                wrong.append((m.id, form))
        # the plural form (and a singular without a count of its own) keeps every placeholder
        if not set(PLACEHOLDER.findall(_forms(m)[-1])) >= wanted - {"%%"}:
            wrong.append((m.id, _forms(m)[-1]))
    assert wrong == []


def test_the_compiled_catalogue_matches_the_po_file():
    """The .mo Django loads says what the .po says (a stale .mo fails here)."""
    assert MO.exists()
    stale = []
    with translation.override("de"):
        for m in _catalogue():
            if isinstance(m.id, tuple):
                got = [translation.ngettext(m.id[0], m.id[1], n) for n in (1, 2)]
                if m.context:
                    got = [translation.npgettext(m.context, m.id[0], m.id[1], n) for n in (1, 2)]
                if got != list(m.string):
                    stale.append(m.id)
            else:
                got = (
                    translation.pgettext(m.context, m.id)
                    if m.context
                    else translation.gettext(m.id)
                )
                if got != m.string:
                    stale.append(m.id)
    assert stale == []


def test_both_languages_are_offered():
    assert [code for code, _name in settings.LANGUAGES] == ["en", "de"]


# --- the pages in German ------------------------------------------------------------------


@pytest.fixture
def book(csm, team_lead):
    """One customer of Carla's with something in every panel of its pages."""
    account = make_customer(
        owner=csm, team=csm.team, name="Brightline GmbH", monthly_value=Decimal("1234.50")
    )
    champion = ContactFactory(account=account, name="Mia Meyer", is_champion=True)
    interaction = InteractionFactory(account=account, author=csm)
    interaction.contacts.add(champion)
    # edited once, so its page lists the earlier version and what changed
    update_interaction(interaction=interaction, notes="Budget talk moved to May")
    FollowUpFactory(account=account, owner=csm, due_on=timezone.localdate())
    OpenProblemFactory(account=account)
    FeedbackFactory(account=account, contact=champion)
    HealthScoreFactory(
        account=account,
        score=40,
        band="red",
        measures={
            "engagement": {
                "rating": "poor",
                "value": 47,
                "points": 0,
                "weight": 25,
                "impact": -18,
                "message": {"id": "no_meeting", "days": 47, "cadence": 30},
            }
        },
        guards=[{"id": "on_watch", "days": 12}],
    )
    RiskFlagFactory(
        account=account,
        reason="renewal_at_risk",
        explanation_message={
            "id": "renewal_at_risk",
            "day": "2026-12-01",
            "days": 40,
            "state": {"id": "band_state", "band": "red", "score": 40},
        },
    )
    return account


def _pages(account) -> dict[str, str]:
    return {
        "portfolio": reverse("retention:portfolio"),
        "account page": account.get_absolute_url(),
        "brief": reverse("interactions:brief", args=[account.pk]),
        "accounts list": reverse("customers:account_list"),
        "team dashboard": reverse("retention:team_dashboard"),
        "at-risk list": reverse("retention:at_risk"),
        "handovers": reverse("customers:handover_list"),
        "log form": reverse("interactions:log") + f"?account={account.pk}",
        "retention report": reverse("retention:report"),
        "edited interaction": account.interactions.get().get_absolute_url(),
        "search": reverse("search:search"),
        "search results": reverse("search:search") + f"?q={account.name.split()[0]}",
        "search, one kind": reverse("search:search") + "?q=zzyzx&kind=contact",
    }


def _text(response) -> str:
    assert response.status_code == 200, response
    return html.unescape(response.content.decode())


def _english_msgids() -> set[str]:
    """Msgids without placeholders that German words differently."""
    found = set()
    for m in _catalogue():
        msgid = m.id[0] if isinstance(m.id, tuple) else m.id
        if "%" not in msgid and "<" not in msgid and _forms(m)[0] != msgid:
            found.add(msgid)
    return found


def _english_phrases() -> list[str]:
    """The msgids of a few words or more: found anywhere in a page, they were left untranslated."""
    return [msgid for msgid in _english_msgids() if len(msgid.split()) >= 3]


TEXT_NODE = re.compile(r">([^<>]+)<")
ATTRIBUTE = re.compile(r'\b(?:title|placeholder|aria-label|data-label)="([^"]*)"')
# The language menu names each language in its own words ("English" on a German page).
OWN_NAMES = {translation.get_language_info(code)["name_local"] for code, _n in settings.LANGUAGES}


def _strings(page: str) -> set[str]:
    """What a page says in its text nodes and labelling attributes, one string each."""
    page = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S)
    found = {s.strip() for s in TEXT_NODE.findall(page)} | set(ATTRIBUTE.findall(page))
    return {html.unescape(s).strip() for s in found if s.strip()}


def _left_in_english(client, user, url: str) -> tuple[list[str], str]:
    """What the English page says from the catalogue that the German page still says: a
    phrase anywhere, or a whole text node or label (a column head, a button)."""
    client.force_login(user)
    user.language = "en"
    user.save(update_fields=["language"])
    english_page = client.get(url)
    user.language = "de"
    user.save(update_fields=["language"])
    german_page = client.get(url)
    english, german = _text(english_page), _text(german_page)
    left = [p for p in _english_phrases() if p in english and p in german]
    msgids = _english_msgids()
    english_strings = _strings(english_page.content.decode())
    german_strings = _strings(german_page.content.decode())
    left += sorted(s for s in german_strings & english_strings - OWN_NAMES if s in msgids)
    return left, german


@pytest.mark.django_db
def test_the_main_pages_render_in_german_with_no_english_phrase_left(client, book, team_lead):
    assert len(_english_phrases()) > 200
    for name, url in _pages(book).items():
        left, _german = _left_in_english(client, team_lead, url)
        assert left == [], name


@pytest.mark.django_db
def test_the_admin_index_and_the_login_page_render_in_german(client, admin_user):
    left, german = _left_in_english(client, admin_user, reverse("admin:index"))
    assert left == []
    assert "Massenimport" in german and "CSV importieren" in german
    client.logout()
    english = _text(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en"))
    login = _text(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="de"))
    assert "Sign in to Treue" in english
    assert "Bei Treue anmelden" in login and "Sign in to Treue" not in login
    assert '<html lang="de">' in login


@pytest.mark.django_db
def test_an_edited_interaction_names_its_changed_fields_in_german(client, book, csm):
    csm.language = "de"
    csm.save(update_fields=["language"])
    client.force_login(csm)
    page = _text(client.get(book.interactions.get().get_absolute_url()))
    assert "Frühere Versionen" in page
    assert "geändert: Notizen" in page and "changed: notes" not in page


@pytest.mark.django_db
def test_the_at_risk_filters_word_their_day_choices_in_german(client, book, csm):
    csm.language = "de"
    csm.save(update_fields=["language"])
    client.force_login(csm)
    page = _text(client.get(reverse("retention:at_risk")))
    assert ">30 Tage<" in page and ">7+ Tage<" in page
    assert "30 days" not in page


@pytest.mark.django_db
def test_the_account_page_shows_money_dates_and_stored_reasons_in_german(client, book, csm):
    csm.language = "de"
    csm.save(update_fields=["language"])
    client.force_login(csm)
    page = _text(client.get(book.get_absolute_url()))
    assert "1.235\xa0€" in page  # the MRR, in whole euros
    assert "1.234,50\xa0€" in page  # the contract's monthly value
    assert "kein Meeting oder Telefonat seit 47 Tagen (erwartet alle 30)" in page
    assert "unter Beobachtung: die Betreuung hat vor 12 Tagen gewechselt" in page
    assert (
        "Verlängerung am 01.12.2026 (in 40 Tagen) ist nicht bestätigt und der Account ist rot "
        "(Score 40)"
    ) in page
    today = timezone.localdate()
    assert f"{today:%d.%m.%Y}" in page


@pytest.mark.django_db
def test_the_account_page_in_english_words_the_same_stored_reasons_in_english(client, book, csm):
    client.force_login(csm)
    page = _text(client.get(book.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en"))
    assert "€1,235" in page and "€1,234.50" in page
    assert "no meeting or call for 47 days (expected every 30)" in page
    assert "on watch: the owner changed 12 days ago" in page
    assert "renewal on 1 Dec 2026 (in 40 days) is not confirmed and the account is red" in page
    assert "Tagen" not in page


@pytest.mark.django_db
def test_text_stored_before_messages_is_shown_as_stored_on_a_german_page(client, book, csm):
    """Older rows hold the sentence the scoring wrote then: shown as it is, never parsed."""
    old = "renewal on 2026-12-01 (in 40 days) is not confirmed and the account is red (score 40)"
    RiskFlagFactory(account=book, reason="owner_changed", explanation=old)
    book.health_scores.update(
        measures={"engagement": {"impact": -18, "explanation": "no meeting for 47 days"}},
        guards=["on watch: the owner changed 12 days ago"],
    )
    csm.language = "de"
    csm.save(update_fields=["language"])
    client.force_login(csm)
    page = _text(client.get(book.get_absolute_url()))
    assert old in page
    assert "no meeting for 47 days" in page
    assert "on watch: the owner changed 12 days ago" in page


@pytest.mark.django_db
def test_an_interaction_can_be_logged_from_the_german_form(client, book, csm):
    csm.language = "de"
    csm.save(update_fields=["language"])
    client.force_login(csm)
    response = client.post(
        reverse("interactions:log"),
        {
            "account": book.pk,
            "kind": "call",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "summary": "Verlängerung besprochen",
            "follow_up_title": "Angebot schicken",
            "follow_up_due": (timezone.localdate() + dt.timedelta(days=7)).isoformat(),
        },
    )
    assert response.status_code in (200, 302)
    assert book.interactions.filter(summary="Verlängerung besprochen").exists()
    assert book.follow_ups.filter(title="Angebot schicken").exists()


# --- what the scoring stored, worded when read --------------------------------------------


def test_the_same_stored_reason_reads_in_english_and_in_german():
    stored = {"id": "no_meeting", "days": 47, "cadence": 30}
    with translation.override("en"):
        assert word(stored) == "no meeting or call for 47 days (expected every 30)"
    with translation.override("de"):
        assert word(stored) == "kein Meeting oder Telefonat seit 47 Tagen (erwartet alle 30)"


def test_a_date_parameter_is_written_in_the_readers_date_format():
    stored = {"id": "notice", "day": "2026-03-01"}
    with translation.override("en"):
        assert word(stored) == "notice given on 1 Mar 2026"
    with translation.override("de"):
        assert word(stored) == "Kündigung eingegangen am 01.03.2026"


def test_money_bands_and_nested_reasons_are_worded_for_the_reader():
    red = {
        "id": "entered_red",
        "score": 36,
        "yellow": 51,
        "reasons": [
            {"impact": -18, "message": {"id": "no_meeting", "days": 200, "cadence": 30}},
            {"impact": -12, "message": {"id": "sentiment_read", "sentiment": "red", "days": 3}},
        ],
    }
    downgrade = {"id": "downgrade", "then": "1200.00", "now": "800.50", "days": 90}
    with translation.override("de"):
        assert word(red) == (
            "Score 36 ist rot (unter 51): -18: kein Meeting oder Telefonat seit 200 Tagen "
            "(erwartet alle 30); -12: der CSM schätzt den Account als rot ein (vor 3 Tagen)"
        )
        assert word(downgrade) == (
            "MRR innerhalb von 90 Tagen von 1.200,00\xa0€ auf 800,50\xa0€ gesunken"
        )
    with translation.override("en"):
        assert word(downgrade) == "MRR down from €1,200.00 to €800.50 within 90 days"


def test_the_plural_form_follows_the_stored_count():
    one = {"id": "open_problems", "n": 1, "high": 1, "days": 12}
    three = {"id": "open_problems", "n": 3, "high": 0, "days": 40}
    with translation.override("de"):
        assert word(one) == "1 offenes Problem: 1 mit hohem Schweregrad, 12 Tage alt"
        assert word(three) == "3 offene Probleme: 0 mit hohem Schweregrad, das älteste 40 Tage alt"
        assert word({"id": "on_watch", "days": 1}) == (
            "unter Beobachtung: die Betreuung hat vor 1 Tag gewechselt"
        )
    with translation.override("en"):
        assert word({"id": "on_watch", "days": 1}) == "on watch: the owner changed 1 day ago"


def test_stored_text_and_a_persons_words_are_shown_as_they_are():
    with translation.override("de"):
        assert word("no meeting or call for 47 days (expected every 30)") == (
            "no meeting or call for 47 days (expected every 30)"
        )
        assert word("Called Mia, all good") == "Called Mia, all good"
        assert word("") == ""
        snoozed = {"id": "snoozed", "day": "2026-05-04", "reason": "<b>budget</b> 47 days"}
        assert word(snoozed) == "bis 04.05.2026: <b>budget</b> 47 days"


EXAMPLES = {
    "date": "2026-03-01",
    "money": "1234.50",
    "text": "NPS",
    "band": "red",
    "reading": "amber",
    "tone": "negative",
    "category": "detractor",
    "contact": "not_met",
    "measures": ["relationship"],
    "message": {"id": "no_score"},
    "costs": [{"impact": -18, "message": {"id": "no_contacts"}}],
}
# Every parameter name a message has (a new one must be added here).
PARAMETERS = [
    "days",
    "cadence",
    "sentiment",
    "n",
    "high",
    "day",
    "champion",
    "dm",
    "colleagues",
    "kind",
    "score",
    "category",
    "then",
    "now",
    "factor",
    "measures",
    "band",
    "yellow",
    "reasons",
    "drop",
    "peak",
    "state",
    "reason",
]


@pytest.mark.parametrize("message_id", sorted(MESSAGES))
@pytest.mark.parametrize("count", [1, 3])
def test_every_message_is_worded_in_german(message_id, count):
    """Each id words in German (both plural forms), with every word it holds translated."""
    kinds = MESSAGES[message_id].kinds
    stored = {"id": message_id}
    stored |= {name: EXAMPLES.get(kinds.get(name), count) for name in PARAMETERS}
    with translation.override("en"):
        english = word(stored)
    with translation.override("de"):
        german = word(stored)
    assert message_id not in (english, german)  # worded, with every parameter it needs
    assert german != english


def test_a_message_is_made_only_with_an_id_that_is_worded():
    assert message("notice", day=dt.date(2026, 3, 1)) == {"id": "notice", "day": "2026-03-01"}
    with pytest.raises(KeyError):
        message("no_such_message", days=3)
    with translation.override("de"):
        # an id this version does not know (another version's): shown by its id
        assert word({"id": "no_such_message", "days": 3}) == "no_such_message"


# --- the digest ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_daily_digest_is_written_in_the_owners_language(csm):
    csm.language = "de"
    csm.save(update_fields=["language"])
    RiskFlagFactory(
        account=make_customer(owner=csm, name="Brightline GmbH"),
        explanation_message={"id": "champion_left", "day": "2026-03-01", "days": 10},
    )
    assert digest.send_digest(user_id=csm.pk, day=dt.date(2026, 3, 11))
    (message,) = mail.outbox
    assert message.subject == "Treue: Ihr Tag, 11.03.2026"
    assert "Hallo Carla," in message.body
    assert "der Champion ist am 01.03.2026 ausgeschieden (vor 10 Tagen)" in message.body


# --- money --------------------------------------------------------------------------------


def test_money_is_formatted_for_the_active_language():
    amount = Decimal("1234.5")
    with translation.override("de"):
        assert format_money(amount) == "1.234,50\xa0€"
        assert format_money(amount, digits=0) == "1.235\xa0€"
    with translation.override("en"):
        assert format_money(amount) == "€1,234.50"
        assert format_money(amount, digits=0) == "€1,235"
        assert format_money(None) == ""


def test_money_is_what_babel_writes_though_its_formats_are_built_once_per_language():
    # format_money keeps babel's parsed locale and pattern (issue 18): same text as babel's own
    # format_currency, for every language, rounding and sign.
    from babel.numbers import format_currency

    for language, locale in (("de", "de"), ("en", "en")):
        with translation.override(language):
            for amount in (Decimal("0"), Decimal("-1234.5"), Decimal("999999.995"), 7):
                assert format_money(amount) == format_currency(amount, "EUR", locale=locale)
                assert format_money(amount, currency="USD") == format_currency(
                    amount, "USD", locale=locale
                )
            assert format_money(Decimal("1234.567"), digits=1) == (
                "1.234,6\xa0€" if language == "de" else "€1,234.6"
            )
    with translation.override("xx"):  # a language babel does not know: English
        assert format_money(Decimal("1234.5")) == "€1,234.50"


def test_the_money_filter_uses_the_installations_currency(settings):
    settings.CURRENCY = "CHF"
    template = Template("{% load treue %}{{ amount|money }} / {{ amount|money:0 }}")
    with translation.override("de"):
        text = template.render(Context({"amount": Decimal("-1234.50")}))
    assert text == "-1.234,50\xa0CHF / -1.235\xa0CHF"


# --- one date format per language, and German words ---------------------------------------


def _as(client, user, language):
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, on_day, since",
    [("en", "31 Oct 2026", "1 Feb 2025"), ("de", "31.10.2026", "01.02.2025")],
)
def test_the_report_and_its_drill_down_write_dates_in_the_languages_one_format(
    client, team_lead, csm, language, on_day, since
):
    make_customer(owner=csm, team=csm.team, name="Brightline GmbH", since=dt.date(2025, 2, 1))
    _as(client, team_lead, language)
    report = _text(client.get(reverse("retention:report"), {"period": "2026-11"}))
    accounts = _text(
        client.get(
            reverse("retention:report_accounts"),
            {"start": "2026-11-01", "end": "2026-11-30", "set": "start"},
        )
    )
    assert on_day in report  # "customers on …": the day before the period
    assert "10/31/2026" not in report and "2026-10-31" not in report
    assert since in accounts and "02/01/2025" not in accounts and "2025-02-01" not in accounts


@pytest.mark.django_db
def test_a_custom_period_is_titled_in_the_readers_date_format(client, team_lead):
    _as(client, team_lead, "de")
    page = _text(
        client.get(reverse("retention:report"), {"start": "2026-01-05", "end": "2026-02-10"})
    )
    assert "05.01.2026 – 10.02.2026" in page and "2026-01-05 – 2026-02-10" not in page
    labels = [
        " ".join(re.sub("<[^>]+>", "", label).split())
        for label in re.findall(r"<label[^>]*>.*?</label>", page, re.S)
    ]
    assert "oder von" in labels and "bis" in labels and "an" not in labels  # von … bis


def _log_call_with_follow_up(client, account, *, due: str):
    """The log form sent with a follow-up "Angebot schicken" due on ``due`` as typed."""
    return client.post(
        reverse("interactions:log"),
        {
            "account": account.pk,
            "kind": "call",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "summary": "Verlängerung besprochen",
            "follow_up_title": "Angebot schicken",
            "follow_up_due": due,
        },
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, typed, due",
    [
        ("de", "15.12.2026", dt.date(2026, 12, 15)),
        ("de", "2026-12-15", dt.date(2026, 12, 15)),
        ("en", "15 Dec 2026", dt.date(2026, 12, 15)),
    ],
)
def test_a_follow_up_date_is_read_as_the_language_types_it(client, book, csm, language, typed, due):
    _as(client, csm, language)
    with time_machine.travel(dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC), tick=False):
        response = _log_call_with_follow_up(client, book, due=typed)
    assert response.status_code == 302
    assert book.follow_ups.get(title="Angebot schicken").due_on == due


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, error, wrong",
    [
        ("de", "Bitte ein gültiges Datum eingeben.", "Wann ist es fällig?"),
        ("en", "Enter a valid date.", "When is it due?"),
    ],
)
def test_a_day_that_does_not_exist_is_not_a_date(client, book, csm, language, error, wrong):
    _as(client, csm, language)
    page = _text(_log_call_with_follow_up(client, book, due="31.02.2026"))
    assert error in page and wrong not in page
    assert 'value="31.02.2026"' in page  # what they typed, to correct
    assert not book.follow_ups.filter(title="Angebot schicken").exists()


@pytest.mark.django_db
def test_a_date_field_shows_its_day_in_the_languages_format(client, book, csm):
    FollowUpFactory(account=book, owner=csm, due_on=dt.date(2026, 10, 31), title="Offer")
    follow_up = book.follow_ups.get(title="Offer")
    for language, shown in (("de", 'value="31.10.2026"'), ("en", 'value="31 Oct 2026"')):
        _as(client, csm, language)
        page = _text(client.get(reverse("interactions:follow_up_edit", args=[follow_up.pk])))
        assert shown in page, language


@pytest.mark.django_db
def test_german_pages_capitalise_nouns_and_say_gesundheitswert(
    client, csm, health_waits_for_the_night
):
    account = make_customer(owner=csm, team=csm.team, name="Brightline GmbH")
    ContactFactory(account=account, name="Mia Meyer", preferred_channel="phone")
    _as(client, csm, "de")
    page = _text(client.get(account.get_absolute_url()))
    assert "bevorzugt: Telefon" in page and "telefon" not in page
    english_terms = [
        form for m in _catalogue() for form in _forms(m) if re.search(r"Health.?Score", form)
    ]
    assert english_terms == []
    with translation.override("de"):
        assert translation.gettext("No health score yet.") == "Noch kein Gesundheitswert."


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, expected, wrong",
    [
        ("de", ["vor 3 Tagen", "vor 2 Wochen", "vor 4 Monaten", "heute"], "her"),
        ("en", ["3 days ago", "2 weeks ago", "4 months ago", "today"], "hours"),
    ],
)
def test_the_last_contact_column_says_how_long_ago_in_one_style(
    client, csm, language, expected, wrong
):
    now = timezone.now()
    for name, days in (("A", 3), ("B", 15), ("C", 125), ("D", 0)):
        make_customer(
            owner=csm,
            team=csm.team,
            name=f"{name} GmbH",
            last_meeting_or_call_at=now - dt.timedelta(days=days, minutes=5),
        )
    _as(client, csm, language)
    page = _text(client.get(reverse("retention:portfolio")))
    column = re.findall(r'data-label="(?:Last contact|Letzter Kontakt)"[^>]*>([^<]*)<', page)
    assert sorted(c.strip() for c in column) == sorted(expected)
    assert not any(wrong in c for c in column)


def test_a_record_counts_as_edited_only_when_saved_more_than_a_minute_after_it_was_made():
    # The timeline's "edited" pill: the same rule as comparing both moments as |date:"U".
    from types import SimpleNamespace

    from crm.templatetags.treue import edited

    made = dt.datetime(2026, 3, 29, 0, 59, 30, 900_000, tzinfo=dt.UTC)
    template = Template(
        '{% load i18n %}{% if obj.updated_at|date:"U"|add:0 > obj.created_at|date:"U"|add:60 %}'
        "yes{% endif %}"
    )
    for seconds in (0, 59.5, 60, 60.2, 60.9, 61, 3600):
        record = SimpleNamespace(created_at=made, updated_at=made + dt.timedelta(seconds=seconds))
        assert edited(record) == (template.render(Context({"obj": record})) == "yes"), seconds
    assert edited(SimpleNamespace(created_at=made, updated_at=None)) is False
    assert edited(SimpleNamespace(created_at=made, updated_at=made + dt.timedelta(minutes=2)))
