"""Each account's latest health in a table of its own (``AccountHealth``), filled from the
scores already stored; the scoring run keeps it from now on. An index for the unresolved flags
of a set of accounts."""

import django.db.models.deletion
from django.db import migrations, models

COLUMNS = "account_id, scored_on, score, band, previous_score, trend"


def fill_current_health(apps, schema_editor):
    """Copy every account's newest score: one INSERT … SELECT (DISTINCT ON on PostgreSQL,
    a few seconds for 100,000 accounts with two scoring days each)."""
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        newest = (
            f"SELECT DISTINCT ON (account_id) {COLUMNS} FROM retention_healthscore "
            "ORDER BY account_id, scored_on DESC"
        )
    else:
        newest = (
            f"SELECT {COLUMNS} FROM retention_healthscore h WHERE h.scored_on = (SELECT "
            "MAX(n.scored_on) FROM retention_healthscore n WHERE n.account_id = h.account_id)"
        )
    schema_editor.execute(f"INSERT INTO retention_accounthealth ({COLUMNS}) {newest}")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_constraint_messages"),
        ("retention", "0004_snapshot_schedule"),
    ]

    operations = [
        migrations.CreateModel(
            name="AccountHealth",
            fields=[
                (
                    "account",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="current_health",
                        serialize=False,
                        to="customers.account",
                        verbose_name="account",
                    ),
                ),
                ("scored_on", models.DateField(verbose_name="scored on")),
                (
                    "score",
                    models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="score"),
                ),
                (
                    "band",
                    models.CharField(
                        blank=True,
                        choices=[("green", "Green"), ("yellow", "Yellow"), ("red", "Red")],
                        max_length=6,
                        verbose_name="band",
                    ),
                ),
                (
                    "previous_score",
                    models.PositiveSmallIntegerField(
                        blank=True, null=True, verbose_name="score about 30 days earlier"
                    ),
                ),
                (
                    "trend",
                    models.SmallIntegerField(blank=True, null=True, verbose_name="trend (points)"),
                ),
            ],
            options={
                "verbose_name": "current health",
                "verbose_name_plural": "current health",
            },
        ),
        # Filled before its index is built: one sort instead of 80,000 index insertions.
        migrations.RunPython(fill_current_health, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="riskflag",
            index=models.Index(
                condition=models.Q(("status", "resolved"), _negated=True),
                fields=["account"],
                include=("reason", "status"),
                name="riskflag_unresolved_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="accounthealth",
            index=models.Index(
                models.Case(
                    models.When(band="red", then=models.Value(0)),
                    models.When(band="yellow", then=models.Value(1)),
                    models.When(band="green", then=models.Value(2)),
                    default=models.Value(3),
                ),
                models.F("score"),
                name="accounthealth_risk_idx",
            ),
        ),
    ]
