"""The search's selector: words, scope, ranking, bounds; the full-text rules on PostgreSQL."""

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.models import Account, Contact
from interactions.models import Interaction
from interactions.search import selectors
from interactions.search.selectors import Kind, results, search, terms_of

from ...bad_input.nasty import HOSTILE_QUERIES
from ...factories import AccountFactory, ContactFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def titles(found, kind):
    return [hit.title for hit in found[kind].hits] if kind in found else []


def ids(found, kind):
    return {hit.id for hit in found[kind].hits} if kind in found else set()


def test_a_query_is_cut_into_words_and_punctuation_never_reaches_the_database():
    assert terms_of("  Bea@Kranich.example  ") == ["bea", "kranich", "example"]
    assert terms_of("'&|!:*()\x00 <-> \\") == []
    assert terms_of("O'Brien & Söhne, ACME-001") == ["o", "brien", "söhne", "acme", "001"]
    assert terms_of("call call CALL") == ["call"]
    assert len(terms_of(" ".join(f"w{n}" for n in range(50)))) == selectors.MAX_TERMS
    assert terms_of("x" * 10_000) == ["x" * selectors.MAX_QUERY_LENGTH]


def test_a_query_without_words_finds_nothing(searchable, csm):
    assert search(csm, "") == {}
    assert search(csm, " '&|!:*() ") == {}


def test_a_csm_finds_the_rows_of_their_team_and_nothing_of_another(searchable, csm):
    found = search(csm, "kranich")
    assert ids(found, Kind.CONTACT) == {
        searchable["contact"].pk,
        searchable["teammates_contact"].pk,
    }
    assert ids(found, Kind.INTERACTION) == {searchable["call"].pk, searchable["teammates_note"].pk}
    assert ids(search(csm, "Other AG"), Kind.ACCOUNT) == set()
    assert ids(search(csm, "Teammate"), Kind.ACCOUNT) == {searchable["teammates"].pk}


def test_a_team_lead_sees_the_team_and_an_admin_everything(searchable, team_lead, admin_user):
    assert ids(search(team_lead, "kranich"), Kind.CONTACT) == {
        searchable["contact"].pk,
        searchable["teammates_contact"].pk,
    }
    assert ids(search(admin_user, "kranich"), Kind.CONTACT) == {
        searchable["contact"].pk,
        searchable["teammates_contact"].pk,
        searchable["other_contact"].pk,
    }
    assert ids(search(admin_user, "Other AG"), Kind.ACCOUNT) == {searchable["other"].pk}


def test_a_contact_is_found_by_exact_email_first(searchable, csm):
    ContactFactory(account=searchable["mine"], name="Bea Kranich Junior", email="bea@other.example")
    found = search(csm, "bea@kranich.example")
    assert found[Kind.CONTACT].hits[0].id == searchable["contact"].pk
    assert found[Kind.CONTACT].hits[0].url == searchable["contact"].get_absolute_url()
    assert search(csm, "BEA@KRANICH.EXAMPLE")[Kind.CONTACT].hits[0].id == searchable["contact"].pk


def test_an_account_is_found_by_name_or_external_id_and_the_exact_name_ranks_first(csm):
    AccountFactory(name="Nordlicht Logistik GmbH", owner=csm)
    exact = AccountFactory(name="Nordlicht", owner=csm, external_id="ERP-4711")
    AccountFactory(name="Nordlicht Energie AG", owner=csm)
    assert titles(search(csm, "nordlicht"), Kind.ACCOUNT)[0] == "Nordlicht"
    assert titles(search(csm, "Nordlicht"), Kind.ACCOUNT)[1:] == [
        "Nordlicht Energie AG",
        "Nordlicht Logistik GmbH",
    ]
    assert ids(search(csm, "ERP-4711"), Kind.ACCOUNT) == {exact.pk}
    assert ids(search(csm, "erp-4711"), Kind.ACCOUNT) == {exact.pk}


def test_every_word_must_match(searchable, csm):
    assert ids(search(csm, "kranich renewal"), Kind.INTERACTION) == {searchable["call"].pk}
    assert ids(search(csm, "kranich nonsenseword"), Kind.INTERACTION) == set()


def test_a_word_in_the_summary_ranks_above_one_in_the_notes(searchable, csm):
    found = search(csm, "pricing")
    assert [hit.id for hit in found[Kind.INTERACTION].hits] == [
        searchable["call"].pk,  # in its summary, though older
        searchable["teammates_note"].pk,  # in its notes only
    ]


def test_deleted_interactions_are_not_found(searchable, csm):
    searchable["call"].deleted_at = timezone.now()
    searchable["call"].save()
    assert searchable["call"].pk not in ids(search(csm, "renewal"), Kind.INTERACTION)


