"""Sending Celery tasks without depending on the broker being up.

``enqueue_safely(task, ...)`` sends after the current transaction commits, with one quick
connection attempt (a page is waiting); ``enqueue_many_safely`` sends many calls of a task
over one connection. When the broker refuses, the task is kept in the
outbox (``PendingTask``) with a warning in the log, and sent again later: by the periodic
task ``crm.tasks.send_pending_tasks`` (beat, every 5 minutes), at the start of the next
enqueue that reaches the broker, or by ``manage.py send_pending_tasks``. A kept row is
deleted only after the broker accepted its message, so a task is sent at least once; the
same task with the same arguments is kept once, which is harmless as tasks are idempotent.
"""

import hashlib
import json
import logging
from collections.abc import Collection

from celery import current_app
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from .models import PendingTask

logger = logging.getLogger(__name__)

# Kept tasks sent at the start of an enqueue from a page; beat sends the rest.
SEND_ON_ENQUEUE = 20


def enqueue_safely(task, *args, **kwargs) -> None:
    """Send ``task`` to the broker once the current transaction has committed. When the
    broker is down, keep it to send later and log: a page never breaks because Redis is away."""
    transaction.on_commit(lambda: send_or_keep(task, args, kwargs))


def enqueue_many_safely(task, calls: list[tuple]) -> None:
    """``enqueue_safely`` for many calls of one task (``[(arg, …), …]``, e.g. the chunks of a
    bulk send): sent after commit over one broker connection, each kept in the outbox when
    the broker refuses."""
    transaction.on_commit(lambda: send_many_or_keep(task, [(args, {}) for args in calls]))


def send_or_keep(task, args=(), kwargs=None) -> bool:
    """Send ``task`` now (one connection attempt, no retries); keep it in the outbox when the
    broker refuses. True when the broker accepted it."""
    return send_many_or_keep(task, [(args, kwargs or {})]) == 1


def send_many_or_keep(task, calls: list[tuple]) -> int:
    """Send these calls of ``task`` (``[(args, kwargs), …]``) over one connection (one
    attempt, no retries); keep those the broker refused in the outbox. Returns how many the
    broker accepted."""
    messages = []
    for args, kwargs in calls:
        try:
            args, kwargs = _plain(args), _plain(kwargs)
        except TypeError:  # a bug of the caller: Celery could not send it either
            logger.exception("Could not enqueue %s: its arguments are not JSON", task.name)
            continue
        messages.append((args, kwargs, _fingerprint(task.name, args, kwargs)))
    if not messages:
        return 0
    sent: list[str] = []
    try:
        with task.app.connection_for_write() as conn:
            # One quick attempt, not the broker's patient retries: a page is waiting.
            conn.ensure_connection(max_retries=0)
            try:
                skip = [fingerprint for _a, _k, fingerprint in messages]
                _send_kept(conn, app=task.app, limit=SEND_ON_ENQUEUE, skip=skip)
            except DatabaseError:  # the outbox is unreadable: still send these tasks
                logger.exception("Could not read the kept tasks")
            for args, kwargs, fingerprint in messages:
                task.apply_async(
                    args=args, kwargs=kwargs, connection=conn, retry=False, ignore_result=True
                )
                sent.append(fingerprint)
    except Exception as error:
        for args, kwargs, _sent in messages[len(sent) :]:
            keep(name=task.name, args=args, kwargs=kwargs, error=error)
    if sent:  # a copy kept earlier is covered by the message just sent
        PendingTask.objects.filter(fingerprint__in=sent).delete()
    return len(sent)


def keep(*, name: str, args: list, kwargs: dict, error: Exception) -> None:
    """Record a task the broker refused (or count one more failed attempt of a kept one)."""
    now = timezone.now()
    fingerprint = _fingerprint(name, args, kwargs)
    try:
        with transaction.atomic():
            row, created = PendingTask.objects.get_or_create(
                fingerprint=fingerprint,
                defaults={
                    "task": name,
                    "args": args,
                    "kwargs": kwargs,
                    "first_failed_at": now,
                    "last_failed_at": now,
                    "last_error": _describe(error),
                },
            )
            if not created:
                PendingTask.objects.filter(pk=row.pk).update(
                    attempts=F("attempts") + 1, last_failed_at=now, last_error=_describe(error)
                )
    except DatabaseError:
        logger.exception("Could not enqueue %s, nor keep it to send later: it is lost", name)
        return
    logger.warning(
        "Could not enqueue %s (is the broker down?): %s. Kept to send again later.",
        name,
        _describe(error).rstrip("."),
    )


def send_pending_tasks(*, app=None, limit: int | None = None) -> dict:
    """Send the kept tasks, oldest first. Returns how many were sent and how many are left
    (with the broker's error when it is still down)."""
    app = app or current_app
    error = None
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0)
            sent, error = _send_kept(conn, app=app, limit=limit)
    except Exception as exc:
        sent, error = 0, exc
    summary = {"sent": sent, "left": PendingTask.objects.count()}
    if error is not None:
        summary["error"] = _describe(error)
    return summary


def _send_kept(
    conn, *, app, limit: int | None, skip: Collection[str] = ()
) -> tuple[int, Exception | None]:
    """Send kept rows over ``conn``, each deleted once the broker took it. Rows another
    process is sending are skipped (locked), so two drains never send the same row."""
    sent = 0
    with transaction.atomic():
        rows = (
            PendingTask.objects.select_for_update(skip_locked=True)
            .exclude(fingerprint__in=list(skip))
            .order_by("first_failed_at", "pk")
        )
        for row in rows[:limit] if limit else rows:
            try:
                app.send_task(
                    row.task,
                    args=row.args,
                    kwargs=row.kwargs,
                    connection=conn,
                    retry=False,
                    ignore_result=True,
                )
            except Exception as error:
                PendingTask.objects.filter(pk=row.pk).update(
                    attempts=F("attempts") + 1,
                    last_failed_at=timezone.now(),
                    last_error=_describe(error),
                )
                logger.warning("Could not send kept task %s again: %s", row.task, error)
                return sent, error
            row.delete()
            sent += 1
            logger.info("Sent kept task %s (first refused at %s)", row.task, row.first_failed_at)
    return sent, None


def _plain(value):
    """The JSON the message will carry (dates become ISO strings, as the task receives them)."""
    value = list(value) if isinstance(value, tuple) else value
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _fingerprint(name: str, args: list, kwargs: dict) -> str:
    text = json.dumps([name, args, kwargs], sort_keys=True, cls=DjangoJSONEncoder)
    return hashlib.sha256(text.encode()).hexdigest()


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:1000]
