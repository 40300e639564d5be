"""Covering indexes for the team dashboard: the open follow-ups of a set of accounts and the
interactions of the last days, each read from the index alone."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("interactions", "0004_drop_redundant_account_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(
                condition=models.Q(("done_at__isnull", True)),
                fields=["account"],
                include=("owner", "due_on"),
                name="followup_open_account_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="interaction",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["occurred_at"],
                include=("account", "author", "kind"),
                name="interaction_window_idx",
            ),
        ),
    ]
