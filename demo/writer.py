"""Writing the demo book into the database: ``seed_demo`` and ``flush_demo``.

Everything is drawn from one ``random.Random(seed)`` and dated relative to one ``today``, so the
same seed on the same day gives the same rows (names, references, dates, values). Accounts are
told in chunks of ``ACCOUNT_CHUNK`` (``demo.story``): each chunk's rows are built in memory as
plain tuples (ids handed out beforehand, so children name their parents without a round trip)
and bulk inserted, with ``COPY`` on PostgreSQL and ``bulk_create`` elsewhere; memory stays
bounded however large the book is. The derived fields (spans, MRR, customer since, last
interaction...) are then computed by the service the nightly task uses,
``customers.services.rebuild_derived``, and the accounts are scored weekly over the last 90
days by the health model (``score_history``), so the book looks as if Treue had run for a
quarter: trends show, and the first nightly run compares with a month ago.
"""

import datetime as dt
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, fields

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import NOT_PROVIDED
from django.test.utils import override_settings
from django.utils import timezone

from crm.models import Team, User
from customers.models import (
    Account,
    ChurnReason,
    ChurnRecord,
    Contact,
    Contract,
    CustomerSpan,
    OwnershipTransfer,
    Segment,
)
from customers.services import rebuild_derived
from demo.plays import seed_plays
from interactions.models import Feedback, FollowUp, Interaction, OpenProblem
from retention.health.scoring import (
    active_configuration,
    chunk_ranges,
    compute_health,
    rebuild_current_health,
    upsert_scores,
)
from retention.models import AccountHealth, HealthScore, PlaybookRun, SentimentReading

from . import DemoError
from .draw import ONE_DAY
from .staff import create_staff, demo_logins, remove_demo_staff
from .story import SEGMENTS, AccountStory, Book, Ids
from .vocabulary import vocabulary_for

INSERT_BATCH = 5000  # rows per INSERT statement
ACCOUNT_CHUNK = 1000  # accounts whose rows are held in memory at once (~30k rows)
HISTORY_WEEKS = 13  # weekly scores back from yesterday: 13 weeks and a day, the last 91 days


class _Ids:
    """Primary keys handed out before the insert, so a child row can name its parent without
    a query per row. PostgreSQL reserves them from the table's sequence; other databases
    count on from the highest id (the seed holds the write transaction)."""

    BLOCK = 10_000

    def __init__(self, model: type[models.Model]):
        self.model = model
        self.free: list[int] = []
        self.sequence: str | None = None  # PostgreSQL
        self.next_local: int | None = None  # elsewhere

    def take(self) -> int:
        if not self.free:
            self._refill()
        return self.free.pop()

    def _refill(self) -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                if self.sequence is None:
                    meta = self.model._meta
                    cursor.execute(
                        "SELECT pg_get_serial_sequence(%s, %s)", [meta.db_table, meta.pk.column]
                    )
                    self.sequence = cursor.fetchone()[0]
                cursor.execute(
                    "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                    [self.sequence, self.BLOCK],
                )
                ids = [row[0] for row in cursor.fetchall()]
        else:
            if self.next_local is None:
                top = self.model.objects.aggregate(top=models.Max("pk"))["top"]
                self.next_local = (top or 0) + 1
            ids = list(range(self.next_local, self.next_local + self.BLOCK))
            self.next_local += self.BLOCK
        self.free = ids[::-1]  # pop() hands them out in ascending order


class _Table:
    """Writes plain tuples into one model's table: ``COPY`` on PostgreSQL (three to four times
    faster than ``bulk_create``, measured), ``bulk_create`` elsewhere. Columns the generator does
    not give get what Django would put there (``auto_now`` → now, the field default, NULL), so
    both paths write the same rows and the database constraints check them."""

    def __init__(self, model: type[models.Model], columns: tuple[str, ...], now: dt.datetime):
        self.model = model
        self.columns = columns  # attnames, in the order of the generator's tuples
        self.label = model._meta.label
        fill_columns, fill = [], []
        for f in model._meta.concrete_fields:
            if f.attname in columns or f.primary_key or f.db_default is not NOT_PROVIDED:
                continue  # given, or left to the database (an omitted id is generated)
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            elif f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            elif f.blank and f.empty_strings_allowed:
                value = ""  # a text a form may leave empty (a contact's language)
            else:
                raise DemoError(f"The demo gives no value for {self.label}.{f.name}.")
            fill_columns.append(f.column)
            fill.append(f.get_db_prep_save(value, connection))
        self.fill = tuple(fill)
        quote = connection.ops.quote_name
        names = [model._meta.get_field(a).column for a in columns] + fill_columns
        self.copy_sql = (
            f"COPY {quote(model._meta.db_table)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
        )

    def write(self, rows: list[tuple]) -> None:
        if not rows:
            return
        if connection.vendor == "postgresql":
            fill = self.fill
            with connection.cursor() as cursor, cursor.cursor.copy(self.copy_sql) as copy:
                for row in rows:
                    copy.write_row(row + fill)
        else:
            model, columns = self.model, self.columns
            model.objects.bulk_create(
                [model(**dict(zip(columns, row, strict=True))) for row in rows],
                batch_size=INSERT_BATCH,
            )


