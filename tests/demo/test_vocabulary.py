import pytest

from demo.vocabulary import ascii_name, shape, vocabularies, vocabulary_for


def test_every_vocabulary_has_the_shape_of_the_english_one():
    # The story draws words by position: another shape would tell another story.
    english = shape(vocabularies()["en"])
    for language, words in vocabularies().items():
        assert shape(words) == english, language


@pytest.mark.parametrize("language", ["en", "de"])
def test_names_of_people_are_distinct_so_a_redraw_happens_at_the_same_place(language):
    words = vocabularies()[language]
    assert len(set(words.first_names)) == len(words.first_names)
    assert len(set(words.last_names)) == len(words.last_names)
    assert len(set(words.team_names)) == len(words.team_names)


@pytest.mark.parametrize(
    ("code", "expected"),
    [("de", "de"), ("de-at", "de"), ("DE", "de"), ("en", "en"), ("en-gb", "en"), ("fr", "en")],
)
def test_the_installations_language_picks_the_vocabulary(code, expected):
    assert vocabulary_for(code).language == expected


def test_the_german_vocabulary_is_german():
    german, english = vocabularies()["de"], vocabularies()["en"]

    assert german.segment_names["Mid-market"] == "Mittelstand"
    assert "Spedition" in dict(german.industries)["Logistik"]
    assert not set(german.legal_forms) & {"Ltd", "Inc.", "LLC"}
    assert not set(english.legal_forms) & {"GmbH", "AG", "KG"}
    assert german.summaries[("call", "good")][0].startswith("Kurzer Austausch mit")


def test_names_become_ascii_for_user_names_and_addresses():
    assert ascii_name("Jürgen Weiß") == "jurgenweiss"
    assert ascii_name("O'Brien") == "obrien"
    assert ascii_name("Lucía") == "lucia"
