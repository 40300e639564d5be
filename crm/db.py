"""Database helpers every app may use."""

import functools
from collections.abc import Iterable, Iterator

from django.core.exceptions import EmptyResultSet
from django.db import IntegrityError, connection, connections
from django.db.models import DateField, Func
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable

CREATE_BATCH = 2000
UPDATE_BATCH = 1000


def bulk_update_values(model, objs: list, fields: Iterable[str], *, batch_size: int = 1000) -> None:
    """Like ``QuerySet.bulk_update`` (same rows, same fields), but on PostgreSQL one
    ``UPDATE ... FROM (VALUES ...)`` per batch: Django's CASE WHEN form spends about a
    millisecond of Python per row and field, which dominates imports and ledger rebuilds of
    100,000 rows. Like ``bulk_update`` it sends no signals and writes no audit history."""
    fields = list(fields)
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, fields, batch_size=batch_size)
        return
    meta = model._meta
    quote = connection.ops.quote_name
    targets = [meta.get_field(name) for name in fields]
    columns = [meta.pk, *targets]
    row = "(" + ", ".join(f"%s::{field.db_type(connection)}" for field in columns) + ")"
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in targets)
    names = ", ".join(quote(field.column) for field in columns)
    key = quote(meta.pk.column)
    with connection.cursor() as cursor:
        for i in range(0, len(objs), batch_size):
            batch = objs[i : i + batch_size]
            params = [
                field.get_db_prep_save(getattr(obj, field.attname), connection)
                for obj in batch
                for field in columns
            ]
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "
                f"FROM (VALUES {', '.join([row] * len(batch))}) AS v ({names}) "
                f"WHERE t.{key} = v.{key}",
                params,
            )


def insert_rows(model, *, columns: dict[str, list], same: dict) -> list[int]:
    """Insert one row per index of the lists in ``columns`` (field name → plain values the
    driver adapts: numbers, strings, dates, None); ``same`` holds the values every row shares,
    and every other field takes its default. Returns the new rows' ids in order. Like
    ``bulk_create`` it sends no signals and writes no audit history.

    On PostgreSQL one ``INSERT … SELECT … FROM unnest(…)`` per 10,000 rows: ``bulk_create``
    makes a model instance per row and prepares every value of it in Python, about half of
    the cost of 10,000 survey sends (bench/bench_surveys.py). Elsewhere ``bulk_create``."""
    names = list(columns)
    count = len(columns[names[0]]) if names else 0
    if not count:
        return []
    meta = model._meta
    if connection.vendor != "postgresql":
        rows = [model(**same, **{name: columns[name][i] for name in names}) for i in range(count)]
        return [obj.pk for obj in model.objects.bulk_create(rows, batch_size=CREATE_BATCH)]
    quote = connection.ops.quote_name
    varying = [meta.get_field(name) for name in names]
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    fixed = [f for f in fields if f not in varying]
    target = ", ".join(quote(f.column) for f in [*fixed, *varying])
    select = ", ".join(
        [f"%s::{f.db_type(connection)}" for f in fixed] + [f"u.c{i}" for i in range(len(varying))]
    )
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in varying)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({target}) SELECT {select} FROM unnest({arrays}) "
        f"AS u({', '.join(f'c{i}' for i in range(len(varying)))}) RETURNING {quote(meta.pk.column)}"
    )
    constants = [f.get_db_prep_save(_given(f, same), connection) for f in fixed]
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, count, 10_000):
            part = [columns[name][start : start + 10_000] for name in names]
            cursor.execute(sql, [*constants, *part])
            ids.extend(row[0] for row in cursor.fetchall())
    return ids


def _given(field, same: dict):
    for key in (field.name, field.attname):
        if key in same:
            return same[key]
    return field.get_default()


def record_bulk_history(model, *, created: list, updated_pks: list[int], reason: str) -> None:
    """Write the audit-history rows (django-simple-history) that bulk writes skip: one "+" row
    per created object and one "~" row per updated row, read back whole after the update. The
    user is the one of the current request, if any (HistoryRequestMiddleware)."""
    history = getattr(model, "history", None)
    if history is None:
        return
    when = timezone.now()
    history.bulk_history_create(
        created, batch_size=1000, default_change_reason=reason, default_date=when
    )
    for i in range(0, len(updated_pks), 2000):
        rows = list(model.objects.filter(pk__in=updated_pks[i : i + 2000]))
        history.bulk_history_create(
            rows, batch_size=1000, update=True, default_change_reason=reason, default_date=when
        )


