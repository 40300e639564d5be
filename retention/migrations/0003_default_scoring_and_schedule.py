"""Defaults for the health model: scoring configuration v1 (DESIGN.md's numbers, the model's
field defaults) and the nightly beat schedules — score every account at 02:30, email each
owner the digest of new flags at 07:00. Admins edit or disable both in the admin; nothing is
scheduled at import time."""

from django.conf import settings
from django.db import migrations

SCORE = "Score account health"
DIGEST = "Email risk flag digests"


def create_defaults(apps, schema_editor):
    ScoringConfiguration = apps.get_model("retention", "ScoringConfiguration")
    if not ScoringConfiguration.objects.exists():
        ScoringConfiguration.objects.create(
            version=1, is_active=True, note="Defaults of DESIGN.md"
        )
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, hour, minute in (
        (SCORE, "retention.tasks.score_accounts", "2", "30"),
        (DIGEST, "retention.tasks.send_flag_digests", "7", "0"),
    ):
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone=settings.TIME_ZONE,
        )
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": crontab})


def drop_defaults(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=[SCORE, DIGEST]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("retention", "0002_health_scores_and_flags"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create_defaults, drop_defaults)]
