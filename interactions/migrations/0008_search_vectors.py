"""The global search's vectors (``interactions.search.selectors``), on PostgreSQL only.

Each searched table gets a stored generated column ``search_vector`` and a GIN index on it:
PostgreSQL computes the vector on every INSERT and UPDATE, whoever writes (forms, API,
imports, the admin, ``COPY`` in ``seed_demo``), so no code has to keep it current, and ranking
reads it instead of parsing the text again for each row found. Expression indexes alone would
have made every ranked row re-run three text parsers over summary and notes.

What a vector holds (weights: A above B above C above D):
- account: name and external ID as words (A), the name's English and German stems (B)
- contact: name and email as words (A); the email is split at ``@ . - _ + / :`` so that
  "bea@bravo" or "bravo.example", cut into words the same way, match it; and the whole email
  as one word (A), which a query that is an email looks up alone
- interaction: summary as words (A) and stems (B), the first 20,000 characters of the notes as
  words (C) and stems (D); a tsvector holds at most 1 MB, so unbounded notes are cut here
  rather than failing the write

Other databases (SQLite for tests and laptops) get nothing; the search falls back to
``icontains`` there. The column is unknown to Django's models on purpose: a ``GeneratedField``
would have to compile on SQLite too and would be copied into the audit history tables.

Adding the columns rewrites the three tables (about two minutes for a million interactions on
a 2-core machine); the indexes build after that.
"""

from django.db import migrations

NOTES_SEARCHED = 20_000
# Characters that join the parts of emails, IDs and URLs; as spaces, each part is a word.
JOINERS = "'@.-_+/:', '       '"


def _words(text: str) -> str:
    return f"to_tsvector('simple'::regconfig, translate({text}, {JOINERS}))"


def _stems(text: str) -> list[str]:
    return [f"to_tsvector('{config}'::regconfig, {text})" for config in ("english", "german")]


def _weighted(parts: list[tuple[str, str]]) -> str:
    return " || ".join(f"setweight({vector}, '{weight}')" for vector, weight in parts)


NAME = "coalesce(name, '')"
SUMMARY = "coalesce(summary, '')"
NOTES = f"left(coalesce(notes, ''), {NOTES_SEARCHED})"
VECTORS = {
    "customers_account": _weighted(
        [(_words(f"{NAME} || ' ' || coalesce(external_id, '')"), "A")]
        + [(stems, "B") for stems in _stems(NAME)]
    ),
    "customers_contact": _weighted(
        [
            (_words(f"{NAME} || ' ' || coalesce(email, '')"), "A"),
            # and the whole address as one word: a search for it reads one posting list
            # instead of intersecting its parts (every address holds the domain's words)
            ("to_tsvector('simple'::regconfig, coalesce(email, ''))", "A"),
        ]
    ),
    "interactions_interaction": _weighted(
        [(_words(SUMMARY), "A")]
        + [(stems, "B") for stems in _stems(SUMMARY)]
        + [(_words(NOTES), "C")]
        + [(stems, "D") for stems in _stems(NOTES)]
    ),
}
INDEXES = {
    "customers_account": ("account_search_idx", ""),
    "customers_contact": ("contact_search_idx", ""),
    # Deleted interactions are never searched.
    "interactions_interaction": ("interaction_search_idx", "WHERE deleted_at IS NULL"),
}


def add_vectors(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, vector in VECTORS.items():
        index, where = INDEXES[table]
        schema_editor.execute(
            f"ALTER TABLE {table} ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS ({vector}) STORED"
        )
        schema_editor.execute(f"CREATE INDEX {index} ON {table} USING gin (search_vector) {where}")
        schema_editor.execute(f"ANALYZE {table}")


def drop_vectors(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in VECTORS:
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0008_last_meeting_or_call_at"),
        ("interactions", "0007_tone"),
    ]

    operations = [migrations.RunPython(add_vectors, drop_vectors, elidable=False)]
