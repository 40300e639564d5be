"""Celery tasks of the customers app: thin wrappers around services."""

from celery import shared_task
from django.db import DatabaseError

from . import services


@shared_task(
    acks_late=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=3,
)
def rebuild_derived() -> dict:
    """Nightly: recompute spans and cached status (MRR, customer since, renewal) for today.

    Idempotent: a rerun computes the same values from the same contracts."""
    return services.rebuild_derived()
