"""Celery tasks of the crm app."""

from celery import shared_task

from . import queue


@shared_task
def send_pending_tasks() -> dict:
    """Every 5 minutes (beat): send again the tasks the broker refused while it was down.
    Idempotent: a kept task is deleted once the broker took it; a running drain's rows are
    skipped by another."""
    return queue.send_pending_tasks()
