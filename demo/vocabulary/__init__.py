"""The words of the demo: names of people and companies, industries, and every text it writes
(interaction summaries, notes, problems, feedback comments...), one ``Vocabulary`` per language
(a module per language: ``en``, ``de``).

The story draws a word by its position (``rng.choice``), so the vocabularies of all languages
have the same shape: the same number of entries in every list and the same keys in every
mapping. The same seed then tells the same story in each language, only in other words
(``tests/demo/test_vocabulary.py`` holds them to it).
"""

import functools
import unicodedata
from dataclasses import dataclass, fields

GOOD, MIXED, BAD = "good", "mixed", "bad"  # the tone of what happened; texts are picked by it


@dataclass(frozen=True)
class Vocabulary:
    language: str
    # people
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    team_names: tuple[str, ...]
    # companies
    name_parts_a: tuple[str, ...]
    name_parts_b: tuple[str, ...]
    industries: tuple[tuple[str, tuple[str, ...]], ...]  # (industry, words for company names)
    legal_forms: tuple[str, ...]
    segment_names: dict[str, str]  # segment key (SEGMENTS) → its name
    churn_reasons: dict[str, str]  # churn reason key (the story's) → its name
    # contacts
    decision_maker_titles: dict[str, tuple[str, ...]]  # by segment key
    champion_titles: tuple[str, ...]
    user_titles: tuple[str, ...]
    preferences: tuple[str, ...]
    # what we talk about ({feature}, {dept}, {doc} in the texts)
    features: tuple[str, ...]
    departments: tuple[str, ...]
    documents: tuple[str, ...]
    # the texts
    summaries: dict[tuple[str, str], tuple[str, ...]]  # (interaction kind, tone) → summaries
    notes: dict[str, tuple[str, ...]]  # by tone
    kickoff: str  # the first meeting of a new customer
    onboarding_done: tuple[str, ...]  # the summary of each onboarding step (demo.activity)
    onboarding_todo: tuple[str, ...]  # each step as a promise, while it is ahead
    chased: str  # an unanswered email to an account in trouble
    leaving: dict[str, str]  # the note when a customer says they leave, by churn reason key
    follow_up_titles: tuple[str, ...]
    problems: tuple[tuple[str, str], ...]  # (title, category)
    reported_by: str  # a problem's description, with the contact's {name}
    resolutions: tuple[str, ...]
    feedback_comments: dict[str, tuple[str, ...]]  # by NPS category
    churn_notes: dict[str, str]  # by churn reason key
    csm_reads: dict[str, tuple[str, ...]]  # the owner's own read (green/amber/red), with why
    transfer_reasons: dict[str, str]  # by kind: left, rebalance, team
    transfer_notes: str
    transfer_notes_champion: str  # added to the notes of some handovers
    the_customer: str  # who an interaction names when no contact is at hand


def ascii_name(text: str) -> str:
    """``text`` as lower-case ASCII letters and digits, for user names and email addresses
    ("Jürgen Weiß" → "jurgenweiss")."""
    text = text.replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in text.lower() if ch.isalnum())


@functools.cache
def vocabularies() -> dict[str, Vocabulary]:
    """Every vocabulary, by language code: one module per language, with a constant for each
    field (``FIRST_NAMES``...)."""
    from . import de, en

    made = (
        Vocabulary(**{f.name: getattr(module, f.name.upper()) for f in fields(Vocabulary)})
        for module in (en, de)
    )
    return {words.language: words for words in made}


def vocabulary_for(language: str | None) -> Vocabulary:
    """The vocabulary of ``language`` (a language code such as "de" or "en-gb"); English for a
    language the demo does not speak."""
    known = vocabularies()
    return known.get((language or "").lower().split("-")[0], known["en"])


def shape(vocabulary: Vocabulary) -> dict:
    """What must be equal between two vocabularies for the same seed to tell the same story:
    the length of every list and the keys (and their lengths) of every mapping."""

    def of(value):
        if isinstance(value, dict):
            return {key: of(v) for key, v in value.items()}
        if isinstance(value, tuple):
            if any(isinstance(v, tuple) for v in value):
                return [of(v) for v in value]
            return len(value)
        return None

    return {f.name: of(getattr(vocabulary, f.name)) for f in fields(vocabulary)}
