"""CSV import of interactions (meetings, calls, emails, notes), for bringing history over from
another system. Re-importing the same file changes nothing; the accounts' ``last_interaction_at``
follows in the same transaction."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import events
from customers.csv_import import (
    Column,
    Importer,
    ImportResult,
    chunks,
    group_by,
    read_csv,
    register,
    report_duplicates,
)
from customers.importers import (
    Change,
    bulk_write,
    count_changes,
    resolve_accounts,
    users_by_email,
    write_atomically,
)

from .models import Interaction, Sentiment
from .services import EARLIEST_INTERACTION, refresh_last_interaction

FUTURE_TOLERANCE = dt.timedelta(minutes=5)

INTERACTION_COLUMNS = (
    Column("account", True, gettext_lazy("the account's external_id or name")),
    Column("kind", True, gettext_lazy("meeting, call, email or note")),
    Column(
        "occurred_at",
        True,
        gettext_lazy(
            "YYYY-MM-DD HH:MM or YYYY-MM-DD, local time unless it has a UTC offset (+01:00)"
        ),
    ),
    Column("author_email", True, gettext_lazy("the email of the user who had the interaction")),
    Column("summary", True, gettext_lazy("one line, at most 200 characters")),
    Column("notes"),
    Column("sentiment", help=gettext_lazy("positive, neutral or negative")),
    Column("next_steps"),
)
INTERACTION_FIELDS = ["pk", "author_id", "notes", "sentiment", "next_steps"]


def import_interactions(*, data: bytes, dry_run: bool = False, by=None) -> ImportResult:
    """Create or update interactions from CSV, matched by (account, kind, occurred_at,
    summary), then recompute ``last_interaction_at`` (latest meeting or call not deleted) of the
    accounts that gained or changed an interaction. An interaction deleted in Treue stays
    deleted."""
    table = read_csv(data, INTERACTION_COLUMNS)
    rows = table.rows
    result = ImportResult(kind="interactions", dry_run=dry_run, columns=table.columns)
    account_ids = resolve_accounts(rows)
    authors = users_by_email({row.values.get("author_email", "") for row in rows})
    latest_allowed = timezone.now() + FUTURE_TOLERANCE
    parsed = []
    for row in rows:
        kind = row.choice("kind", Interaction.Kind, required=True)
        occurred_at = row.datetime("occurred_at", required=True)
        if occurred_at is not None and occurred_at > latest_allowed:
            row.error(
                _("occurred_at %(value)s is in the future") % {"value": row.values["occurred_at"]}
            )
        elif occurred_at is not None and occurred_at < EARLIEST_INTERACTION:
            row.error(
                _("occurred_at %(value)s is before 1900") % {"value": row.values["occurred_at"]}
            )
            occurred_at = None  # no lookup of stored rows with it: not even UTC can hold it
        summary = row.text("summary", max_length=200, required=True)
        author_email = row.email("author_email", required=True)
        author = authors.get(author_email.lower()) if author_email else None
        if author_email and author is None:
            row.error(
                _("author_email %(email)s is not the email of any user") % {"email": author_email}
            )
        values = {"author_id": author.pk if author else None}
        values.update((name, row.text(name)) for name in ("notes", "next_steps") if row.has(name))
        if row.has("sentiment"):
            values["sentiment"] = row.choice("sentiment", Sentiment)
        key = (account_ids.get(row.line), kind, occurred_at, summary)
        parsed.append((row, key if all(key) else None, values))
    report_duplicates(
        {key: [p[0] for p in items] for key, items in group_by(parsed, lambda p: p[1]).items()},
        lambda k: (
            _("the %(kind)s “%(summary)s” at %(at)s for this account")
            % {"kind": k[1], "summary": k[3], "at": f"{k[2]:%Y-%m-%d %H:%M}"}
        ),
    )

    stored = _stored_interactions({key for _r, key, _v in parsed if key})
    changes = []
    for row, key, values in parsed:
        if not row.ok:
            continue
        account_id, kind, occurred_at, summary = key
        change = Change(row, values, stored.get(key))
        if change.stored is None:
            values.update(
                account_id=account_id, kind=kind, occurred_at=occurred_at, summary=summary
            )
        changes.append(change)
    table.errors.raise_if_any()
    count_changes(result, changes)
    touched = {account_ids[c.row.line] for c in changes if c.action != "unchanged"}
    if dry_run:
        return result

    def write():
        updates = [c for c in changes if c.action == "update"]
        bulk_write(
            Interaction,
            creates=[Interaction(**c.values) for c in changes if c.stored is None],
            updates=[Interaction(**c.merged()) for c in updates],
            fields={f for c in updates for f in c.changed},
        )
        refresh_last_interaction(account_ids=touched)
        if touched:
            events.publish(events.AccountsChanged(touched, events.What.INTERACTION))

    write_atomically(write)
    return result


def _stored_interactions(keys: set[tuple]) -> dict[tuple, dict]:
    """Stored interactions by (account, kind, occurred_at, summary); when the same key was
    logged twice, the first one logged is the one the file updates."""
    stored: dict[tuple, dict] = {}
    by_account: dict[int, list] = {}
    for account_id, _kind, occurred_at, _summary in keys:
        by_account.setdefault(account_id, []).append(occurred_at)
    for chunk in chunks(sorted(by_account)):
        moments = [m for aid in chunk for m in by_account[aid]]
        rows = (
            Interaction.objects.filter(
                account_id__in=chunk,
                occurred_at__gte=min(moments),
                occurred_at__lte=max(moments),
            )
            .order_by("pk")
            .values_list("account_id", "kind", "occurred_at", "summary", *INTERACTION_FIELDS)
        )
        for account_id, kind, occurred_at, summary, *values in rows:
            key = (account_id, kind, occurred_at, summary)
            if key in keys and key not in stored:
                stored[key] = dict(zip(INTERACTION_FIELDS, values, strict=True))
    return stored


register(
    Importer(
        kind="interactions",
        columns=INTERACTION_COLUMNS,
        matched_by=gettext_lazy("(account, kind, occurred_at, summary)"),
        run=import_interactions,
    )
)