def lookup_chunk_size() -> int:
    """How many values one ``__in`` lookup may hold on this database."""
    limit = connection.features.max_query_params or 5000
    return max(100, min(5000, limit - 50))


def chunks(values: Iterable, size: int | None = None) -> Iterator[list]:
    """``values`` in lists of ``size`` (by default as many as one ``__in`` lookup may hold)."""
    values = list(values)
    size = size or lookup_chunk_size()
    for i in range(0, len(values), size):
        yield values[i : i + size]


def lock_rows(model, pks: list[int]) -> None:
    """Lock the stored rows a bulk write is about to change, in a stable order; refuse (an
    ``IntegrityError``) when one of them was deleted since it was read."""
    locked = 0
    for chunk in chunks(sorted(pks)):
        locked += len(model.objects.select_for_update().filter(pk__in=chunk).values_list("pk"))
    if locked != len(pks):
        raise IntegrityError(f"{len(pks) - locked} stored rows were deleted meanwhile")


def bulk_write(model, *, creates: list, updates: list, fields: Iterable[str], reason: str) -> None:
    """Insert ``creates`` and update ``fields`` (plus ``updated_at``) of ``updates``, with
    their audit history (``reason``). Call inside a transaction."""
    model.objects.bulk_create(creates, batch_size=CREATE_BATCH)
    if updates:
        lock_rows(model, [obj.pk for obj in updates])
        now = timezone.now()
        for obj in updates:
            obj.updated_at = now
        bulk_update_values(model, updates, [*sorted(fields), "updated_at"], batch_size=UPDATE_BATCH)
    record_bulk_history(
        model, created=creates, updated_pks=[obj.pk for obj in updates], reason=reason
    )


class AddDays(Func):
    """``date + days`` (an integer expression, negative goes back) as a date, in SQL:
    ``date + integer`` on PostgreSQL, ``date(d, '+N days')`` on SQLite (whose durations
    cannot be multiplied)."""

    output_field = DateField()
    arity = 2

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" + ")

    def as_sqlite(self, compiler, connection, **extra):
        day, days = (compiler.compile(e) for e in self.get_source_expressions())
        return f"date({day[0]}, printf('%%+d days', {days[0]}))", [*day[1], *days[1]]


def counts(**querysets) -> dict[str, int]:
    """How many rows each of ``querysets`` (plain filters: no distinct, no slice) holds, in
    one statement: ``SELECT (SELECT COUNT(*) FROM (...)), (SELECT COUNT(*) FROM (...))``.
    One round trip and no aggregation machinery per number, where ``count()`` each cost
    a query of its own (the navigation's numbers on every page; issue 18)."""
    found = dict.fromkeys(querysets, 0)
    parts, params, names, using = [], [], [], None
    for name, queryset in querysets.items():
        if queryset.query.distinct or queryset.query.is_sliced:
            raise ValueError(f"counts() counts plain querysets: {name} is distinct or sliced")
        using = using or queryset.db
        try:
            sql, sql_params = queryset.order_by().values("pk").query.get_compiler(using).as_sql()
        except EmptyResultSet:  # .none() and the like: nothing to count
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) counted)")
        params.extend(sql_params)
        names.append(name)
    if parts:
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(parts), params)
            found.update(zip(names, cursor.fetchone(), strict=True))
    return found


# The largest id a row can have (a 64-bit signed key); a bigger or non-positive number names
# no row, and SQLite cannot even bind one beyond 64 bits.
MAX_ID = 2**63 - 1


def names_no_row(value) -> bool:
    """``value`` reads as an integer that no row's id can be (0, negative, beyond 64 bits)."""
    try:
        number = int(str(value).strip())
    except ValueError:
        return False
    return not 1 <= number <= MAX_ID


@functools.cache
def _choice_labels(field) -> dict:
    return dict(make_hashable(field.flatchoices))


class ChoiceLabels:
    """A model base whose ``get_FOO_display()`` looks the label up in a table of the field's
    choices built once. Django builds that table again on every call (about 20 µs, paid for
    every row of a list that shows a kind or a status: issue 18). Same labels, translated
    when shown."""

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        label = _choice_labels(field).get(make_hashable(value), value)
        return force_str(label, strings_only=True)
