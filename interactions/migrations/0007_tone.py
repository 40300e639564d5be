from django.db import migrations, models


class Migration(migrations.Migration):
    """An interaction's ``sentiment`` (positive / neutral / negative) is its tone: the word
    sentiment belongs to the CSM's green / amber / red readings."""

    dependencies = [("interactions", "0006_plannedmeeting")]

    operations = [
        migrations.RenameField("interaction", "sentiment", "tone"),
        migrations.RenameField("historicalinteraction", "sentiment", "tone"),
        migrations.AlterField(
            model_name='historicalinteraction',
            name='tone',
            field=models.CharField(blank=True, choices=[('positive', 'Positive'), ('neutral', 'Neutral'), ('negative', 'Negative')], max_length=10, verbose_name='tone'),
        ),
        migrations.AlterField(
            model_name='interaction',
            name='tone',
            field=models.CharField(blank=True, choices=[('positive', 'Positive'), ('neutral', 'Neutral'), ('negative', 'Negative')], max_length=10, verbose_name='tone'),
        ),
    ]
