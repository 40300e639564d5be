"""Celery tasks of the interactions app: thin wrappers around services."""

from celery import shared_task
from django.db import DatabaseError

from .surveys import services as surveys


@shared_task(autoretry_for=(DatabaseError, OSError), retry_backoff=True, max_retries=5)
def deliver_surveys(pairs: list[list]) -> dict:
    """Email a batch of queued surveys (``[[send id, token], …]``); sent ones are skipped,
    so a retry sends only what is left."""
    return {"sent": surveys.deliver(pairs)}
