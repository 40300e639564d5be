"""Which Celery broker Treue runs on.

Redis (``CELERY_BROKER_URL``, default ``redis://127.0.0.1:6379/0``) in production and CI. On a
laptop without Redis, ``make run`` (``manage.py preflight --broker-env``) picks kombu's
filesystem transport instead: messages are files under ``var/broker/`` and task results files
beside them (the scoring chord needs a result backend), so web, worker and beat work as with
Redis without any server. Plain functions, no Django: the settings import this module.
"""

import socket
from collections.abc import Callable, Mapping
from pathlib import Path

REDIS_DEFAULT = "redis://127.0.0.1:6379/0"
# kombu's filesystem transport; "localhost" only spares a warning (no host is contacted).
FILES = "filesystem://localhost/"


def in_files(url: str) -> bool:
    """Whether ``url`` names the broker in files (kombu's filesystem transport)."""
    return url.startswith("filesystem:")


def redis_answers(host: str = "127.0.0.1", port: int = 6379, timeout: float = 0.5) -> bool:
    """Whether something accepts a connection at ``host:port`` (a refusal answers at once)."""
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError:
        return False
    return True


def choose_broker(
    environ: Mapping[str, str], *, redis_up: Callable[[], bool] | None = None
) -> tuple[str, bool]:
    """The broker URL to run on and whether it is the broker in files: the one
    ``CELERY_BROKER_URL`` names, else Redis on 127.0.0.1:6379 when it answers, else files."""
    if url := environ.get("CELERY_BROKER_URL"):
        return url, in_files(url)
    if (redis_up or redis_answers)():
        return REDIS_DEFAULT, False
    return FILES, True


def file_broker(folder: Path) -> tuple[dict, str]:
    """The transport options and the result backend URL of a broker in files under
    ``folder`` (made if missing): every process that names the same folder shares it."""
    messages, control, results = folder / "messages", folder / "control", folder / "results"
    for path in (messages, control, results):
        path.mkdir(parents=True, exist_ok=True)
    options = {
        "data_folder_in": str(messages),
        "data_folder_out": str(messages),
        "control_folder": str(control),
        "store_processed": False,
    }
    return options, results.resolve().as_uri()
