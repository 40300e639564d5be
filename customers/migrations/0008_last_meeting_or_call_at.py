from django.db import migrations, models


class Migration(migrations.Migration):
    """``last_interaction_at`` always meant the last meeting or call: name it so."""

    dependencies = [("customers", "0007_handover_request")]

    operations = [
        migrations.RemoveIndex("account", "account_last_interaction_idx"),
        migrations.RenameField("account", "last_interaction_at", "last_meeting_or_call_at"),
        migrations.AddIndex(
            "account",
            models.Index(fields=["last_meeting_or_call_at"], name="account_last_touch_idx"),
        ),
    ]