TABLES = (  # (name in Book, model, columns of its tuples) in insert order
    ("accounts", Account, (
        "id", "name", "external_id", "segment_id", "industry", "employees", "budget_band",
        "owner_id", "team_id",
    )),
    ("contracts", Contract, (
        "account_id", "reference", "start_date", "end_date", "cancelled_on", "notice_given_on",
        "renewal_confirmed", "monthly_value",
    )),
    ("contacts", Contact, (
        "id", "account_id", "name", "email", "phone", "title", "is_decision_maker",
        "is_champion", "preferred_channel", "preferences", "left_on",
    )),
    ("transfers", OwnershipTransfer, (
        "account_id", "from_owner_id", "to_owner_id", "transferred_by_id", "transferred_at",
        "reason", "handover_notes", "acknowledged_at",
    )),
    ("churn_records", ChurnRecord, (
        "account_id", "churned_on", "reason_id", "notes", "recorded_by_id",
    )),
    ("problems", OpenProblem, (
        "account_id", "title", "description", "category", "severity", "status", "opened_at",
        "opened_by_id", "resolved_at", "resolution",
    )),
    ("interactions", Interaction, (
        "id", "account_id", "kind", "occurred_at", "author_id", "summary", "notes", "tone",
        "next_steps",
    )),
    ("present", Interaction.contacts.through, ("interaction_id", "contact_id")),
    ("reads", SentimentReading, ("account_id", "author_id", "sentiment", "comment", "recorded_at")),
    ("follow_ups", FollowUp, (
        "account_id", "interaction_id", "title", "due_on", "owner_id", "done_at",
    )),
    ("feedback", Feedback, (
        "account_id", "contact_id", "author_id", "kind", "score", "received_on", "comment",
    )),
)  # fmt: skip


@dataclass
class SeedResult:
    counts: dict[str, int]
    logins: list[tuple[str, str, str]]  # (role, username, password)
    seconds_generate: float
    seconds_insert: float
    seconds_derive: float
    seconds_history: float
    insert_seconds_by_table: dict[str, float]


def book_is_empty() -> bool:
    return not Account.objects.exists()


