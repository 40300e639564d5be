"""The Treue project: settings, urls, the Celery app and what every app shares."""

from .celery import app as celery_app

__all__ = ("celery_app",)
