"""What the scoring says is stored as a message (an id and its parameters) and worded when
read: a flag's explanation, why it resolved itself, what a change in its history says. Rows
written before keep their text in the old columns and are shown as stored, never parsed. A
person's comment is bounded (``COMMENT_MAX_LENGTH``; no change to the tables)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0005_mrr_spans'),
        ('retention', '0006_daily_digest_schedule'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='riskflag',
            name='explanation_message',
            field=models.JSONField(blank=True, help_text='Why, as a message id and its parameters, worded when read.', null=True, verbose_name='explanation'),
        ),
        migrations.AddField(
            model_name='riskflag',
            name='resolved_message',
            field=models.JSONField(blank=True, help_text='Why the flag resolved itself, as a message id and its parameters.', null=True, verbose_name='resolution by the scoring'),
        ),
        migrations.AddField(
            model_name='riskflagevent',
            name='message',
            field=models.JSONField(blank=True, help_text='What the scoring (or a snooze) said, as a message id and its parameters.', null=True, verbose_name='message'),
        ),
        migrations.AlterField(
            model_name='riskflag',
            name='acknowledged_comment',
            field=models.TextField(blank=True, max_length=4000, verbose_name='acknowledgement'),
        ),
        migrations.AlterField(
            model_name='riskflag',
            name='explanation',
            field=models.TextField(blank=True, verbose_name='explanation as worded then'),
        ),
        migrations.AlterField(
            model_name='riskflag',
            name='resolved_comment',
            field=models.TextField(blank=True, max_length=4000, verbose_name='resolution'),
        ),
        migrations.AlterField(
            model_name='riskflag',
            name='snooze_reason',
            field=models.TextField(blank=True, max_length=4000, verbose_name='snooze reason'),
        ),
        migrations.AlterField(
            model_name='riskflagevent',
            name='comment',
            field=models.TextField(blank=True, max_length=4000, verbose_name='comment'),
        ),
        migrations.AlterField(
            model_name='sentimentreading',
            name='comment',
            field=models.TextField(max_length=4000, verbose_name='why'),
        ),
        migrations.AddConstraint(
            model_name='riskflag',
            constraint=models.CheckConstraint(condition=models.Q(('explanation_message__isnull', False), models.Q(('explanation', ''), _negated=True), _connector='OR'), name='riskflag_says_why'),
        ),
    ]