def seed_demo(
    *,
    accounts: int,
    seed: int = 1,
    today: dt.date | None = None,
    language: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SeedResult:
    """Write a demo book of ``accounts`` accounts (with staff, contracts and history) into a
    database without accounts, all or nothing, and compute the derived fields. Same seed and
    today, same rows. Worded in ``language`` (default: the installation's)."""
    if accounts < 1:
        raise DemoError("The demo needs at least one account.")
    today = today or timezone.localdate()
    words = vocabulary_for(language or settings.LANGUAGE_CODE)
    rng = random.Random(seed)
    counts: Counter = Counter()
    seconds: Counter = Counter()
    generate = 0.0
    # One transaction for the whole run: a seed that fails or is interrupted leaves nothing
    # behind, so the next ``seed_demo --if-empty`` simply starts again. PostgreSQL (MVCC) and
    # SQLite both carry a few million uncommitted rows without trouble, and nobody else can
    # be waiting for rows that do not exist yet.
    with transaction.atomic():
        if not book_is_empty():
            raise DemoError("The database already holds accounts.")
        if connection.vendor == "postgresql":
            # Check foreign keys at the end of each COPY instead of queueing millions of
            # deferred checks until the commit (same checks, bounded server memory).
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        remove_demo_staff()  # left over by an earlier demo whose accounts were deleted
        segment_ids = []
        for spec in SEGMENTS:
            segment, _ = Segment.objects.get_or_create(
                name=words.segment_names[spec.name],
                defaults={
                    "expected_cadence_days": spec.cadence_days,
                    "benchmark_retention_rate": spec.benchmark,
                },
            )
            segment_ids.append(segment.pk)
        reason_ids = {  # by the key the story knows a reason by
            key: ChurnReason.objects.get_or_create(name=name)[0].pk
            for key, name in words.churn_reasons.items()
        }
        staff = create_staff(rng, accounts, words)
        counts.update(
            {
                User._meta.label: staff.users,
                Team._meta.label: len(staff.team_ids),
                Segment._meta.label: len(segment_ids),
                ChurnReason._meta.label: len(reason_ids),
            }
        )
        ids = Ids(
            account=_Ids(Account).take,
            contact=_Ids(Contact).take,
            interaction=_Ids(Interaction).take,
        )
        story = AccountStory(
            rng=rng,
            today=today,
            staff=staff,
            words=words,
            ids=ids,
            segment_ids=segment_ids,
            reason_ids=reason_ids,
        )
        now = timezone.now()
        tables = [(name, _Table(model, columns, now)) for name, model, columns in TABLES]
        for chunk_start in range(0, accounts, ACCOUNT_CHUNK):
            started = time.perf_counter()
            book = Book()
            for index in range(chunk_start, min(accounts, chunk_start + ACCOUNT_CHUNK)):
                story.tell(index, book)
            generate += time.perf_counter() - started
            for name, table in tables:
                rows = getattr(book, name)
                started = time.perf_counter()
                table.write(rows)
                seconds[table.label] += time.perf_counter() - started
                counts[table.label] += len(rows)
            del book
            if progress is not None:
                progress(min(accounts, chunk_start + ACCOUNT_CHUNK), accounts)
        started = time.perf_counter()
        rebuild_derived(today=today)
        derive = time.perf_counter() - started
        counts[CustomerSpan._meta.label] = CustomerSpan.objects.count()
        started = time.perf_counter()
        counts[HealthScore._meta.label] = score_history(today=today)
        counts[AccountHealth._meta.label] = rebuild_current_health()
        history = time.perf_counter() - started
        counts[PlaybookRun._meta.label] = seed_plays(today=today, rng=rng)
    return SeedResult(
        counts=dict(counts),
        logins=demo_logins(),
        seconds_generate=generate,
        seconds_insert=sum(seconds.values()),
        seconds_derive=derive,
        seconds_history=history,
        insert_seconds_by_table=dict(seconds),
    )


def history_days(today: dt.date) -> list[dt.date]:
    """The days the demo's score history has, oldest first: weekly back from yesterday over
    the last 90 days (and a little more). Weekly is enough: the trend compares a score with
    the one ``trend_days`` (30) earlier and accepts one up to a week older, so every day from
    now on finds one."""
    yesterday = today - ONE_DAY
    return [yesterday - dt.timedelta(weeks=weeks) for weeks in range(HISTORY_WEEKS, -1, -1)]


def score_history(*, today: dt.date) -> int:
    """Score the customers of each of ``history_days`` as the nightly run would have (the
    health model as of that day, the trend from the scores before it), so trends show from
    the first page. Writes ``HealthScore`` rows in the shape the run writes (every column a
    ``Health`` carries), chunk by chunk; no flags (the first real run raises those). Returns
    how many scores it wrote."""
    config = active_configuration()
    now = timezone.now()
    written = 0
    for day in history_days(today):
        for start_id, end_id in chunk_ranges(day=day):
            _, scored = compute_health(day=day, config=config, start_id=start_id, end_id=end_id)
            if not scored:
                continue
            carried = [f.name for f in fields(next(iter(scored.values())))]
            columns = [f.name for f in HealthScore._meta.concrete_fields if f.name in carried]
            upsert_scores(
                [
                    {
                        "account_id": account_id,
                        "scored_on": day,
                        "configuration_id": config.pk,
                        **{column: getattr(health, column) for column in columns},
                        "computed_at": now,
                    }
                    for account_id, health in scored.items()
                ]
            )
            written += len(scored)
    return written


# --- removing the demo ------------------------------------------------------------------------

FLUSH_CHUNK = 2000


def flush_demo() -> dict[str, int]:
    """Delete every account with everything that hangs on it (in any app), then the users and
    teams the demo made. Segments and churn reasons (reference data) stay. Returns how many
    accounts and demo users went."""
    ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    # Rows that protect their account (interactions, contracts...) go first, found from the
    # model graph so rows of apps added later are covered too.
    protecting = [
        rel
        for rel in Account._meta.related_objects
        if rel.on_delete is models.PROTECT and not rel.many_to_many
    ]
    # No audit history for deleting demo rows: it would be noise, written one row at a time.
    with transaction.atomic(), override_settings(SIMPLE_HISTORY_ENABLED=False):
        # In chunks, through the ORM: cascades reach every app's rows (health scores, flags...)
        # while only one chunk's rows are ever collected in memory.
        for i in range(0, len(ids), FLUSH_CHUNK):
            chunk = ids[i : i + FLUSH_CHUNK]
            for rel in protecting:
                rel.related_model.objects.filter(**{f"{rel.field.name}__in": chunk}).delete()
            Account.objects.filter(pk__in=chunk).delete()
        users = remove_demo_staff()
    return {"accounts": len(ids), "users": users}
