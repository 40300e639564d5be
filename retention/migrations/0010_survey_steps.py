"""A survey step names its survey (NPS or CSAT), in the playbook, its versions and its runs,
and a run's step keeps what it did (``outcome``). Survey steps saved before are named from
their title: NPS where it says so, else CSAT (the shipped onboarding step is "CSAT survey")."""

from django.db import migrations, models


def _kind(title: str) -> str:
    return "nps" if "nps" in title.lower() else "csat"


def name_the_surveys(apps, schema_editor):
    PlaybookStep = apps.get_model("retention", "PlaybookStep")
    PlaybookVersion = apps.get_model("retention", "PlaybookVersion")
    RunStep = apps.get_model("retention", "RunStep")
    for step in PlaybookStep.objects.filter(kind="survey"):
        step.survey_kind = _kind(step.title)
        step.save(update_fields=["survey_kind"])
    for step in RunStep.objects.filter(kind="survey").select_related("follow_up"):
        step.survey_kind = _kind(step.follow_up.title)
        step.save(update_fields=["survey_kind"])
    for version in PlaybookVersion.objects.all():
        surveys = [s for s in version.steps if s.get("kind") == "survey" and "survey_kind" not in s]
        for step in surveys:
            step["survey_kind"] = _kind(step.get("title", ""))
        if surveys:
            version.save(update_fields=["steps"])


class Migration(migrations.Migration):

    dependencies = [
        ('interactions', '0010_default_survey_templates'),
        ('retention', '0009_default_playbooks'),
    ]

    operations = [
        migrations.AddField(
            model_name='playbookstep',
            name='survey_kind',
            field=models.CharField(blank=True, choices=[('nps', 'NPS (0–10)'), ('csat', 'CSAT (1–5)')], help_text="For a survey step: which survey its day sends to the account's decision makers and champions.", max_length=4, verbose_name='survey'),
        ),
        migrations.AddField(
            model_name='runstep',
            name='outcome',
            field=models.JSONField(blank=True, default=dict, verbose_name='what it did'),
        ),
        migrations.AddField(
            model_name='runstep',
            name='survey_kind',
            field=models.CharField(blank=True, choices=[('nps', 'NPS (0–10)'), ('csat', 'CSAT (1–5)')], help_text="For a survey step: which survey its day sends to the account's decision makers and champions.", max_length=4, verbose_name='survey'),
        ),
        migrations.RunPython(name_the_surveys, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='runstep',
            index=models.Index(condition=models.Q(('kind', 'survey'), ('skipped_at__isnull', True)), fields=['kind'], name='runstep_survey_idx'),
        ),
        migrations.AddConstraint(
            model_name='playbookstep',
            constraint=models.CheckConstraint(condition=models.Q(('kind', 'survey'), ('survey_kind', ''), _connector='OR'), name='playbookstep_survey_kind'),
        ),
        migrations.AddConstraint(
            model_name='runstep',
            constraint=models.CheckConstraint(condition=models.Q(('kind', 'survey'), ('survey_kind', ''), _connector='OR'), name='runstep_survey_kind'),
        ),
    ]
