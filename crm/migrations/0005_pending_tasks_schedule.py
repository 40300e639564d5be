"""Default beat schedule: every 5 minutes, send again the tasks the broker refused while it was
down (``crm.tasks.send_pending_tasks``, see ``crm.queue``). Admins edit or disable it in the
admin; nothing is scheduled at import time."""

from django.db import migrations

NAME = "Send pending tasks again"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=NAME, defaults={"task": "crm.tasks.send_pending_tasks", "interval": every}
    )


def drop_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0004_pending_task"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create_schedule, drop_schedule)]
