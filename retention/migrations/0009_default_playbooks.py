"""The playbooks a new installation ships (DESIGN.md "Playbooks"): onboarding with its six
steps, renewal preparation 90 days ahead, re-engagement after twice the cadence without a
meeting or call, detractor recovery and the new owner's handover — each with its first
version frozen — and the daily beat schedule of the time triggers (06:00). An admin edits
them in the admin; nothing is created at import time."""

from django.conf import settings
from django.db import migrations

NAME, TASK = "Start playbooks (time triggers)", "retention.tasks.run_playbooks"

# name, trigger, N days, N × cadence, description, steps (kind, title, offset days)
DEFAULTS = [
    (
        "Onboarding",
        "new_customer",
        None,
        None,
        "A new customer (or a win-back): the same first 90 days for everyone.",
        [
            ("meeting", "Kickoff meeting", 7),
            ("task", "Success plan agreed", 14),
            ("meeting", "Training", 30),
            ("call", "Check-in call", 45),
            ("survey", "CSAT survey", 60),
            ("meeting", "90-day review (ends onboarding)", 90),
        ],
    ),
    (
        "Renewal preparation",
        "renewal_ahead",
        90,
        None,
        "A renewal is 90 days ahead: prepare it while there is time to act.",
        [
            ("task", "Review health, usage and open problems", 0),
            ("meeting", "Renewal meeting with the decision maker", 21),
            ("email", "Send the renewal proposal", 45),
            ("task", "Confirm the renewal", 75),
        ],
    ),
    (
        "Re-engagement",
        "no_contact",
        None,
        2,
        "No meeting or call for twice the segment's cadence: win the customer's attention back.",
        [
            ("call", "Re-engagement call", 3),
            ("meeting", "Meeting to review goals", 21),
        ],
    ),
    (
        "Detractor recovery",
        "detractor",
        None,
        None,
        "A detractor answer: call back quickly and agree what we fix.",
        [
            ("call", "Call the contact back about the answer", 2),
            ("task", "Agree a recovery plan and record the problem", 7),
            ("call", "Follow-up call: is it better?", 30),
        ],
    ),
    (
        "New-owner handover",
        "transfer",
        None,
        None,
        "A new owner: read the handover brief and introduce yourself within 14 days.",
        [
            ("task", "Read the handover brief", 2),
            ("call", "Introduction call", 14),
        ],
    ),
]


def create(apps, schema_editor):
    Playbook = apps.get_model("retention", "Playbook")
    PlaybookStep = apps.get_model("retention", "PlaybookStep")
    PlaybookVersion = apps.get_model("retention", "PlaybookVersion")
    for name, trigger, days, multiple, description, steps in DEFAULTS:
        if Playbook.objects.filter(name=name).exists():
            continue
        playbook = Playbook.objects.create(
            name=name,
            trigger=trigger,
            trigger_days=days,
            cadence_multiple=multiple,
            description=description,
            version=1,
        )
        frozen = []
        for position, (kind, title, offset) in enumerate(steps):
            PlaybookStep.objects.create(
                playbook=playbook, position=position, kind=kind, title=title, offset_days=offset
            )
            frozen.append(
                {"kind": kind, "title": title, "offset_days": offset, "assignee": "owner"}
            )
        PlaybookVersion.objects.create(
            playbook=playbook,
            version=1,
            name=name,
            trigger=trigger,
            trigger_days=days,
            cadence_multiple=multiple,
            steps=frozen,
        )
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    if not PeriodicTask.objects.filter(name=NAME).exists():
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute="0",
            hour="6",
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone=settings.TIME_ZONE,
        )
        PeriodicTask.objects.create(name=NAME, task=TASK, crontab=crontab)


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("retention", "0008_playbooks"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create, remove)]