def test_a_kind_is_paged_and_bounded(monkeypatch, csm):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 4)
    monkeypatch.setattr(selectors, "MAX_HITS", 8)
    names = [f"Kiefer {n:02d}" for n in range(11)]
    for name in names:
        AccountFactory(name=name, owner=csm)
    first = results(csm, "kiefer", kind=Kind.ACCOUNT)
    assert titles(first.found, Kind.ACCOUNT) == names[:4]
    assert first.more_of(Kind.ACCOUNT) == 2 and not first.capped
    second = results(csm, "kiefer", kind=Kind.ACCOUNT, page=2)
    assert titles(second.found, Kind.ACCOUNT) == names[4:8]
    assert second.more_of(Kind.ACCOUNT) is None and second.capped
    assert results(csm, "kiefer", kind=Kind.ACCOUNT, page=99).page == 2
    every = results(csm, "kiefer")
    assert titles(every.found, Kind.ACCOUNT) == names[:4]  # PER_KIND, at most a page
    assert every.more_of(Kind.ACCOUNT) == 1


def test_one_query_per_kind(searchable, csm, django_assert_num_queries):
    assert not csm.is_admin_role  # the role is read once per request
    with django_assert_num_queries(3):
        found = search(csm, "kranich")
        [hit.row.account.name for hit in found[Kind.CONTACT].hits]
        [hit.row.account.name for hit in found[Kind.INTERACTION].hits]
        [str(hit.row.owner) for hit in found[Kind.ACCOUNT].hits]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_queries_answer_without_error(searchable, admin_user, query):
    found = search(admin_user, query)
    assert all(isinstance(result.hits, list) for result in found.values())


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(query=st.text(max_size=300))
def test_any_text_answers_without_error(admin_user, query):
    search(admin_user, query)


# --- PostgreSQL: the full-text search itself ------------------------------------------------

postgres = pytest.mark.postgres


@postgres
def test_german_and_english_words_find_their_other_forms(csm):
    account = AccountFactory(name="Bergblick Verwaltung", owner=csm)
    contract = InteractionFactory(
        account=account,
        author=csm,
        summary="Verlängerung besprochen",
        notes="Die Verträge laufen Ende März aus; sie wollen die Preise vergleichen.",
    )
    english = InteractionFactory(
        account=account, author=csm, summary="Renewals discussed", notes="Companies compared."
    )
    for query in ("Vertrag", "verträge", "Verlängerungen", "Preis Vergleich"):
        assert ids(search(csm, query), Kind.INTERACTION) == {contract.pk}, query
    for query in ("renewal", "company", "comparing"):
        assert ids(search(csm, query), Kind.INTERACTION) == {english.pk}, query


@postgres
def test_a_word_prefix_matches_from_three_letters(csm):
    account = AccountFactory(name="Wasserwerke Kiel", owner=csm)
    assert ids(search(csm, "wass"), Kind.ACCOUNT) == {account.pk}
    assert ids(search(csm, "wa"), Kind.ACCOUNT) == set()  # too short for a prefix
    assert ids(search(csm, "kiel"), Kind.ACCOUNT) == {account.pk}


@postgres
def test_an_email_domain_and_its_parts_find_the_contact(searchable, csm):
    contact = searchable["contact"]
    for query in ("kranich.example", "bea@kranich", "bea kranich"):
        assert contact.pk in ids(search(csm, query), Kind.CONTACT), query


@postgres
def test_the_stored_vector_follows_every_write(csm):
    account = AccountFactory(name="Altname Handel", owner=csm)
    Account.objects.filter(pk=account.pk).update(name="Neuname Handel")  # no save(), no signal
    assert ids(search(csm, "neuname"), Kind.ACCOUNT) == {account.pk}
    assert ids(search(csm, "altname"), Kind.ACCOUNT) == set()


@postgres
def test_huge_notes_save_and_their_first_20000_characters_are_searched(csm):
    account = AccountFactory(owner=csm)
    words = " ".join(f"wort{n}" for n in range(200_000))  # 1.5 MB: more than a tsvector holds
    interaction = InteractionFactory(account=account, author=csm, notes="Anfang " + words)
    assert ids(search(csm, "anfang"), Kind.INTERACTION) == {interaction.pk}
    assert ids(search(csm, "wort199999"), Kind.INTERACTION) == set()


@postgres
@pytest.mark.parametrize(
    "kind, index",
    [
        (Kind.ACCOUNT, "account_search_idx"),
        (Kind.CONTACT, "contact_search_idx"),
        (Kind.INTERACTION, "interaction_search_idx"),
    ],
)
def test_a_rare_word_is_looked_up_in_the_gin_index(admin_user, kind, index):
    account = AccountFactory(name="Kranich Werke")
    Account.objects.bulk_create(Account(name=f"Firma {n}") for n in range(3000))
    Contact.objects.bulk_create(Contact(account=account, name=f"Person {n}") for n in range(3000))
    Interaction.objects.bulk_create(
        Interaction(account=account, author=admin_user, kind="note", summary=f"Routine {n}")
        for n in range(3000)
    )
    ContactFactory(account=account, name="Karl Kranich")
    InteractionFactory(account=account, author=admin_user, summary="Kranich")
    with connection.cursor() as cursor:
        for table in ("customers_account", "customers_contact", "interactions_interaction"):
            cursor.execute(f"ANALYZE {table}")
        # Test tables are small enough to read whole; a book is not.
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = selectors._matching(kind, admin_user, ["kranich"], "kranich").explain()
    assert index in plan, plan
