"""The 07:00 flag digest becomes the daily digest (``retention.tasks.send_daily_digests``):
the existing schedule is re-pointed and renamed, keeping any time an admin set; an
installation without it gets one at 07:00. Nothing is scheduled at import time."""

from django.conf import settings
from django.db import migrations

OLD_NAME, OLD_TASK = "Email risk flag digests", "retention.tasks.send_flag_digests"
NAME, TASK = "Email daily digests", "retention.tasks.send_daily_digests"


def fold_in(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    if PeriodicTask.objects.filter(name=NAME).exists():
        return
    if PeriodicTask.objects.filter(name=OLD_NAME).update(name=NAME, task=TASK):
        return
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour="7",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone=settings.TIME_ZONE,
    )
    PeriodicTask.objects.create(name=NAME, task=TASK, crontab=crontab)


def fold_out(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME).update(name=OLD_NAME, task=OLD_TASK)


class Migration(migrations.Migration):
    dependencies = [
        ("retention", "0005_account_health"),
        ("crm", "0006_inbox_digest_calendar_feed"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(fold_in, fold_out)]
