"""CSV import of interactions (meetings, calls, emails, notes), for bringing history over from
another system: the columns and how rows match stored interactions; the rest is the runner's
(``crm.csv_import.runner``). Re-importing the same file changes nothing; the accounts'
``last_meeting_or_call_at`` follows in the same transaction."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import events
from crm.csv_import.reading import Column
from crm.csv_import.rows import Row
from crm.csv_import.runner import Change, Parsed, UpsertImport, register
from crm.db import chunks
from customers.importers import resolve_accounts, users_by_email

from .models import Interaction, Tone
from .services import EARLIEST_INTERACTION, refresh_last_meeting_or_call

FUTURE_TOLERANCE = dt.timedelta(minutes=5)

INTERACTION_COLUMNS = (
    Column("account", True, gettext_lazy("the account's external_id or name")),
    Column("kind", True, gettext_lazy("meeting, call, email or note")),
    Column(
        "occurred_at",
        True,
        gettext_lazy(
            "YYYY-MM-DD HH:MM or YYYY-MM-DD (or DD.MM.YYYY HH:MM), local time unless it has a "
            "UTC offset (+01:00)"
        ),
    ),
    Column("author_email", True, gettext_lazy("the email of the user who had the interaction")),
    Column("summary", True, gettext_lazy("one line, at most 200 characters")),
    Column("notes"),
    # The CSV column keeps its published name; it fills the interaction's tone.
    Column("sentiment", help=gettext_lazy("the tone: positive, neutral or negative")),
    Column("next_steps"),
)
INTERACTION_FIELDS = ["pk", "author_id", "notes", "tone", "next_steps"]


@register
class InteractionImport(UpsertImport):
    """Create or update interactions, matched by (account, kind, occurred_at, summary), then
    recompute ``last_meeting_or_call_at`` (latest meeting or call not deleted) of the accounts that
    gained or changed an interaction. An interaction deleted in Treue stays deleted."""

    kind = "interactions"
    model = Interaction
    columns = INTERACTION_COLUMNS
    matched_by = gettext_lazy("(account, kind, occurred_at, summary)")

    def prepare(self, rows: list[Row]) -> None:
        self.account_ids = resolve_accounts(rows)
        self.authors = users_by_email({row.value("author_email") for row in rows})
        self.latest_allowed = timezone.now() + FUTURE_TOLERANCE

    def parse(self, row: Row) -> Parsed:
        kind = row.choice("kind", Interaction.Kind, required=True)
        occurred_at = row.datetime("occurred_at", required=True)
        if occurred_at is not None and occurred_at > self.latest_allowed:
            row.error(
                _("occurred_at %(value)s is in the future") % {"value": row.value("occurred_at")}
            )
        elif occurred_at is not None and occurred_at < EARLIEST_INTERACTION:
            row.error(
                _("occurred_at %(value)s is before 1900") % {"value": row.value("occurred_at")}
            )
            occurred_at = None  # no lookup of stored rows with it: not even UTC can hold it
        summary = row.text("summary", max_length=200, required=True)
        author_email = row.email("author_email", required=True)
        author = self.authors.get(author_email.lower()) if author_email else None
        if author_email and author is None:
            row.error(
                _("author_email %(email)s is not the email of any user") % {"email": author_email}
            )
        values = {"author_id": author.pk if author else None}
        values.update((name, row.text(name)) for name in ("notes", "next_steps") if row.has(name))
        if row.has("sentiment"):
            values["tone"] = row.choice("sentiment", Tone)
        key = (self.account_ids.get(row.line), kind, occurred_at, summary)
        return Parsed(row, values, key if all(key) else None)

    def describe_key(self, key) -> str:
        return _("the %(kind)s “%(summary)s” at %(at)s for this account") % {
            "kind": key[1],
            "summary": key[3],
            "at": f"{key[2]:%Y-%m-%d %H:%M}",
        }

    def load(self, parsed: list[Parsed]) -> None:
        """Stored interactions by (account, kind, occurred_at, summary); when the same key was
        logged twice, the first one logged is the one the file updates."""
        keys = {p.key for p in parsed}
        self.stored: dict[tuple, dict] = {}
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
                if key in keys and key not in self.stored:
                    self.stored[key] = dict(zip(INTERACTION_FIELDS, values, strict=True))

    def match(self, item: Parsed) -> Change:
        change = Change(item.row, item.values, self.stored.get(item.key))
        if change.stored is None:
            account_id, kind, occurred_at, summary = item.key
            item.values.update(
                account_id=account_id, kind=kind, occurred_at=occurred_at, summary=summary
            )
        return change

    def write(self, changes: list[Change]) -> None:
        super().write(changes)
        touched = {self.account_ids[c.row.line] for c in changes if c.action != "unchanged"}
        refresh_last_meeting_or_call(account_ids=touched)
        if touched:
            events.publish(events.AccountsChanged(touched, events.What.INTERACTION))


import_interactions = InteractionImport.run
