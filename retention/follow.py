"""Health that follows the work (DESIGN.md "Health and risk"): what retention does when a
lower app says an account changed (``crm.events``). At retention's top: it enqueues tasks.

One account (``AccountChanged``: a call logged, a problem closed, a contract written) is
scored again at once, in the writer's transaction, by the night's own code
(``scoring.rescore`` → ``score_chunk``), so the page after the redirect shows the new score and
a flag whose condition is gone has resolved itself. Many accounts (``AccountsChanged``: an
import, a portfolio transfer, a rebuild) are scored again by Celery in chunks, sent once the
write has committed (``crm.queue``, which keeps them while the broker is down).
"""

from crm import events
from crm.queue import enqueue_safely

from .health import scoring
from .tasks import rescore_accounts

RESCORE_CHUNK = 2000  # accounts per task, as a chunk of the night's run


def rescore_account(event: events.AccountChanged) -> None:
    scoring.rescore(account_ids=[event.account_id])


def rescore_accounts_later(event: events.AccountsChanged) -> None:
    ids = sorted(event.account_ids)
    for start in range(0, len(ids), RESCORE_CHUNK):
        enqueue_safely(rescore_accounts, ids[start : start + RESCORE_CHUNK])


def subscribe() -> None:
    """Called by ``RetentionConfig.ready``."""
    events.subscribe(events.AccountChanged, rescore_account)
    events.subscribe(events.AccountsChanged, rescore_accounts_later)
