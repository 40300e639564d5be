"""MRR spans (each account's MRR as a step function) and ledger revisions; fills the MRR
spans of the accounts already there from their contracts."""

from collections import defaultdict

import django.db.models.deletion
from django.db import migrations, models

from customers.ledger import ContractTerms, mrr_pieces

CHUNK = 2000


def fill_mrr_spans(apps, schema_editor):
    Account = apps.get_model("customers", "Account")
    Contract = apps.get_model("customers", "Contract")
    MrrSpan = apps.get_model("customers", "MrrSpan")
    ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        terms = defaultdict(list)
        rows = Contract.objects.filter(account_id__in=chunk).values_list(
            "account_id", "start_date", "end_date", "cancelled_on", "monthly_value"
        )
        for account_id, start, end, cancelled, value in rows:
            terms[account_id].append(ContractTerms(start, end, cancelled, value))
        MrrSpan.objects.bulk_create(
            MrrSpan(account_id=aid, start_date=first, end_date=last, mrr=mrr)
            for aid in chunk
            for first, last, mrr in mrr_pieces(terms.get(aid, ()))
        )


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0004_constraint_messages'),
    ]

    operations = [
        migrations.CreateModel(
            name='LedgerRevision',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('changed_at', models.DateTimeField(auto_now_add=True, verbose_name='changed at')),
            ],
            options={
                'verbose_name': 'ledger revision',
                'verbose_name_plural': 'ledger revisions',
            },
        ),
        migrations.CreateModel(
            name='MrrSpan',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('start_date', models.DateField(verbose_name='first day')),
                ('end_date', models.DateField(blank=True, null=True, verbose_name='last day')),
                ('mrr', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='MRR')),
                ('account', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='mrr_spans', to='customers.account', verbose_name='account')),
            ],
            options={
                'verbose_name': 'MRR span',
                'verbose_name_plural': 'MRR spans',
                'ordering': ['account', 'start_date'],
                'indexes': [models.Index(fields=['start_date', 'end_date'], name='mrrspan_dates_idx'), models.Index(fields=['end_date'], name='mrrspan_end_idx')],
                'constraints': [models.UniqueConstraint(fields=('account', 'start_date'), name='mrrspan_unique_start'), models.CheckConstraint(condition=models.Q(('end_date__isnull', True), ('end_date__gte', models.F('start_date')), _connector='OR'), name='mrrspan_end_not_before_start'), models.CheckConstraint(condition=models.Q(('mrr__gte', 0)), name='mrrspan_mrr_not_negative')],
            },
        ),
        migrations.RunPython(fill_mrr_spans, migrations.RunPython.noop, elidable=True),
    ]
