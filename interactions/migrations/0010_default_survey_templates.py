"""The shipped survey emails (NPS and CSAT, English and German); admins edit them."""

from django.db import migrations

# The texts live where the sending also falls back on them when a template is missing.
from interactions.surveys.defaults import SHIPPED as DEFAULTS


def add(apps, schema_editor):
    SurveyTemplate = apps.get_model("interactions", "SurveyTemplate")
    for (kind, language), (subject, question, body) in DEFAULTS.items():
        SurveyTemplate.objects.get_or_create(
            kind=kind,
            language=language,
            defaults={"subject": subject, "question": question, "body": body},
        )


class Migration(migrations.Migration):
    dependencies = [("interactions", "0009_surveys")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
