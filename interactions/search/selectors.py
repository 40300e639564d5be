"""The global search: what a query finds among the accounts, contacts and interactions a user
may read, ranked and grouped by kind.

A query is cut into words (letters and digits; everything else separates them, so punctuation,
quotes, operators and NUL bytes never reach the database). A row matches when it holds every
word. On PostgreSQL a word matches as a whole word in the ``simple`` configuration (as a prefix
once it has ``MIN_PREFIX`` characters) or as its English or German stem ("Verträge" finds
"Vertrag"), through each table's stored ``search_vector`` (a generated column with a GIN index,
migration ``interactions/0008_search_vectors``). Rank: ``ts_rank`` over the vector's weights
(names, emails, external IDs and summaries above notes, a whole word above a stem), an exact
name, email or external ID first. Elsewhere (SQLite) each word is looked for with ``icontains``
and the rank is simpler; the answer has the same shape.

Every answer is bounded: at most ``MAX_QUERY_LENGTH`` characters and ``MAX_TERMS`` words are
read, and no kind lists beyond its ``MAX_HITS`` best rows.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connection, models
from django.db.models import Case, Expression, F, FloatField, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from crm import scoping
from customers.models import Account, Contact

from ..models import Interaction

MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
# Shorter words match whole words only: "a:*" would gather half the index.
MIN_PREFIX = 3
PER_KIND = 5  # hits of each kind on the page of all kinds
PAGE_SIZE = 20  # hits on a page of one kind
MAX_HITS = 200  # the deepest a kind's pages go; a longer list needs another word
# How many of a kind's matches PostgreSQL ranks (see _matching): a query that matches more
# ranks an arbitrary RANKED of them; another word narrows it.
RANKED = 250
# The stored vector of each searched table (PostgreSQL only; see the migration).
VECTOR_COLUMN = "search_vector"
STEMMED = ("english", "german")
# What the vector of each kind holds, and what the fallback looks in (the same fields).
FIELDS = {
    "account": ("name", "external_id"),
    "contact": ("name", "email"),
    "interaction": ("summary", "notes"),
}

_WORD_SEPARATORS = re.compile(r"[\W_]+")
# An email address (no quote or space can be in it: it goes into a tsquery as it is).
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", re.ASCII)


class Kind(models.TextChoices):
    ACCOUNT = "account", _("Accounts")
    CONTACT = "contact", _("Contacts")
    INTERACTION = "interaction", _("Interactions")


@dataclass(frozen=True)
class Hit:
    """One row found: its kind, id, a title and the page it is shown on; ``row`` is the
    model instance (for the page's detail line)."""

    kind: str
    id: int
    title: str
    url: str
    rank: float = field(compare=False)
    row: object = field(compare=False, repr=False)


@dataclass(frozen=True)
class Found:
    """The hits of one kind, best first, and whether more follow them."""

    kind: str
    hits: list[Hit]
    more: bool


@dataclass(frozen=True)
class Results:
    """What a search page (or the API) shows: without ``kind`` the best ``PER_KIND`` of each
    kind, with ``kind`` its ``page`` of ``PAGE_SIZE``."""

    query: str
    kind: str
    page: int
    found: dict[str, Found]

    @property
    def last_page(self) -> int:
        return MAX_HITS // PAGE_SIZE

    def more_of(self, kind: str) -> int | None:
        """The page of ``kind`` that lists more of it (its first from all kinds, the next
        from one of its pages), or None when nothing more is listed."""
        result = self.found.get(kind)
        if result is None or not result.more:
            return None
        if not self.kind:
            return 1
        return self.page + 1 if self.page < self.last_page else None

    @property
    def capped(self) -> bool:
        """More rows match than a kind's pages list (``MAX_HITS``)."""
        result = self.found.get(self.kind)
        return bool(result and result.more and self.page >= self.last_page)

    @property
    def hits(self) -> list[Hit]:
        return [hit for result in self.found.values() for hit in result.hits]

    def link(self, kind: str = "", page: int = 1) -> str:
        """The query string of this search, of all kinds or of ``kind``'s ``page``."""
        params = {"q": self.query} | ({"kind": kind} if kind else {})
        return "?" + urlencode(params | ({"page": page} if page > 1 else {}))

    def more_link(self, kind: str) -> str:
        """The query string of the page that lists more of ``kind``, or ``""``."""
        following = self.more_of(kind)
        return self.link(kind, following) if following else ""


def results(user, query: str, *, kind: str = "", page: int = 1) -> Results:
    """The search page's (and the API's) answer to ``query`` for ``user``."""
    if kind:
        page = max(1, min(page, MAX_HITS // PAGE_SIZE))
        offset = (page - 1) * PAGE_SIZE
        found = search(user, query, kinds=[kind], limit=PAGE_SIZE, offset=offset)
    else:
        page, found = 1, search(user, query)
    return Results(query, kind, page, found)


def terms_of(query: str) -> list[str]:
    """The words of ``query``: runs of letters and digits (lower case, each once, in order),
    at most ``MAX_TERMS`` of the first ``MAX_QUERY_LENGTH`` characters."""
    text = unicodedata.normalize("NFC", query[:MAX_QUERY_LENGTH]).lower()
    words = (word for word in _WORD_SEPARATORS.split(text) if word)
    return list(dict.fromkeys(words))[:MAX_TERMS]


def search(
    user, query: str, *, kinds=tuple(Kind.values), limit: int | None = None, offset: int = 0
) -> dict[str, Found]:
    """What ``query`` finds of each of ``kinds`` among the rows ``user`` may read: ``limit``
    hits from ``offset`` on, best first; nothing for a query without words. One database query
    per kind."""
    words = terms_of(query)
    if not words:
        return {}
    exact = query.replace("\x00", "").strip()[:MAX_QUERY_LENGTH]
    limit = max(1, min(PER_KIND if limit is None else limit, PAGE_SIZE))
    offset = max(0, min(offset, MAX_HITS))
    found = {}
    for kind in kinds:
        end = min(offset + limit, MAX_HITS)
        rows = list(_matching(kind, user, words, exact)[offset : end + 1]) if end > offset else []
        hits = [_hit(kind, row) for row in rows[: end - offset]]
        found[kind] = Found(kind, hits, more=len(rows) > end - offset)
    return found


def _matching(kind: str, user, words: list[str], exact: str) -> QuerySet:
    """The rows of ``kind`` that ``user`` may read and that hold every word, ranked. On
    PostgreSQL at most ``RANKED`` matches are ranked, the first the GIN index hands over (in
    the table's order): a word in every third interaction would otherwise rank 300,000 rows
    for a page of five, and walking an index in date order to find the newest matches of a
    word that is common only in old rows read half the table (both measured at 1M)."""
    if kind == Kind.ACCOUNT:
        base = Account.objects.select_related("owner")
        qs = scoping.visible(user, base)
        exact_match = Q(name__iexact=exact) | Q(external_id__iexact=exact)
        order = ("name", "pk")
    elif kind == Kind.CONTACT:
        base = Contact.objects.select_related("account")
        qs = scoping.visible(user, base, via="account")
        exact_match = Q(email__iexact=exact) | Q(name__iexact=exact)
        order = ("name", "pk")
    else:
        base = Interaction.objects.select_related("account")
        qs = scoping.visible(user, base.alive(), via="account")
        exact_match = Q(summary__iexact=exact)
        order = ("-occurred_at", "-pk")
    bonus = Case(When(exact_match, then=Value(1.0)), default=Value(0.0), output_field=FloatField())
    if connection.vendor == "postgresql":
        email = kind == Kind.CONTACT and _EMAIL.fullmatch(exact)
        tsquery = email_query(exact) if email else full_text_query(words)
        matches = qs.alias(vector=StoredVector()).filter(vector=tsquery)
        first = matches.order_by().values("pk")[:RANKED]
        qs = base.filter(pk__in=first)
        rank = SearchRank(StoredVector(), tsquery) + bonus
    else:
        qs = qs.filter(_contains_every(words, FIELDS[kind]))
        starts = Case(
            When(**{f"{FIELDS[kind][0]}__istartswith": words[0]}, then=Value(0.5)),
            default=Value(0.0),
            output_field=FloatField(),
        )
        rank = bonus + starts
    return qs.annotate(rank=rank).order_by(F("rank").desc(), *order)


def full_text_query(words: list[str]) -> SearchQuery:
    """Every word, each as a whole word or prefix (``simple``) or as its English or German
    stem: ``(w1:* | en(w1) | de(w1)) & (w2:* | …)``."""
    query = None
    for word in words:
        quoted = "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"
        prefix = ":*" if len(word) >= MIN_PREFIX else ""
        one = SearchQuery(quoted + prefix, config="simple", search_type="raw")
        for config in STEMMED:
            one |= SearchQuery(quoted, config=config, search_type="raw")
        query = one if query is None else query & one
    return query


def email_query(email: str) -> SearchQuery:
    """A whole email address, as the contacts' vectors hold it: one word."""
    return SearchQuery(f"'{email.lower()}'", config="simple", search_type="raw")


class StoredVector(Expression):
    """The stored search vector of the queryset's own table (a generated column that only the
    migration knows about: Django's models do not list it)."""

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        table = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        return f"{table}.{connection.ops.quote_name(VECTOR_COLUMN)}", []


def _contains_every(words: list[str], fields: tuple[str, ...]) -> Q:
    condition = Q()
    for word in words:
        anywhere = Q()
        for name in fields:
            anywhere |= Q(**{f"{name}__icontains": word})
        condition &= anywhere
    return condition


def _hit(kind: str, row) -> Hit:
    title = row.summary if kind == Kind.INTERACTION else row.name
    return Hit(kind, row.pk, title, row.get_absolute_url(), row.rank, row)
