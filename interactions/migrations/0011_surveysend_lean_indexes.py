"""A bulk send writes thousands of survey rows, each into every index of the table: the
indexes of the account and the contact alone are dropped (the named indexes start with them),
and the link fingerprint is unique by a constraint, without the second index for LIKE."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0010_contact_language_and_survey_opt_out'),
        ('interactions', '0010_default_survey_templates'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='surveysend',
            name='account',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='survey_sends', to='customers.account', verbose_name='account'),
        ),
        migrations.AlterField(
            model_name='surveysend',
            name='contact',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='survey_sends', to='customers.contact', verbose_name='contact'),
        ),
        migrations.AlterField(
            model_name='surveysend',
            name='token_hash',
            field=models.CharField(editable=False, max_length=64, verbose_name='link fingerprint'),
        ),
        migrations.AddConstraint(
            model_name='surveysend',
            constraint=models.UniqueConstraint(fields=('token_hash',), name='surveysend_token_unique'),
        ),
    ]
